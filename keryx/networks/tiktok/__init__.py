"""TikTok through the Content Posting API v2 (direct post), through the HTTP seam.

Credentials: {"access_token", "refresh_token", "expires_at", "open_id"}. Settings (non-secret,
from verify() and the channel): {"username", "privacy_level", "audited", "media_url_prefix",
"privacy_level_options", "max_video_post_duration_sec", "comment_disabled", "duet_disabled",
"stitch_disabled"}.

Flow (https://developers.tiktok.com/doc/content-posting-api-reference-direct-post):
  1. POST /v2/post/publish/creator_info/query/ — the privacy levels this creator may use now,
     and whether comments/duets/stitches are off; TikTok requires asking before every post.
  2. Video: POST /v2/post/publish/video/init/ with post_info + source_info (FILE_UPLOAD, then
     the file PUT to upload_url in chunks with Content-Range; or PULL_FROM_URL).
     Photos: POST /v2/post/publish/content/init/ (media_type PHOTO, PULL_FROM_URL only — TikTok
     fetches the images itself, from a domain verified in the developer portal).
  3. POST /v2/post/publish/status/fetch/ until PUBLISH_COMPLETE or FAILED, for a bounded time.

Unaudited apps: TikTok makes every post private (SELF_ONLY) until the app passes its audit, so
validation refuses any other privacy level unless the channel says `audited`.

TikTok has no idempotency key and no delete endpoint; lookup() reads the creator's recent videos
(video.list), which only lists posts TikTok has made visible.
"""

from keryx.networks.base import ProviderError
from keryx.networks.tiktok.chunks import chunk_ranges, plan_chunks
from keryx.networks.tiktok.limits import (
    PHOTO_DESCRIPTION_MAX,
    PHOTO_MAX,
    PHOTO_TITLE_MAX,
    PRIVACY_LEVELS,
    VIDEO_TITLE_MAX,
)
from keryx.networks.tiktok.provider import TikTokProvider

__all__ = [
    "PHOTO_DESCRIPTION_MAX",
    "PHOTO_MAX",
    "PHOTO_TITLE_MAX",
    "PRIVACY_LEVELS",
    "VIDEO_TITLE_MAX",
    "ProviderError",
    "TikTokProvider",
    "chunk_ranges",
    "plan_chunks",
]
