"""The one media check: a post's attachments against the MediaRules its network declares.

Every provider's validate() calls `media_problems(display_name, rules, media)` instead of
writing its own count, type, size, geometry and video checks, so a rule lives in one place (its
declaration) and each check has one wording. Codes and params are stable (the web UI words the
common ones again from them); messages are English, like every provider message.

Pure: reads local files only to probe videos (networks/videoprobe.py), never the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from keryx.networks.base import MediaItem, MediaRules, Problem
from keryx.networks.text import graphemes, utf16_length
from keryx.networks.videoprobe import probe

# How a MIME type is named to a reader; unknown types are shown as they are.
TYPE_NAMES = {
    "image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WebP",
    "image/bmp": "BMP", "image/tiff": "TIFF", "image/heic": "HEIC", "image/avif": "AVIF",
    "video/mp4": "MP4", "video/quicktime": "MOV", "video/webm": "WebM", "video/x-m4v": "M4V",
    "application/pdf": "PDF",
}
# Beyond this many accepted types (a Mastodon server lists dozens) the message names none.
MAX_NAMED_TYPES = 8


def media_problems(network: str, rules: MediaRules,
                   media: Sequence[MediaItem]) -> list[Problem]:
    """Every problem with these attachments on a network that declares `rules`.

    `network` is the network's display name, used in the messages."""
    problems = _count_problems(network, rules, media)
    for index, item in enumerate(media):
        problems.extend(_item_problems(network, rules, index, item))
    return problems


def kind_of(rules: MediaRules, mime_type: str) -> str:
    """"image", "video", "document", or "" for a type the network does not take."""
    if mime_type in rules.image_types:
        return "image"
    if mime_type in rules.video_types or (
            rules.any_video_type and mime_type.startswith("video/")):
        return "video"
    if mime_type in rules.document_types:
        return "document"
    return ""


def _loose_kind(rules: MediaRules, mime_type: str) -> str:
    # For counting and mixing, an unknown type is judged by its family (its own media_type
    # problem is reported per item).
    return kind_of(rules, mime_type) or ("video" if mime_type.startswith("video/") else "image")


def _count_problems(network: str, rules: MediaRules,
                    media: Sequence[MediaItem]) -> list[Problem]:
    count = len(media)
    if count < rules.min_items:
        if not rules.image_types and not rules.document_types:
            return [Problem(
                "video_required", f"{network} publishes videos: a text-only post cannot go to "
                f"{network}. Add one video.", field="media")]
        wanted = "an image or a video" if rules.video_types else "an image"
        return [Problem("media_required", f"A post on {network} needs {wanted}.", field="media",
                        params={"count": count, "limit": rules.min_items})]
    problems: list[Problem] = []
    if count > rules.max_items:
        problems.append(Problem(
            "too_many_media", f"{count} attachments; {network} takes at most "
            f"{rules.max_items} in one post.", field="media",
            params={"count": count, "limit": rules.max_items}))
    kinds = [_loose_kind(rules, item.mime_type) for item in media]
    solo = next((what for item, kind in zip(media, kinds, strict=True)
                 for what in (item.mime_type, kind) if what in rules.alone), None)
    if solo is not None and count > 1:
        label = TYPE_NAMES.get(solo, solo)
        if all(kind == kinds[0] for kind in kinds) and solo in kinds:
            if count <= rules.max_items:
                problems.append(Problem(
                    "too_many_media", f"{count} {label}s; {network} takes one {label} in a "
                    "post.", field="media", params={"count": count, "limit": 1}))
        else:
            problems.append(Problem(
                "mixed_media", f"{network} takes a {label} on its own, not together with "
                "other media.", field="media"))
    elif not rules.mix_images_and_video and {"image", "video"} <= set(kinds):
        problems.append(Problem(
            "mixed_media", f"{network} does not take images and videos in one post.",
            field="media"))
    return problems


def _item_problems(network: str, rules: MediaRules, index: int,
                   item: MediaItem) -> list[Problem]:
    name = Path(item.path).name or f"#{index + 1}"
    params = {"index": index, "mime_type": item.mime_type}
    kind = kind_of(rules, item.mime_type)
    if not kind:
        return [Problem(
            "media_type", f"{name}: {network} takes {_accepted(rules)}, not "
            f"{_type_name(item.mime_type)}.", field="media", params=params)]
    problems = _size_problems(network, rules, name, kind, item, params)
    if kind == "image":
        problems.extend(_geometry_problems(network, rules, name, item, params))
    elif kind == "video" and rules.probe_video and not problems:
        problems.extend(_video_problems(network, rules, name, params, item))
    problems.extend(_alt_text_problems(network, rules, name, item, params))
    return problems


def _size_problems(network: str, rules: MediaRules, name: str, kind: str, item: MediaItem,
                   params: dict[str, object]) -> list[Problem]:
    limit = dict(rules.type_max_bytes).get(item.mime_type) or {
        "image": rules.max_image_bytes, "video": rules.max_video_bytes,
        "document": rules.max_document_bytes}[kind]
    if limit and item.size > limit:
        return [Problem(
            "media_too_large", f"{name} is {_size(item.size)}; {network} takes "
            f"{_type_name(item.mime_type)} files up to {_size(limit)}.", field="media",
            params={**params, "size": item.size, "limit": limit})]
    if kind == "video" and item.size < rules.min_video_bytes:
        return [Problem(
            "media_size", f"{name} is {_size(item.size)}; {network} takes videos of at least "
            f"{_size(rules.min_video_bytes)}.", field="media",
            params={**params, "size": item.size, "limit": rules.min_video_bytes})]
    return []


