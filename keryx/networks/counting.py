"""Counting, in one place: the measures (grapheme clusters, UTF-8 / UTF-16 lengths, X's weighted
length), each network's declared text rules resolved for one channel, and where a text stops
fitting ("over by N from here" in the composer, the thread splitter's test).

The verdicts themselves come from each provider's validate(); tests/test_counting_networks.py
checks that both count the same.

Fast paths
----------

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import regex

from keryx.networks import registry
from keryx.networks.base import Counter, TextRule

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


def _windows(text: str, triggers: frozenset[str]) -> list[tuple[int, int]]:
    """Spans of `text` that need real segmentation: each run of trigger code points (a superset
    of the joiners) with one code point either side. Outside them every code point is a cluster
    of its own, and a window's edges are always cluster boundaries (they sit between two
    non-joiners). Windows closer than a few code points are merged: fewer, longer calls."""
    present = triggers.intersection(text)
    if not present:
        return []
    spans: list[tuple[int, int]] = []
    for match in _class_of(frozenset(present)).finditer(text):
        start, end = max(match.start() - 1, 0), min(match.end() + 1, len(text))
        if spans and start <= spans[-1][1] + 8:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def graphemes(text: str) -> int:
    r"""User-perceived characters (extended grapheme clusters): 👩‍👩‍👧 is one, é as e + ◌́ is one.
    The same answer as `len(regex.findall(r"\X"))`, segmenting only around joiners."""
    if text.isascii() and "\r" not in text:
        return len(text)
    joins = 0
    for start, end in _windows(text, _joiner_chars()):
        joins += (end - start) - len(_CLUSTER.findall(text, start, end))
    return len(text) - joins


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@cache
def _emoji_starts() -> frozenset[str]:
    """Joiners plus what an emoji cluster can start with: pictographs, regional indicators and
    keycap bases."""
    every = "".join(chr(i) for i in range(0x110000) if not 0xD800 <= i <= 0xDFFF)
    pictographs = regex.findall(r"[\p{Extended_Pictographic}\p{Regional_Indicator}]", every)
    return _joiner_chars() | frozenset(pictographs) | frozenset("0123456789#*")


_EMOJI_CLUSTER = regex.compile(
    r"^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|[0-9#*]\ufe0f?\u20e3)"
)


def emoji_bytes_length(text: str) -> int:
    """Threads' count: code points, except that an emoji (a cluster starting with a pictograph
    or a regional indicator, or a keycap) counts as its UTF-8 bytes."""
    total = len(text)
    for start, end in _windows(text, _emoji_starts()):
        total -= end - start
        for cluster in _CLUSTER.findall(text, start, end):
            total += len(cluster.encode("utf-8")) if _EMOJI_CLUSTER.match(cluster) else len(
                cluster)
    return total


# ---------------------------------------------------------------------------------------------
# X (twitter-text v3 weighted length)
# ---------------------------------------------------------------------------------------------

_LINE_ENDINGS = re.compile(r"\r\n|\r|\n")
# A run without ASCII whitespace holding a dot followed by a letter or digit: the only places a
# URL can be (a domain needs a dot and a label after it).
_NOT_SPACE_WITH_DOT = re.compile(r"[^ \t\n\r\f\v]*\.(?=\w)[^ \t\n\r\f\v]*")


@cache
def _emoji_table() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """twitter-text's own emoji list, as: the code points an emoji can start with, and a table
    from the first one or two code points to the sequences starting so, longest first (the
    order in which twitter-text's alternation tries them; a multi-code-point sequence always
    wins over a single one)."""
    from twitter_text.regexp.emoji import emoji_list, single_codepoint_emoji_ranges

    table: dict[str, set[str]] = {}
    for item in emoji_list:
        sequence = "".join(chr(int(cp, 16)) for cp in item.codepoint.split())
        if len(sequence) > 1:
            table.setdefault(sequence[:2], set()).add(sequence)
    singles = set()
    for low, high in single_codepoint_emoji_ranges:
        singles.update(chr(point) for point in range(low, high + 1))
    for char in singles:
        table.setdefault(char, set()).add(char)
    starts = frozenset(key[0] for key in table)
    return starts, {k: tuple(sorted(v, key=len, reverse=True)) for k, v in table.items()}


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
            for key in (text[index : index + 2], text[index]):
                found = next((seq for seq in table.get(key, ()) if text.startswith(seq, index)),
                             None)
                if found:
                    spans.append((index, index + len(found)))
                    position = index + len(found)
                    break
    return spans


@cache
def _cache_idna() -> None:
    """twitter-text converts every domain it finds to IDNA with Python's codec (stringprep:
    about a millisecond for a non-ASCII domain). The answer depends on the domain alone, so
    remember it."""
    import importlib

    # The module, not the package's function of the same name.
    module = importlib.import_module("twitter_text.extract_urls")
    module.idna_to_ascii = lru_cache(maxsize=4096)(module.idna_to_ascii)


def _url_spans(text: str) -> list[tuple[int, int]]:
    """twitter-text's URL extraction, run only on the whitespace-free pieces that contain a dot
    (a URL cannot span ASCII whitespace), each with the one character before it that the
    pattern looks at."""
    from twitter_text.extract_urls import extract_urls_with_indices

    _cache_idna()

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


# ---------------------------------------------------------------------------------------------
# Rules: what each network counts, against which limit (declared in Capabilities.text_rules)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One limit on one text. `overflow_at` is the code-point index from which the text no
    longer fits (None when it fits): the composer marks text[overflow_at:] as the part over."""

    unit: str  # "characters" | "weighted" | "bytes" | "utf16"
    count: int
    limit: int
    overflow_at: int | None = None

    @property
    def over_by(self) -> int:
        return max(self.count - self.limit, 0)

    @property
    def fits(self) -> bool:
        return self.count <= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit, "count": self.count, "limit": self.limit,
            "remaining": self.limit - self.count, "over_by": self.over_by,
            "overflow_at": self.overflow_at,
        }


