"""Bluesky validation and record keys: pure, no server."""

from __future__ import annotations

import re
import time

import pytest

from keryx.networks.base import MediaItem, ProviderContext, PublishRequest
from keryx.networks.bluesky import BlueskyProvider, new_tid

FAMILY = "👩\u200d👩\u200d👧\u200d👦"  # one grapheme, 25 UTF-8 bytes


@pytest.fixture
def provider() -> BlueskyProvider:
    return BlueskyProvider(ProviderContext(credentials={"handle": "a.test", "app_password": "x"}))


def codes(provider: BlueskyProvider, text: str = "hello", media=()) -> list[str]:
    return [p.code for p in provider.validate(PublishRequest(text=text, media=tuple(media)))]


def image(name: str = "a.png", mime: str = "image/png", size: int = 1000) -> MediaItem:
    return MediaItem(path=f"/nowhere/{name}", mime_type=mime, size=size, alt_text="alt")


def test_300_greek_letters_fit(provider):
    assert codes(provider, "α" * 300) == []


def test_301_graphemes_are_too_long(provider):
    problems = provider.validate(PublishRequest(text="α" * 301))
    assert [p.code for p in problems] == ["text_too_long"]
    assert problems[0].params == {"limit": 300, "count": 301}


def test_graphemes_not_code_points_are_counted(provider):
    # e + combining acute accent: 300 graphemes, 600 code points, 900 bytes.
    assert codes(provider, "e\u0301" * 300) == []


def test_byte_limit_applies_under_the_grapheme_limit(provider):
    assert codes(provider, FAMILY * 120) == []  # 120 graphemes, exactly 3000 bytes
    problems = provider.validate(PublishRequest(text=FAMILY * 121))
    assert [p.code for p in problems] == ["text_too_many_bytes"]
    assert problems[0].params == {"limit": 3000, "count": 3025}


def test_both_limits_reported(provider):
    assert codes(provider, FAMILY * 301) == ["text_too_long", "text_too_many_bytes"]


def test_five_images_are_too_many(provider):
    assert codes(provider, media=[image(f"{i}.png") for i in range(4)]) == []
    assert codes(provider, media=[image(f"{i}.png") for i in range(5)]) == ["too_many_media"]


def test_a_non_image_is_refused(provider):
    problems = provider.validate(
        PublishRequest(text="x", media=(image("notes.txt", "text/plain"),))
    )
    assert [p.code for p in problems] == ["media_type"]
    assert problems[0].params["mime_type"] == "text/plain"


def test_image_size_limit(provider):
    assert codes(provider, media=[image(size=2_000_000)]) == []
    assert codes(provider, media=[image(size=2_000_001)]) == ["media_too_large"]


def test_empty_post_is_refused_but_an_image_alone_is_fine(provider):
    assert codes(provider, "  ") == ["empty"]
    assert codes(provider, "", [image()]) == []


def test_capabilities():
    caps = BlueskyProvider.capabilities
    assert (caps.text_limit, caps.counting, caps.media.max_items) == (300, "bluesky", 4)
    assert caps.idempotent_publish and caps.connect == "app_password"
    assert BlueskyProvider.text_max_bytes == 3000


def test_tids_are_valid_sortable_and_unique():
    keys = [new_tid() for _ in range(2000)]
    assert all(re.fullmatch(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}", k)
               for k in keys)
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    # The high 53 bits are microseconds since the epoch.
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    value = 0
    for char in keys[-1]:
        value = value * 32 + alphabet.index(char)
    assert abs((value >> 10) / 1e6 - time.time()) < 5
    assert BlueskyProvider.new_idempotency_key() > keys[-1]
