"""Bluesky facets (property, hypothesis): each facet's UTF-8 byte range slices the encoded text
to exactly its link or #tag, whatever comes before it (emoji, combining marks, CJK, RTL)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from keryx.networks.base import ProviderContext
from keryx.networks.bluesky import BlueskyProvider
from keryx.networks.text import find_mentions, utf8_offset

PIECES = [" ", "\n", "a", "Καλημέρα", "ς", "e\u0301", "👩‍👩‍👧", "👍🏽", "🇬🇷", "日本語", "שלום",
          "\u200f", "#tag", "#ελληνικά", "#日本", "#e\u0301t\u00e9", "https://example.com/a?b=1",
          "https://ουρανός.gr/ά", "(https://en.wikipedia.org/wiki/Foo_(bar))", ".", ",", "!",
          "@friend@mastodon.social", "#", "#1", "x#y", "&#38;"]
texts = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_facets_slice_the_utf8_bytes_exactly(text):
    provider = BlueskyProvider(ProviderContext(credentials={}))
    encoded = text.encode("utf-8")
    facets = provider._facets(text)  # no handle-like mentions here: nothing is resolved
    for facet in facets:
        index, feature = facet["index"], facet["features"][0]
        piece = encoded[index["byteStart"]:index["byteEnd"]].decode("utf-8")
        if feature["$type"].endswith("#link"):
            assert piece == feature["uri"]
        else:
            assert piece in ("#" + feature["tag"], "＃" + feature["tag"])
    starts = [f["index"]["byteStart"] for f in facets]
    assert starts == sorted(starts)
    assert all(a["index"]["byteEnd"] <= b["index"]["byteStart"]
               for a, b in zip(facets, facets[1:], strict=False))


@settings(max_examples=300, deadline=None)
@given(texts, st.sampled_from(["@alice.bsky.social", "@bob.test", "@ζωή.example"]))
def test_mention_offsets_slice_exactly(text, mention):
    # The same offset arithmetic the provider uses for mention facets (resolving the DID needs
    # the PDS: tests/test_bluesky_publish.py does that end to end).
    text = text + " " + mention + " " + text
    encoded = text.encode("utf-8")
    spans = [s for s in find_mentions(text) if not s.domain]
    assert spans
    for span in spans:
        piece = encoded[utf8_offset(text, span.start):utf8_offset(text, span.end)]
        assert piece.decode("utf-8") == "@" + span.value