def _geometry_problems(network: str, rules: MediaRules, name: str, item: MediaItem,
                       params: dict[str, object]) -> list[Problem]:
    width, height = item.width, item.height
    geometry = rules.geometry
    if not width or not height or geometry is None:
        return []
    problems: list[Problem] = []
    size = {**params, "width": width, "height": height}
    if geometry.max_pixels and width * height > geometry.max_pixels:
        problems.append(Problem(
            "image_too_large", f"{name} has {width}×{height} pixels; {network} takes at most "
            f"{geometry.max_pixels:,}.", field="media", params=size))
    if geometry.min_side and min(width, height) < geometry.min_side:
        problems.append(Problem(
            "media_dimensions", f"{name} is {width}×{height}; {network} wants at least "
            f"{geometry.min_side} px on each side.", field="media", params=size))
    long_side, short_side = max(width, height), min(width, height)
    too_big = bool(geometry.max_w_plus_h and width + height > geometry.max_w_plus_h)
    too_thin = bool(geometry.max_side_ratio
                    and long_side > geometry.max_side_ratio * short_side)
    if too_big or too_thin:
        wanted = []
        if geometry.max_w_plus_h:
            wanted.append(f"width + height ≤ {geometry.max_w_plus_h}")
        if geometry.max_side_ratio:
            wanted.append(f"a side ratio of at most {geometry.max_side_ratio:g}")
        problems.append(Problem(
            "media_dimensions", f"{name} is {width}×{height}; {network} images need "
            f"{' and '.join(wanted)}.", field="media", params=size))
    low, high = geometry.min_aspect, geometry.max_aspect
    if low is not None or high is not None:
        aspect = width / height
        if (low is not None and aspect < low - 1e-3) or (high is not None
                                                        and aspect > high + 1e-3):
            problems.append(Problem(
                "aspect_ratio", f"{name} is {width}×{height}; {network} images must be between "
                f"{low or 0:g}:1 (portrait) and {high or float('inf'):g}:1 (landscape), width "
                "to height.", field="media", params=size))
    return problems


def _video_problems(network: str, rules: MediaRules, name: str, params: dict[str, object],
                    item: MediaItem) -> list[Problem]:
    info = probe(item.path)
    if info.probed and not info.has_video:
        return [Problem("media_unreadable", f"{name} is not a video {network} can read.",
                        field="media", params=params)]
    if not info.probed and not info.container:
        return [Problem("media_unreadable", f"{name} does not look like a video file.",
                        field="media", params=params)]
    if info.container and rules.video_containers and info.container not in rules.video_containers:
        wanted = " or ".join(sorted(c.upper() for c in rules.video_containers))
        return [Problem("media_type", f"{name} is not a(n) {wanted} file.", field="media",
                        params=params)]
    duration = info.duration
    if duration is None or rules.video is None:
        return []
    min_seconds, max_seconds = rules.video.min_seconds, rules.video.max_seconds
    timing = {**params, "duration": duration}
    if max_seconds is not None and duration > max_seconds:
        return [Problem(
            "video_too_long", f"{name} lasts {_duration(duration)}; {network} takes videos up "
            f"to {_duration(max_seconds)}.", field="media",
            params={**timing, "limit": max_seconds})]
    if min_seconds is not None and duration < min_seconds:
        return [Problem(
            "video_too_short", f"{name} lasts {_duration(duration)}; {network} takes videos "
            f"of at least {_duration(min_seconds)}.", field="media",
            params={**timing, "limit": min_seconds})]
    return []


def _alt_text_problems(network: str, rules: MediaRules, name: str, item: MediaItem,
                       params: dict[str, object]) -> list[Problem]:
    if rules.alt_text_max is None or not item.alt_text:
        return []
    counter = {"graphemes": graphemes, "utf16": utf16_length}.get(rules.alt_text_counting, len)
    length = counter(item.alt_text)
    if length <= rules.alt_text_max:
        return []
    return [Problem(
        "alt_text_too_long", f"The alt text of {name} is {length} characters; {network} allows "
        f"{rules.alt_text_max}.", field="media",
        params={**params, "length": length, "limit": rules.alt_text_max})]


def _type_name(mime_type: str) -> str:
    if not mime_type:
        return "this kind of file"
    name = TYPE_NAMES.get(mime_type)
    return f"{name} ({mime_type})" if name else mime_type


def _names(types: frozenset[str]) -> str:
    return "/".join(sorted(TYPE_NAMES.get(t, t.split("/")[-1].upper()) for t in types))


def _accepted(rules: MediaRules) -> str:
    """What the network takes, in words: "JPEG/PNG images and MP4/MOV videos"."""
    groups = [(rules.image_types, "images"), (rules.video_types, "videos"),
              (rules.document_types, "documents")]
    if sum(len(types) for types, _ in groups) > MAX_NAMED_TYPES:
        return "only the file types its server lists"
    parts = [f"{_names(types)} {label}" for types, label in groups if types]
    if rules.any_video_type:
        parts = [p for p in parts if not p.endswith("videos")] + ["videos"]
    return " and ".join(parts) if parts else "no attachments"


def _size(size: float) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{max(1, round(size / 1024))} KB"


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f}".removesuffix(".0") + " hours"
    if seconds >= 60:
        return f"{seconds / 60:.1f}".removesuffix(".0") + " minutes"
    return f"{seconds:.1f}".removesuffix(".0") + " seconds"


__all__ = ["TYPE_NAMES", "kind_of", "media_problems"]
