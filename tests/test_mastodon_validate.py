"""Mastodon's character counting and media rules, checked without a network (validate is pure)."""

from __future__ import annotations

import pytest

from keryx.networks.base import MediaItem, ProviderContext, PublishRequest
from keryx.networks.mastodon import MastodonProvider, mastodon_length, normalize_instance_url


def validate(text: str = "hi", cw: str = "", media=(), **settings):
    provider = MastodonProvider(ProviderContext(credentials={}, settings=settings))
    return provider.validate(PublishRequest(text=text, content_warning=cw, media=tuple(media)))


def codes(problems) -> list[str]:
    return [p.code for p in problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("https://example.com/a/very/long/path/that/goes/on?and=on&on=on", 23),
        ("see http://x.io.", 4 + 23 + 1),
        ("@alice@example.social hi", len("@alice hi")),
        ("@alice hi", 9),
        ("Καλημέρα", 8),
        ("👩‍👩‍👧 e\u0301", 3),  # a family emoji is one grapheme, e + combining accent one
        ("🇬🇷🇬🇷", 2),
        ("mail me@example.com", 19),  # an e-mail address is not a mention
    ],
)
def test_length(text, expected):
    assert mastodon_length(text) == expected


def test_limit_counts_content_warning_and_uses_instance_setting():
    assert validate("a" * 500) == []
    assert codes(validate("a" * 501)) == ["too_long"]
    assert codes(validate("a" * 490, cw="b" * 11)) == ["too_long"]
    assert validate("a" * 490, cw="b" * 10) == []
    # Links count 23 whatever their length: 476 + 1 + 23 = 500.
    assert validate("a" * 476 + " https://example.com/" + "x" * 200) == []
    assert codes(validate("a" * 477 + " https://example.com/")) == ["too_long"]
    # An instance with a larger limit (read at connect time).
    assert validate("a" * 900, max_characters=1000) == []
    problem = validate("Ω" * 1001, max_characters=1000)[0]
    assert problem.params == {"length": 1001, "limit": 1000}
    assert "1001" in problem.message and "1000" in problem.message


def test_greek_and_emoji_are_counted_as_graphemes():
    # 45 × "Καλημέρα 👩‍👩‍👧 " = 45 × 11 graphemes = 495, though 45 × 16 = 720 code points.
    assert mastodon_length("Καλημέρα 👩‍👩‍👧 " * 45) == 495
    assert validate("Καλημέρα 👩‍👩‍👧 " * 45) == []
    text = "Γειά 👍🏽"  # 4 + space + one skin-toned emoji = 6 graphemes
    assert mastodon_length(text) == 6
    assert validate(text * 83) == []  # 498
    assert codes(validate(text * 84)) == ["too_long"]  # 504


def image(name="a.png", mime="image/png", size=1000, alt=""):
    return MediaItem(name, mime, size, alt_text=alt)


def test_media_rules():
    assert validate(media=[image()] * 4) == []
    assert codes(validate(media=[image()] * 5)) == ["too_many_media"]
    assert codes(validate(media=[image()] * 3, max_media=2)) == ["too_many_media"]
    assert codes(validate(media=[image("notes.txt", "text/plain")])) == ["media_type"]
    assert codes(validate(media=[image(size=20 * 1024 * 1024)])) == ["media_too_large"]
    assert codes(validate(media=[image(size=2000)], image_size_limit=1000)) == ["media_too_large"]
    assert codes(
        validate(media=[image("v.mp4", "video/mp4", 1000), image()])
    ) == ["mixed_media"]
    assert codes(
        validate(media=[image("x.png", "image/png")], supported_mime_types=["image/jpeg"])
    ) == ["media_type"]
    assert validate(media=[image(alt="α" * 1500)]) == []
    assert codes(validate(media=[image(alt="α" * 1501)])) == ["alt_text_too_long"]


def test_empty_post_needs_text_or_media():
    assert codes(validate("  ")) == ["empty"]
    assert validate("", media=[image()]) == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("https://Mastodon.Social/", "https://mastodon.social"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
    ],
)
def test_instance_url_normalised(given, expected):
    assert normalize_instance_url(given) == expected


@pytest.mark.parametrize(
    "bad", ["", "ftp://x.org", "https://x.org/path", "https://", "not a url", "https://x.org:99999"]
)
def test_bad_instance_url(bad):
    with pytest.raises(ValueError):
        normalize_instance_url(bad)
