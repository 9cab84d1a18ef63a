"""Fast, exact text measures: grapheme clusters and X's weighted length.

The composer validates a post for every network on each keystroke (and `POST /api/v1/validate`
for all networks at once), so these run often on long texts. The straightforward versions are
slow on 5,000 characters: `regex`'s \\X over the whole text takes about 2 ms, and twitter-text's
`parse_tweet` about 100 ms (its emoji pattern is one alternation of ~3,700 sequences tried at
every position). Both answers here are the same numbers, reached by doing the expensive work
only where it can change the result; tests/test_counting_fast.py checks them against the slow
reference implementations with hypothesis.

Pure Python, no Django.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import regex

# ---------------------------------------------------------------------------------------------
# Grapheme clusters
# ---------------------------------------------------------------------------------------------

_CLUSTER = regex.compile(r"\X")
# Code points that can join the code point before or after them into one cluster (UAX #29):
# combining marks and other Extend (skin tones, variation selectors, viramas), ZWJ, spacing
# marks, prepend marks, regional indicators (flags pair them), Hangul jamo, and CR (CR LF).
# Between two code points that are both outside this set there is always a cluster boundary.
_JOINERS = (
    r"[\p{Grapheme_Cluster_Break=Extend}\p{Grapheme_Cluster_Break=ZWJ}"
    r"\p{Grapheme_Cluster_Break=SpacingMark}\p{Grapheme_Cluster_Break=Prepend}"
    r"\p{Grapheme_Cluster_Break=Regional_Indicator}\p{Grapheme_Cluster_Break=L}"
    r"\p{Grapheme_Cluster_Break=V}\p{Grapheme_Cluster_Break=T}\r]"
)


@cache
def _joiner_chars() -> frozenset[str]:
    """Every joiner code point (a few thousand), from `regex`'s own tables so both agree on the
    Unicode version. Built once, on first use (about half a second)."""
    every = "".join(chr(i) for i in range(0x110000) if not 0xD800 <= i <= 0xDFFF)
    return frozenset(regex.findall(_JOINERS, every))


@lru_cache(maxsize=512)
def _class_of(chars: frozenset[str]) -> re.Pattern[str]:
    """A `re` class of just these characters: scanning a small class is fast, a class of
    thousands of ranges is not (re tests them one by one)."""
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]+")


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters), as `len(regex.findall(r"\\X"))`.

    Every code point is its own cluster except around "joiners"; only windows around runs of
    joiners (one code point either side) are segmented."""
    if text.isascii() and "\r" not in text:
        return len(text)
    # A text has few distinct code points: intersecting sets is far cheaper than a scan.
    present = _joiner_chars().intersection(text)
    if not present:
        return len(text)
    joins = 0
    window_start = window_end = -1
    for match in _class_of(frozenset(present)).finditer(text):
        start, end = max(match.start() - 1, 0), min(match.end() + 1, len(text))
        if start < window_end:  # overlaps the window being built: grow it
            window_end = end
            continue
        if window_end > window_start:
            piece = text[window_start:window_end]
            joins += len(piece) - len(_CLUSTER.findall(piece))
        window_start, window_end = start, end
    if window_end > window_start:
        piece = text[window_start:window_end]
        joins += len(piece) - len(_CLUSTER.findall(piece))
    return len(text) - joins


# ---------------------------------------------------------------------------------------------
# X (twitter-text v3 weighted length)
# ---------------------------------------------------------------------------------------------

_LINE_ENDINGS = re.compile(r"\r\n|\r|\n")
# A run without ASCII whitespace holding a dot followed by a letter or digit: the only places a
# URL can be (a domain needs a dot and a label after it).
_NOT_SPACE_WITH_DOT = re.compile(r"[^ \t\n\r\f\v]*\.(?=\w)[^ \t\n\r\f\v]*")


