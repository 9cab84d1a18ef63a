"""LinkedIn members and organisation pages over the versioned REST API (Posts, Images, Videos,
Documents, Social Actions), default base https://api.linkedin.com.

Credentials: {"access_token", "refresh_token" (only apps approved for programmatic refresh
tokens get one), "expires_at"}. Settings: {"organization_id" (optional: post as that page),
"person_id", "author" (the URN posts are made as, learned by verify()), "linkedin_version"
(optional override of the YYYYMM API version)}.

`commentary` is LinkedIn's "little" text format: the reserved characters must be
backslash-escaped to stay plain text, else LinkedIn silently cuts the post at the first one.
escape_commentary() does that, keeping URLs, #hashtags and explicit mentions working.

No idempotency key: an unknown outcome is reconciled by reading the author's recent posts
(organisations; members' posts can only be read with a restricted permission).
"""

from keryx.networks.linkedin.api import LINKEDIN_VERSION, post_url, seconds_to_utc_midnight
from keryx.networks.linkedin.commentary import escape_commentary, unescape_commentary
from keryx.networks.linkedin.limits import TEXT_LIMIT
from keryx.networks.linkedin.provider import LinkedInProvider

__all__ = [
    "LINKEDIN_VERSION",
    "TEXT_LIMIT",
    "LinkedInProvider",
    "escape_commentary",
    "post_url",
    "seconds_to_utc_midnight",
    "unescape_commentary",
]
