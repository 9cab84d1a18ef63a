"""What the AT Protocol lexicons fix for Bluesky posts: collections, limits, URIs and times."""

from __future__ import annotations

from datetime import UTC, datetime

DEFAULT_SERVICE = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
APP_URL = "https://bsky.app"

# app.bsky.feed.post: text maxGraphemes 300 and maxLength 3000 (UTF-8 bytes).
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
# app.bsky.embed.images: at most 4 images, each blob image/* up to 2,000,000 bytes (1 MB before
# April 2026; @atproto/pds 0.5.35 enforces 2 MB).
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 2_000_000
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
# app.bsky.richtext.facet#tag: the tag is at most 64 graphemes and 640 bytes.
MAX_TAG_GRAPHEMES = 64
MAX_TAG_BYTES = 640


def now() -> str:
    """The current time as a record's createdAt (milliseconds, Z)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def split_uri(uri: str) -> tuple[str, str, str]:
    """at://did/collection/rkey -> (did, collection, rkey)."""
    if not uri.startswith("at://"):
        raise ValueError(f"Not an at:// URI: {uri!r}")
    parts = uri[len("at://") :].split("/")
    if len(parts) != 3:
        raise ValueError(f"Not a record URI: {uri!r}")
    return parts[0], parts[1], parts[2]

