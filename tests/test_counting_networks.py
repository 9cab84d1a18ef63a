"""Counting per network, table-driven: emoji sequences (ZWJ, skin tones, flags, keycaps),
combining marks, Greek with accents and final sigma, CJK, RTL and URLs with Unicode. Each row
is what the network's own rule gives; the composer's counters (keryx.networks.counting) and the
providers' validate() must agree with it and with each other."""

from __future__ import annotations

import pytest

from keryx.networks import counting, registry
from keryx.networks.base import ProviderContext, PublishRequest

FAMILY = "👩\u200d👩\u200d👧"  # 3 people joined by ZWJ: 5 code points, 18 bytes, 8 UTF-16 units
THUMB = "👍🏽"  # with a skin tone: 2 code points, 8 bytes
FLAG = "🇬🇷"  # two regional indicators
KEYCAP = "1\ufe0f\u20e3"
E_ACUTE = "e\u0301"  # e + combining acute: one character, two code points (NFC: é)
ODYSSEUS = "Ὀδυσσεύς"  # Greek Extended capital (X weighs it 2), accents, final sigma
CJK = "日本語"
HEBREW = "\u200fשלום"  # RLM + Hebrew
GREEK_URL = "https://ουρανός.gr/ά"

# text -> {network: expected count of the main text}
TABLE = [
    (FAMILY, {"x": 2, "mastodon": 1, "bluesky": 1, "threads": 18, "instagram": 8,
              "facebook": 1, "linkedin": 8, "youtube": 18, "telegram": 8, "pinterest": 5}),
    (THUMB, {"x": 2, "mastodon": 1, "bluesky": 1, "threads": 8, "instagram": 4,
             "youtube": 8, "pinterest": 2}),
    (FLAG, {"x": 2, "mastodon": 1, "bluesky": 1, "threads": 8, "linkedin": 4}),
    (KEYCAP, {"x": 2, "mastodon": 1, "bluesky": 1, "threads": 7, "telegram": 3}),
    (E_ACUTE, {"x": 1, "mastodon": 1, "bluesky": 1, "threads": 2, "instagram": 2,
               "youtube": 3, "pinterest": 2, "facebook": 1}),
    (ODYSSEUS, {"x": 9, "mastodon": 8, "bluesky": 8, "threads": 8, "linkedin": 8,
                "youtube": 17}),
    ("ΣΟΦΟΣ σοφός", {"x": 11, "mastodon": 11, "bluesky": 11, "youtube": 21}),
    (CJK, {"x": 6, "mastodon": 3, "bluesky": 3, "threads": 3, "linkedin": 3, "youtube": 9}),
    (HEBREW, {"x": 6, "mastodon": 5, "bluesky": 5, "linkedin": 5, "youtube": 11}),
    ("مرحبا بالعالم", {"x": 13, "mastodon": 13, "youtube": 25}),
    # twitter-text ends the URL before a non-ASCII path character: 23 + "ά".
    (GREEK_URL, {"x": 24, "mastodon": 23, "bluesky": 20, "threads": 20, "youtube": 28}),
    ("see example.com now", {"x": 31, "mastodon": 19}),  # X links without a scheme too
    ("@alice@mastodon.social hi", {"mastodon": 9, "x": 25, "bluesky": 25}),
    ("english text 日本語 😷 https://example.com", {"x": 46}),  # twitter-text's own example
]
CASES = [(text, network, expected) for text, row in TABLE for network, expected in row.items()]


@pytest.mark.parametrize(("text", "network", "expected"), CASES)
def test_counts(text, network, expected):
    assert counting.measures(text, network)[0].count == expected


@pytest.mark.parametrize("network", sorted(registry.PROVIDERS))
def test_composer_counts_what_the_provider_refuses(network):
    """Past the limit, the provider's own problem reports the same count the composer shows."""
    rule = counting.rules(network)[0]
    unit = {"weighted": "x", "bytes": "ü", "utf16": FAMILY}.get(rule.unit, ODYSSEUS + " ")
    text = unit * (rule.limit // 2 + 10) + "end"
    while rule.count(text) <= rule.limit:
        text += text
    provider = registry.get_provider_class(network)(ProviderContext(credentials={}))
    problems = [p for p in provider.validate(PublishRequest(text=text, options={"title": "t"}))
                if p.field == "text" and p.code.startswith("text_too") or p.code == "too_long"]
    assert problems, network
    counted = problems[0].params.get("count", problems[0].params.get("length"))
    assert counted == rule.count(text)
    measure = counting.measure(text, rule)
    assert measure.over_by == counted - rule.limit > 0
    # The overflow starts exactly where a prefix stops fitting.
    assert rule.count(text[: measure.overflow_at]) <= rule.limit
    assert rule.count(text[: measure.overflow_at + 1]) > rule.limit or (
        counting.graphemes(text[measure.overflow_at:measure.overflow_at + 2]) == 1)


def test_mastodon_server_limit_and_content_warning():
    (rule,) = counting.rules("mastodon", {"max_characters": 1000}, content_warning="CW " + CJK)
    assert rule.limit == 1000 and rule.count("abc") == 6 + 3


def test_telegram_caption_limit_with_media():
    assert counting.rules("telegram")[0].limit == 4096
    assert counting.rules("telegram", media_kinds=["image"])[0].limit == 1024


def test_unknown_network_has_no_rule():
    assert counting.rules("myspace") == []
