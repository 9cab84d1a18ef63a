"""What each network accepts for a still image, as one ImageSpec the adapter can aim at.

Accepted types and the byte cap come from the provider's own Capabilities (so the adapter and
provider.validate() can never disagree); geometry the providers do not declare comes from
/work/shared/reference/platform-rules.json (official figures, see platform-rules.md), copied
into GEOMETRY below. No Django imports: the benchmark and the property tests use this directly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from keryx.networks.registry import get_provider_class

# Bumped when the adapter's output changes for the same input, so cached files are redone.
ADAPTER_VERSION = 1

STILL_FORMATS = ("image/jpeg", "image/png", "image/webp")


@dataclass(frozen=True)
class ImageSpec:
    network: str
    types: frozenset[str]
    max_bytes: int
    # Width / height, inclusive. None: no limit.
    min_aspect: float | None = None
    max_aspect: float | None = None
    min_width: int | None = None
    max_width: int | None = None
    min_side: int | None = None
    max_side: int | None = None
    max_pixels: int | None = None
    max_w_plus_h: int | None = None
    # Animated images (GIF, APNG, animated WebP) are sent as they are where this is True.
    animated: bool = False
    animated_max_bytes: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def key(self) -> str:
        """A short fingerprint: a cached adaptation is reused only for the same spec."""
        data = asdict(self)
        data["types"] = sorted(self.types)
        data["v"] = ADAPTER_VERSION
        raw = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(raw).hexdigest()[:16]

    def problems(self, width: int, height: int, size: int, mime: str) -> list[str]:
        """What an output of these facts breaks; empty when it fits. Used after every
        adaptation (and by the property tests) as the last word."""
        found = []
        if mime not in self.types:
            found.append(f"type {mime}")
        if size > self.max_bytes or size <= 0:
            found.append(f"size {size} > {self.max_bytes}")
        ratio = width / height
        if self.min_aspect is not None and ratio < self.min_aspect - 1e-9:
            found.append(f"aspect {ratio:.4f} < {self.min_aspect}")
        if self.max_aspect is not None and ratio > self.max_aspect + 1e-9:
            found.append(f"aspect {ratio:.4f} > {self.max_aspect}")
        if self.min_width is not None and width < self.min_width:
            found.append(f"width {width} < {self.min_width}")
        if self.max_width is not None and width > self.max_width:
            found.append(f"width {width} > {self.max_width}")
        if self.min_side is not None and min(width, height) < self.min_side:
            found.append(f"side {min(width, height)} < {self.min_side}")
        if self.max_side is not None and max(width, height) > self.max_side:
            found.append(f"side {max(width, height)} > {self.max_side}")
        if self.max_pixels is not None and width * height > self.max_pixels:
            found.append(f"pixels {width * height} > {self.max_pixels}")
        if self.max_w_plus_h is not None and width + height > self.max_w_plus_h:
            found.append(f"w+h {width + height} > {self.max_w_plus_h}")
        return found


# Geometry per network (platform-rules.json, "media"). Where the rules give none, a long side
# of 4096 px keeps uploads sane: every network downsizes beyond that anyway.
GEOMETRY: dict[str, dict[str, Any]] = {
    "x": {"max_side": 4096, "animated": True, "animated_max_bytes": 15 * 1024 * 1024},
    # Mastodon: image max_pixels 33,177,600 (mastodon media attachment rules).
    "mastodon": {"max_pixels": 33_177_600, "animated": True},
    # Bluesky's app resizes to <= 4000 px; GIFs are shown still, so they are not sent animated.
    "bluesky": {"max_side": 4000},
    # Threads: width 320-1440, aspect up to 10:1 (official).
    "threads": {"min_width": 320, "max_width": 1440, "min_aspect": 0.1, "max_aspect": 10.0},
    # Instagram feed: aspect 4:5 to 1.91:1, width 320-1440 (official).
    "instagram": {"min_width": 320, "max_width": 1440, "min_aspect": 0.8, "max_aspect": 1.91},
    # Facebook photos: not animated; no published geometry limit.
    "facebook": {"max_side": 4096},
    # LinkedIn: fewer than 36,152,320 pixels; GIF up to 250 frames.
    "linkedin": {"max_pixels": 36_152_319, "animated": True},
    "tiktok": {"max_side": 4096},
    "pinterest": {"max_side": 4096},
    # Telegram photos: width + height <= 10000, side ratio <= 20.
    "telegram": {"max_w_plus_h": 10_000, "min_aspect": 1 / 20, "max_aspect": 20.0},
    "discord": {"max_side": 4096, "animated": True},
    "reddit": {"max_side": 4096, "animated": True},
    # Google Business Profile: at least 250 px on the short side.
    "google_business": {"min_side": 250, "max_side": 4096},
}


def spec_for(network: str, channel_settings: dict[str, Any] | None = None) -> ImageSpec | None:
    """The spec for still images on this network, or None when it takes no images (YouTube)."""
    try:
        capabilities = get_provider_class(network).capabilities
    except (KeyError, ImportError, AttributeError):
        return None
    rules = capabilities.media
    types = frozenset(rules.image_types)
    max_bytes = int(rules.max_image_bytes)
    settings = channel_settings or {}
    if network == "mastodon":
        # An instance tells its own limits at connect time (stored in the channel's settings).
        if settings.get("supported_mime_types"):
            types = frozenset(t for t in settings["supported_mime_types"]
                              if str(t).startswith("image/"))
        if settings.get("image_size_limit"):
            max_bytes = int(settings["image_size_limit"])
    if not types or max_bytes <= 0 or not (types & set(STILL_FORMATS)):
        return None
    geometry = dict(GEOMETRY.get(network, {"max_side": 4096}))
    if geometry.get("animated") and "image/gif" not in types:
        geometry["animated"] = False
    return ImageSpec(network=network, types=types, max_bytes=max_bytes, **geometry)


def with_limits(spec: ImageSpec, **changes: Any) -> ImageSpec:
    return replace(spec, **changes)
