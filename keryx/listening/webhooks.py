"""Alert webhooks: a JSON body signed with HMAC-SHA256 under the search's secret, POSTed
through the private-address guard, retried with backoff, each attempt logged.

Headers sent:
    Content-Type: application/json
    X-Keryx-Timestamp: <unix seconds>
    X-Keryx-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>

A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant
time, and refuses timestamps older than a few minutes (replay).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx

from keryx.networks.netguard import BlockedAddress, check_url

BACKOFF = (1.0, 4.0, 16.0)  # seconds before the 2nd, 3rd and 4th attempt
TIMEOUT = 10.0


def retryable(attempt: Attempt) -> bool:
    """A network error, a 5xx or a 429 may pass later; a refusal (other 4xx, blocked) not."""
    return attempt.status == "failed" and (
        attempt.code is None or attempt.code >= 500 or attempt.code == 429)


def new_secret() -> str:
    return secrets.token_hex(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *,
           now: float | None = None, tolerance: int = 300) -> bool:
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature or "")


@dataclass
class Attempt:
    number: int
    at: float
    status: str  # "ok", "failed" or "blocked"
    code: int | None = None
    error: str = ""


@dataclass
class Delivery:
    ok: bool
    attempts: list[Attempt] = field(default_factory=list)


def deliver(url: str, secret: str, payload: dict, *, allow_private: Iterable[str] = (),
            backoff: tuple[float, ...] = BACKOFF,
            sleep: Callable[[float], None] = time.sleep, timeout: float = TIMEOUT) -> Delivery:
    """POST `payload` to `url`; retry on a network error or a 5xx/429, not on other 4xx.
    `backoff=()` makes one attempt only (keryx.listening.alerts retries on later ticks)."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    result = Delivery(ok=False)
    try:
        check_url(url, tuple(allow_private))
    except BlockedAddress as exc:
        result.attempts.append(Attempt(1, time.time(), "blocked", error=str(exc)))
        return result
    for number in range(1, len(backoff) + 2):
        ts = int(time.time())
        headers = {"Content-Type": "application/json", "X-Keryx-Timestamp": str(ts),
                   "X-Keryx-Signature": sign(secret, ts, body)}
        attempt = Attempt(number, time.time(), "failed")
        try:
            answer = httpx.post(url, content=body, headers=headers, timeout=timeout,
                                follow_redirects=False)
            attempt.code = answer.status_code
            if 200 <= answer.status_code < 300:
                attempt.status = "ok"
                result.attempts.append(attempt)
                result.ok = True
                return result
            retry = answer.status_code >= 500 or answer.status_code == 429
        except httpx.HTTPError as exc:
            attempt.error = str(exc) or type(exc).__name__
            retry = True
        result.attempts.append(attempt)
        if not retry or number > len(backoff):
            break
        sleep(backoff[number - 1])
    return result