@dataclass(frozen=True)
class Rule:
    """A TextRule resolved for one channel and one post: a counter and a limit."""

    unit: str
    count: Counter
    limit: int


def _resolve(rule: TextRule, settings: Mapping[str, Any], media_kinds: Sequence[str],
             content_warning: str) -> Rule:
    limit = rule.limit
    if "video" in media_kinds:
        limit = rule.limit if rule.limit_with_video is None else rule.limit_with_video
    elif media_kinds and rule.limit_with_images is not None:
        limit = rule.limit_with_images
    if rule.limit_setting and settings.get(rule.limit_setting):
        limit = int(settings[rule.limit_setting])
    count = rule.counter_for(settings) if rule.counter_for else rule.count
    if rule.counts_content_warning and content_warning:
        warning = count(content_warning)
        base = count
        return Rule(rule.unit, lambda text: warning + base(text), limit)
    return Rule(rule.unit, count, limit)


def rules(
    network: str,
    settings: Mapping[str, Any] | None = None,
    *,
    media_kinds: Sequence[str] = (),
    content_warning: str = "",
) -> list[Rule]:
    """The text limits `network` applies to a post's main text, given the channel's settings
    (a Mastodon server's own limit, X's premium length) and the kinds of attached media
    ("image", "video"), which change the limit on some networks (Telegram captions, TikTok
    photo posts). Unknown networks get no rule."""
    declared = registry.capabilities(network)
    if declared is None:
        return []
    return [_resolve(rule, settings or {}, media_kinds, content_warning)
            for rule in declared.text_rules]


def _cluster_start(text: str, index: int) -> int:
    """Move index back to the start of the grapheme cluster it falls in, so the highlight never
    cuts an emoji or an accented letter in two."""
    while 0 < index < len(text) and graphemes(text[index - 1 : index + 1]) == 1:
        index -= 1
    return index


def overflow_at(text: str, rule: Rule) -> int | None:
    """The shortest prefix that no longer fits, as a code-point index; None if the text fits.

    Exponential then binary search over prefixes: limits are small next to long texts, so the
    prefixes counted stay short and the search is cheap even on 5,000 characters."""
    if rule.count(text) <= rule.limit:
        return None
    low, high = 0, max(rule.limit, 1)
    while high < len(text) and rule.count(text[:high]) <= rule.limit:
        low, high = high, high * 2
    high = min(high, len(text))
    # Invariant: text[:low] fits, text[:high] does not.
    while high - low > 1:
        middle = (low + high) // 2
        if rule.count(text[:middle]) <= rule.limit:
            low = middle
        else:
            high = middle
    return _cluster_start(text, low)


def measure(text: str, rule: Rule) -> Measure:
    count = rule.count(text)
    return Measure(rule.unit, count, rule.limit,
                   overflow_at(text, rule) if count > rule.limit else None)


def measures(text: str, network: str, settings: Mapping[str, Any] | None = None, *,
             media_kinds: Sequence[str] = (), content_warning: str = "") -> list[Measure]:
    return [measure(text, rule) for rule in rules(network, settings, media_kinds=media_kinds,
                                                  content_warning=content_warning)]


def fits(text: str, network: str, settings: Mapping[str, Any] | None = None, **kw: Any) -> bool:
    return all(rule.count(text) <= rule.limit for rule in rules(network, settings, **kw))
