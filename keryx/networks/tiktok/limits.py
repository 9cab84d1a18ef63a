"""What TikTok takes in a post: text and title limits, media types and sizes, privacy levels."""

from __future__ import annotations

VIDEO_TITLE_MAX = 2200  # UTF-16 code units ("runes"; the stricter reading of TikTok's unit)
PHOTO_TITLE_MAX = 90
PHOTO_DESCRIPTION_MAX = 4000
PHOTO_MAX = 35
PHOTO_MAX_BYTES = 20 * 1024 * 1024
# TikTok's transfer guide is quoted at 4 GB; third-party guides say 1 GB (and 10 GB). Sources
# conflict, so we take the stricter 1 GB.
VIDEO_MAX_BYTES = 1024 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/webp"})  # PNG is refused by photo posts
VIDEO_TYPES = frozenset({"video/mp4", "video/webm", "video/quicktime"})
PRIVACY_LEVELS = (
    "PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"
)
