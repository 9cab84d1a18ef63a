"""Splitting a long text into a thread: sentence boundaries first, every part fits the network,
and (hypothesis) no character is ever lost or moved."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from keryx.composer.splitting import split_thread
from keryx.networks import counting

PIECES = ["Hello", " ", "world", ".", "!", "?", ";", "…", "\n", "\n\n", "Καλημέρα", "κόσμε",
          "👩‍👩‍👧", "e\u0301", "日本語。", "שלום", "https://example.com/" + "p" * 30, "🇬🇷",
          "x" * 120, "#tag", "@alice@example.social"]
texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=120).map("".join)


def fits_under(limit: int):
    return lambda text: counting.graphemes(text) <= limit


@settings(max_examples=300, deadline=None)
@given(texts, st.sampled_from([40, 100, 300]), st.booleans())
def test_split_never_loses_or_reorders_a_character(text, limit, numbering):
    parts = split_thread(text, fits_under(limit), numbering=numbering)
    # The spans cover the text exactly, in order.
    assert parts[0].start == 0 and parts[-1].end == len(text)
    assert all(a.end == b.start for a, b in zip(parts, parts[1:], strict=False))
    assert "".join(text[p.start:p.end] for p in parts) == text
    # Each part posts its span's text (edges trimmed) plus the numbering, nothing else.
    for index, part in enumerate(parts, 1):
        body = text[part.start:part.end].strip()
        suffix = f" {index}/{len(parts)}" if numbering else ""
        assert part.text == body + suffix
        assert fits_under(limit)(part.text)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_every_part_fits_the_real_network_counts(text):
    for network in ("x", "bluesky", "mastodon", "threads"):
        parts = split_thread(text, lambda t, n=network: counting.fits(t, n))
        assert all(counting.fits(p.text, network) for p in parts)


def test_cuts_on_sentence_boundaries():
    sentences = [f"Sentence {i} says something short." for i in range(30)]
    parts = split_thread(" ".join(sentences), fits_under(100), numbering=True)
    assert len(parts) > 3
    for part in parts:
        body = part.text.rsplit(" ", 1)[0]
        assert body.endswith(".") and body.startswith("Sentence")
    assert parts[-1].text.endswith(f" {len(parts)}/{len(parts)}")


def test_greek_question_mark_and_cjk_full_stop_end_sentences():
    text = "Τι κάνεις; Καλά είμαι. 今日は晴れです。明日は雨です。"
    parts = split_thread(text, fits_under(12))
    assert [p.text for p in parts] == ["Τι κάνεις;", "Καλά είμαι.", "今日は晴れです。",
                                       "明日は雨です。"]


def test_a_word_longer_than_the_limit_is_cut_between_characters():
    text = "Start. " + "👍🏽" * 30 + " end."
    parts = split_thread(text, fits_under(10))
    assert all(counting.graphemes(p.text) <= 10 for p in parts)
    assert "".join(p.text for p in parts).replace(" ", "") == text.replace(" ", "")
    assert all("\U0001F3FD" not in p.text[:1] for p in parts)  # no orphan skin tone


def test_short_text_is_one_part():
    assert [p.text for p in split_thread("  Hi there.  ", fits_under(300))] == ["Hi there."]
