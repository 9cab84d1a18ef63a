"""Record keys: TIDs chosen before the first attempt, and the keys of a thread's replies.

A retried createRecord under the same key cannot make a second post, and a retry after a crash
finds the replies already made under theirs (see the package docstring).
"""

from __future__ import annotations

import secrets
import threading
import time

from keryx.networks.base import PublishRequest

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_tid_lock = threading.Lock()
_tid_last = 0
# A TID's clock id has 10 bits: a thread can have at most this many replies after its root.
MAX_FOLLOW_UPS = 1023


def new_tid() -> str:
    """A TID (atproto timestamp identifier): 53 bits of microseconds since the epoch and a
    10-bit random clock id, in 13 characters of base32-sortable. Never repeats in a process."""
    global _tid_last
    with _tid_lock:
        # Two keys in the same microsecond (or a clock step back) would collide: move forward.
        micros = max(time.time_ns() // 1000, _tid_last + 1)
        _tid_last = micros
    return _tid_string((micros << 10) | secrets.randbelow(1024))


def tid_value(tid: str) -> int:
    """The 64-bit number a TID spells (ValueError when it is not a TID)."""
    if len(tid) != 13 or any(c not in _TID_ALPHABET for c in tid):
        raise ValueError(f"Not a TID: {tid!r}")
    value = 0
    for char in tid:
        value = value * 32 + _TID_ALPHABET.index(char)
    if value >> 63:
        raise ValueError(f"Not a TID (top bit set): {tid!r}")
    return value


def _tid_string(value: int) -> str:
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def follow_up_key(root_key: str, index: int) -> str:
    """The record key of reply `index` (1 = the first part after the root) of the thread whose
    root has the record key `root_key`: the same timestamp with the clock id advanced by
    `index` (mod 1024). new_tid() never gives two keys the same timestamp in one process, so
    no other post's key (nor its parts') can be one of these."""
    if not 1 <= index <= MAX_FOLLOW_UPS:
        raise ValueError(f"A thread has at most {MAX_FOLLOW_UPS} replies (index {index}).")
    value = tid_value(root_key)
    micros, clock_id = value >> 10, value & 1023
    return _tid_string((micros << 10) | ((clock_id + index) % 1024))


def follow_ups(request: PublishRequest) -> list[str]:
    """The replies a request makes after its root: the thread's parts, then the first comment."""
    texts = [str(part) for part in request.options.get("thread") or []]
    first_comment = request.options.get("first_comment")
    if first_comment:
        texts.append(str(first_comment))
    return texts
