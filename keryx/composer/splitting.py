"""Split a long text into a thread: parts that each fit the network, cut on sentence boundaries
(then words, then grapheme clusters when one sentence or word alone is too long), optionally
numbered "1/3".

The split is a list of spans that cover the text exactly, in order: no character is lost or
moved (tests/test_threads_split.py checks this with hypothesis). A part's text is its span
without the whitespace at its edges, plus the numbering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex

# Where a sentence ends: after . ! ? … and the Greek question mark (";" or U+037E), with closing
# quotes or brackets, before whitespace; after CJK 。！？ (no space follows them); at blank lines.
_SENTENCE_END = regex.compile(
    r"(?:[.!?…;\u037e][\"'”’»)\]]*\s+|[。！？][」』）”’]*\s*|\n\s*\n\s*)"
)
_WORD_END = regex.compile(r"\s+")
_CLUSTER = regex.compile(r"\X")


def thread_parts(value: str) -> list[str]:
    """The composer's thread field: replies separated by a line holding only ---."""
    return [part.strip() for part in regex.split(r"\n[ \t]*---[ \t]*\n", value) if part.strip()]


@dataclass(frozen=True)
class Part:
    start: int
    end: int
    text: str  # the part as it will be posted (trimmed, numbered)


def _pieces(text: str, pattern: regex.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut after each match of pattern (the separator stays with the piece)."""
    pieces, cursor = [], start
    for match in pattern.finditer(text, start, end):
        if match.end() > cursor and match.end() < end:
            pieces.append((cursor, match.end()))
            cursor = match.end()
    pieces.append((cursor, end))
    return [p for p in pieces if p[1] > p[0]]


def _units(text: str, start: int, end: int, fits: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Sentences that fit alone; a sentence too long is cut into words, a word into clusters."""
    units: list[tuple[int, int]] = []
    for s_start, s_end in _pieces(text, _SENTENCE_END, start, end):
        if fits(text[s_start:s_end].strip()):
            units.append((s_start, s_end))
            continue
        for w_start, w_end in _pieces(text, _WORD_END, s_start, s_end):
            if fits(text[w_start:w_end].strip()):
                units.append((w_start, w_end))
                continue
            for cluster in _CLUSTER.finditer(text, w_start, w_end):
                units.append((cluster.start(), cluster.end()))
    return units


def _pack(text: str, fits: Callable[[str], bool], suffix: Callable[[int], str]
          ) -> list[tuple[int, int]]:
    """Greedy: each part takes as many whole units as fit with its suffix."""
    spans: list[tuple[int, int]] = []
    units = _units(text, 0, len(text), lambda t: fits(t + suffix(1)))
    start = end = 0
    for u_start, u_end in units:
        if end > start and not fits(text[start:u_end].strip() + suffix(len(spans) + 1)):
            spans.append((start, u_start))
            start = u_start
        end = u_end
    spans.append((start, len(text)))
    return spans


def split_thread(text: str, fits: Callable[[str], bool], *, numbering: bool = False) -> list[Part]:
    """Cut `text` into parts that each satisfy `fits` (the network's own count and limit).

    Numbering appends " i/n"; n is not known before splitting, so the split is redone with room
    for the largest n seen until the number of parts no longer grows."""
    if not numbering:
        return [Part(s, e, text[s:e].strip()) for s, e in _pack(text, fits, lambda i: "")]
    guess = 1
    for _ in range(6):
        spans = _pack(text, fits, lambda i, n=guess: f" {i}/{n}")
        if len(spans) <= guess:
            break
        guess = len(spans)
    n = len(spans)
    return [Part(s, e, f"{text[s:e].strip()} {i}/{n}") for i, (s, e) in enumerate(spans, 1)]