@cache
def _emoji_table() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """twitter-text's own emoji list, as: a class of the code points an emoji can start with,
    and per first code point its multi-code-point sequences, longest first (the order in which
    twitter-text's alternation tries them) and its single-code-point emoji."""
    from twitter_text.regexp.emoji import emoji_list, single_codepoint_emoji_ranges

    by_first: dict[str, list[str]] = {}
    for item in emoji_list:
        sequence = "".join(chr(int(cp, 16)) for cp in item.codepoint.split())
        if len(sequence) > 1:
            by_first.setdefault(sequence[0], []).append(sequence)
    for low, high in single_codepoint_emoji_ranges:
        for point in range(low, high + 1):
            by_first.setdefault(chr(point), []).append(chr(point))
    table = {
        first: tuple(sorted(set(seqs), key=len, reverse=True)) for first, seqs in by_first.items()
    }
    return frozenset(table), table


def _emoji_spans(text: str) -> list[tuple[int, int]]:
    starts, table = _emoji_table()
    present = starts.intersection(text)
    spans: list[tuple[int, int]] = []
    if not present:
        return spans
    position = 0
    for run in _class_of(frozenset(present)).finditer(text):
        for index in range(max(run.start(), position), run.end()):
            if index < position:
                continue
            for sequence in table[text[index]]:
                if text.startswith(sequence, index):
                    spans.append((index, index + len(sequence)))
                    position = index + len(sequence)
                    break
    return spans


def _url_spans(text: str) -> list[tuple[int, int]]:
    """twitter-text's URL extraction, run only on the whitespace-free pieces that contain a dot
    (a URL cannot span ASCII whitespace), each with the one character before it that the
    pattern looks at."""
    from twitter_text.extract_urls import extract_urls_with_indices

    spans: list[tuple[int, int]] = []
    for piece in _NOT_SPACE_WITH_DOT.finditer(text):
        offset = max(piece.start() - 1, 0)
        for entity in extract_urls_with_indices(text[offset : piece.end()]):
            # parse_tweet steps over len(url) code points, whatever the indices say.
            start = offset + entity["indices"][0]
            spans.append((start, start + len(entity["url"])))
    return spans


def _heavy_class(ranges: list[dict[str, int]]) -> re.Pattern[str]:
    light = "".join(
        f"{re.escape(chr(r['start']))}-{re.escape(chr(r['end']))}" for r in ranges
        if r["weight"] == 100
    )
    return re.compile(f"[^{light}]")


@cache
def _config_pattern(key: tuple[tuple[int, int, int], ...]) -> re.Pattern[str]:
    return _heavy_class([{"start": s, "end": e, "weight": w} for s, e, w in key])


def twitter_weighted_length(text: str, options: dict) -> int:
    """`twitter_text.parse_tweet(text, options).weightedLength`, computed in bulk: every code
    point weighs 100 or (outside the light ranges) default_weight; then each URL and emoji
    found the way parse_tweet finds them replaces the weight of the code points it covers
    (URL: transformed_url_length, emoji: default_weight)."""
    scale = options["scale"]
    if any(r["weight"] != scale for r in options["ranges"]) or not options.get(
        "emoji_parsing_enabled", True
    ):
        from twitter_text import parse_tweet

        return parse_tweet(text, options).weightedLength
    heavy = _config_pattern(tuple((r["start"], r["end"], r["weight"]) for r in options["ranges"]))
    default = options["default_weight"]
    url_weight = options["transformed_url_length"] * scale
    normalized = _LINE_ENDINGS.sub("\n", unicodedata.normalize("NFC", text))

    def weight(start: int, end: int) -> int:
        piece = normalized[start:end]
        n_heavy = len(heavy.findall(piece))
        return (len(piece) - n_heavy) * scale + n_heavy * default

    total = weight(0, len(normalized))
    urls = {start: end for start, end in _url_spans(normalized)} if "." in normalized else {}
    emoji = {start: end for start, end in _emoji_spans(normalized)}
    # parse_tweet walks left to right: an entity starting inside one already taken is skipped,
    # and a URL wins over an emoji starting at the same index.
    covered = 0
    for start in sorted(set(urls) | set(emoji)):
        if start < covered:
            continue
        if start in urls:
            end, replacement = urls[start], url_weight
        else:
            end, replacement = emoji[start], default
        end = max(end, start + 1)
        total += replacement - weight(start, end)
        covered = end
    return total // scale
