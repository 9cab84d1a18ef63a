"""What each network accepts for a still image, as one ImageSpec the adapter can aim at.

Everything comes from the provider's own declarations (Capabilities.media: accepted types, the
byte cap, the geometry, the channel settings that override them), so the adapter and
provider.validate() can never disagree. No Django imports: the benchmark and the property tests
use this directly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from keryx.networks import registry
from keryx.networks.base import DEFAULT_GEOMETRY

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


def spec_for(network: str, channel_settings: dict[str, Any] | None = None) -> ImageSpec | None:
    """The spec for still images on this network, or None when it takes no images (YouTube)."""
    capabilities = registry.capabilities(network)
    if capabilities is None:
        return None
    rules = capabilities.media
    types = frozenset(rules.image_types)
    max_bytes = int(rules.max_image_bytes)
    settings = channel_settings or {}
    # A server that tells its own limits at connect time (stored in the channel's settings).
    if rules.image_types_setting and settings.get(rules.image_types_setting):
        types = frozenset(t for t in settings[rules.image_types_setting]
                          if str(t).startswith("image/"))
    if rules.image_bytes_setting and settings.get(rules.image_bytes_setting):
        max_bytes = int(settings[rules.image_bytes_setting])
    if not types or max_bytes <= 0 or not (types & set(STILL_FORMATS)):
        return None
    geometry = asdict(rules.geometry or DEFAULT_GEOMETRY)
    if geometry["animated"] and "image/gif" not in types:
        geometry["animated"] = False
    # A side ratio is an aspect range either way round, which is what the adapter aims at.
    ratio = geometry.pop("max_side_ratio")
    if ratio:
        geometry["min_aspect"] = max(geometry["min_aspect"] or 0.0, 1 / ratio)
        geometry["max_aspect"] = min(geometry["max_aspect"] or float(ratio), float(ratio))
    return ImageSpec(network=network, types=types, max_bytes=max_bytes, **geometry)


def with_limits(spec: ImageSpec, **changes: Any) -> ImageSpec:
    return replace(spec, **changes)
