"""The one media check (networks/mediacheck.py): each MediaRules rule, its code, params and
wording, independent of any provider."""

from __future__ import annotations

import dataclasses

from keryx.library.specs import spec_for
from keryx.networks import registry
from keryx.networks.base import (
    ImageGeometry,
    MediaItem,
    MediaRules,
    ProviderContext,
    PublishRequest,
)
from keryx.networks.mediacheck import kind_of, media_problems

PHOTOS = MediaRules(max_items=4, image_types=frozenset({"image/jpeg", "image/png"}),
                    max_image_bytes=1024 * 1024, video_types=frozenset({"video/mp4"}),
                    max_video_bytes=10 * 1024 * 1024, alt_text_max=10)


def item(name: str = "a.jpg", mime: str = "image/jpeg", size: int = 1000, **kw) -> MediaItem:
    return MediaItem(path=f"/nowhere/{name}", mime_type=mime, size=size, **kw)


def codes(rules: MediaRules, *media: MediaItem) -> list[str]:
    return [p.code for p in media_problems("Net", rules, media)]


def test_counts_and_the_required_minimum() -> None:
    assert codes(PHOTOS, *[item()] * 4) == []
    [problem] = media_problems("Net", PHOTOS, [item()] * 5)
    assert (problem.code, problem.params) == ("too_many_media", {"count": 5, "limit": 4})
    assert problem.message == "5 attachments; Net takes at most 4 in one post."
    required = dataclasses.replace(PHOTOS, min_items=1)
    [problem] = media_problems("Net", required, [])
    assert problem.code == "media_required"
    assert problem.message == "A post on Net needs an image or a video."
    video_only = MediaRules(min_items=1, image_types=frozenset(),
                            video_types=frozenset({"video/mp4"}))
    assert codes(video_only) == ["video_required"]


def test_types_sizes_and_alt_text() -> None:
    [problem] = media_problems("Net", PHOTOS, [item("a.gif", "image/gif")])
    assert problem.code == "media_type"
    assert problem.params == {"index": 0, "mime_type": "image/gif"}
    assert problem.message == (
        "a.gif: Net takes JPEG/PNG images and MP4 videos, not GIF (image/gif).")
    [problem] = media_problems("Net", PHOTOS, [item(size=2 * 1024 * 1024)])
    assert problem.code == "media_too_large"
    assert problem.params["limit"] == 1024 * 1024
    assert problem.message == "a.jpg is 2 MB; Net takes JPEG (image/jpeg) files up to 1 MB."
    assert codes(PHOTOS, item(alt_text="x" * 11)) == ["alt_text_too_long"]
    gif_limit = dataclasses.replace(PHOTOS, image_types=frozenset({"image/gif"}),
                                    type_max_bytes=(("image/gif", 3 * 1024 * 1024),))
    assert codes(gif_limit, item("a.gif", "image/gif", 2 * 1024 * 1024)) == []
    small = dataclasses.replace(PHOTOS, min_video_bytes=5000)
    assert codes(small, item("v.mp4", "video/mp4", 10)) == ["media_size"]


def test_what_must_stay_alone_and_mixing() -> None:
    alone = dataclasses.replace(PHOTOS, alone=frozenset({"video", "image/gif"}),
                                image_types=frozenset({"image/jpeg", "image/gif"}))
    video = item("v.mp4", "video/mp4")
    assert codes(alone, video, item()) == ["mixed_media"]
    assert codes(alone, item("a.gif", "image/gif"), item()) == ["mixed_media"]
    assert codes(alone, video, video) == ["too_many_media"]
    assert codes(PHOTOS, video, item()) == ["mixed_media"]
    assert codes(dataclasses.replace(PHOTOS, mix_images_and_video=True), video, item()) == []


def test_image_geometry() -> None:
    rules = dataclasses.replace(PHOTOS, geometry=ImageGeometry(
        min_aspect=0.8, max_aspect=1.91, min_side=250, max_pixels=999_999))
    assert codes(rules, item(width=1000, height=1000)) == ["image_too_large"]
    assert codes(rules, item(width=800, height=800)) == []
    assert codes(rules, item(width=2000, height=1000)) == ["image_too_large", "aspect_ratio"]
    assert codes(rules, item(width=200, height=200)) == ["media_dimensions"]
    telegram = dataclasses.replace(PHOTOS, geometry=ImageGeometry(max_w_plus_h=10_000,
                                                                 max_side_ratio=20))
    [problem] = media_problems("Net", telegram, [item(width=2100, height=100)])
    assert problem.code == "media_dimensions"
    assert "width + height ≤ 10000 and a side ratio of at most 20" in problem.message


def test_kinds() -> None:
    rules = dataclasses.replace(PHOTOS, document_types=frozenset({"application/pdf"}),
                                any_video_type=True)
    assert kind_of(rules, "image/png") == "image"
    assert kind_of(rules, "video/x-matroska") == "video"
    assert kind_of(rules, "application/pdf") == "document"
    assert kind_of(rules, "text/plain") == ""


def test_every_provider_checks_media_through_its_declared_rules() -> None:
    """A post over each network's declared count is refused by that network's validate()."""
    for name in registry.PROVIDERS:
        cls = registry.get_provider_class(name)
        rules = cls.capabilities.media
        mime = sorted(rules.image_types or rules.video_types)[0]
        media = tuple(item(f"{i}.bin", mime) for i in range(rules.max_items + 1))
        provider = cls(ProviderContext(credentials={}, settings={}))
        found = {p.code for p in provider.validate(PublishRequest(text="x", media=media))}
        assert "too_many_media" in found, name


def test_one_geometry_declaration_feeds_the_check_and_the_adapter() -> None:
    # Telegram declares its photo rules once (MediaRules.geometry): the media check refuses
    # what breaks them and the library's adapter aims inside them.
    rules = registry.get_provider_class("telegram").capabilities.media
    [problem] = media_problems("Telegram", rules, [item(width=2100, height=100)])
    assert problem.code == "media_dimensions"
    spec = spec_for("telegram")
    assert spec is not None
    assert (spec.min_aspect, spec.max_aspect, spec.max_w_plus_h) == (0.05, 20.0, 10_000)
    assert spec.problems(2100, 100, 100, "image/jpeg") != []
