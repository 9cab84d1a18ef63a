"""The fast counters (keryx/networks/counting.py) give exactly the reference answers: `regex`'s
\\X for grapheme clusters and twitter-text's parse_tweet for X's weighted length."""

from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from keryx.networks.counting import graphemes, twitter_weighted_length
from keryx.networks.x import TWITTER_TEXT_V3

# Pieces that stress the rules: joiners, flags, keycaps, Hangul jamo, CR LF, URLs with and
# without a scheme, t.co links, Unicode domains, CJK, RTL, Greek with accents.
PIECES = [
    "a", " ", ".", "\n", "\r", "\r\n", "e\u0301", "\u0301", "\u200d", "\ufe0f", "👩", "👩‍👩‍👧",
    "👍🏽", "🏽", "🇬", "🇷", "🇬🇷", "1️⃣", "#️⃣", "#", "1", "©", "™", "Ὀδυσσεύς", "ς", "ά",
    "日本語", "한", "\u1100", "\u1161", "\u11a8", "שלום", "مرحبا", "\u0600", "क्ष",
    "https://example.com/path?q=1", "http://ουρανός.gr/ά", "example.com", "t.co/abcdef",
    "https://t.co/" + "a" * 45, "x.co", "@alice", "@bob@example.social", "#tag", "…", "!",
    "(", ")", "www.example.org", "xn--bcher-kva.example", "😀", "🫠", "\u2028", "\u00a0",
]

texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
mixed = st.one_of(texts, st.text(max_size=60))


@settings(max_examples=400, deadline=None)
@given(mixed)
def test_graphemes_match_regex_cluster_segmentation(text: str) -> None:
    assert graphemes(text) == len(regex.findall(r"\X", text))


@settings(max_examples=400, deadline=None)
@given(mixed)
def test_twitter_weighted_length_matches_parse_tweet(text: str) -> None:
    assert twitter_weighted_length(text, TWITTER_TEXT_V3) == (
        parse_tweet(text, TWITTER_TEXT_V3).weightedLength
    )


def test_long_mixed_text_agrees_too() -> None:
    text = ("Καλημέρα 👩‍👩‍👧 https://example.com/ü x.co ok. 日本語 🇬🇷 e\u0301 1️⃣ " * 80)[:5000]
    assert graphemes(text) == len(regex.findall(r"\X", text))
    assert twitter_weighted_length(text, TWITTER_TEXT_V3) == (
        parse_tweet(text, TWITTER_TEXT_V3).weightedLength
    )


_EMOJI = regex.compile(
    r"^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|[0-9#*]\ufe0f?\u20e3)"
)


def reference_threads_length(text: str) -> int:
    """Threads' rule spelled out over every cluster: emoji as UTF-8 bytes, else code points."""
    return sum(len(c.encode()) if _EMOJI.match(c) else len(c) for c in regex.findall(r"\X", text))


@settings(max_examples=400, deadline=None)
@given(mixed)
def test_threads_length_matches_the_cluster_by_cluster_rule(text: str) -> None:
    from keryx.networks.threads import threads_length

    assert threads_length(text) == reference_threads_length(text)
