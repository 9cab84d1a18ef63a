"""Bluesky (AT Protocol) over raw XRPC through the HTTP seam.

Exactly once: the post's record key is a TID that Keryx chooses before the first attempt
(`new_idempotency_key`), so a retried createRecord for the same target cannot make a second post;
the PDS refuses the duplicate and `lookup` reads the record back.

Threads: the parts after the first (options["thread"]) and a first comment
(options["first_comment"]) are replies, each to the one before, with record keys derived from the
root's (`follow_up_key`: same timestamp, clock id advanced by the part's number). A retry after a
crash therefore finds the parts already made (getRecord) and creates only the missing ones, in
order. Once the root is out, a failing part does not fail the post: it is reported on the result
(raw["follow_up_error"]), as on X.

Sessions: an app password opens a session (createSession, rate limited to 30 per 5 minutes), whose
access and refresh JWTs are cached in the channel's credentials. An expired access token is
refreshed (refreshSession); only when the refresh is refused is a new session created.
"""

from keryx.networks.bluesky.keys import (
    MAX_FOLLOW_UPS,
    follow_up_key,
    follow_ups,
    new_tid,
    tid_value,
)
from keryx.networks.bluesky.lexicon import (
    DEFAULT_SERVICE,
    IMAGE_TYPES,
    MAX_BYTES,
    MAX_GRAPHEMES,
    MAX_IMAGE_BYTES,
    MAX_IMAGES,
)
from keryx.networks.bluesky.provider import BlueskyProvider

__all__ = [
    "DEFAULT_SERVICE",
    "IMAGE_TYPES",
    "MAX_BYTES",
    "MAX_FOLLOW_UPS",
    "MAX_GRAPHEMES",
    "MAX_IMAGES",
    "MAX_IMAGE_BYTES",
    "BlueskyProvider",
    "follow_up_key",
    "follow_ups",
    "new_tid",
    "tid_value",
]
