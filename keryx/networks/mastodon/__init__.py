"""Mastodon (and compatible servers) over its REST API, through the HTTP seam.

Credentials: {"access_token"}. Settings (non-secret, learned at connect time by verify()):
{"instance": base URL, "account_id", "domain", "max_characters", "max_media",
"characters_reserved_per_url", "supported_mime_types", "image_size_limit", "video_size_limit"}.

Exactly once: every status is posted with the target's fixed Idempotency-Key, so a retry of the
same target returns the status the first attempt made. Mastodon keeps those keys for a limited
time only, so reconciliation of an unknown outcome also reads the account's recent statuses
(lookup()).

Threads: the parts after the first (options["thread"]) and a first comment
(options["first_comment"]) are replies, each to the one before (in_reply_to_id), with the
root's visibility, content warning and language, each under its own fixed Idempotency-Key
f"{key}-{n}". Once the root is out, a failing reply does not fail the post: it is reported on the
result (raw["follow_up_error"]), as on X.
"""

from keryx.networks.mastodon.content import comparable, follow_ups, html_to_text, mastodon_length
from keryx.networks.mastodon.oauth import OAUTH_SCOPES
from keryx.networks.mastodon.provider import MastodonProvider
from keryx.networks.mastodon.server import (
    ALT_TEXT_MAX,
    DEFAULT_MAX_CHARACTERS,
    DEFAULT_MAX_MEDIA,
    DEFAULT_URL_LENGTH,
    normalize_instance_url,
)

__all__ = [
    "ALT_TEXT_MAX",
    "DEFAULT_MAX_CHARACTERS",
    "DEFAULT_MAX_MEDIA",
    "DEFAULT_URL_LENGTH",
    "OAUTH_SCOPES",
    "MastodonProvider",
    "comparable",
    "follow_ups",
    "html_to_text",
    "mastodon_length",
    "normalize_instance_url",
]
