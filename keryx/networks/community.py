"""What comes back from the networks: metrics, comments, inbox items, and the provider
protocols that fetch them (declared in Capabilities: metrics, comments, inbox).

Kept apart from base.py, which holds what every provider needs to publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from keryx.networks.base import Provider, PublishResult

# Measuring and the community: metrics, comments, replies (declared in Capabilities).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostMetrics:
    """One reading of a published post's counts (what analytics stores as a snapshot).

    None always means "this network does not give that figure" (or not to this token), never
    zero: a figure computed from it must say the part is missing. `quotes` are kept apart from
    `shares` (reposts/reblogs) where the network counts them separately."""

    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    quotes: int | None = None
    saves: int | None = None
    impressions: int | None = None
    reach: int | None = None
    clicks: int | None = None
    video_views: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


POST_METRIC_FIELDS = ("likes", "comments", "shares", "quotes", "saves", "impressions", "reach",
                      "clicks", "video_views")


@dataclass(frozen=True)
class PostGone:
    """fetch_metrics' answer for a post that no longer exists on the network (deleted by its
    author or removed by moderators). Not an error: the post's history is kept, and it is
    no longer collected."""

    remote_id: str
    reason: str = ""


@dataclass(frozen=True)
class ChannelMetrics:
    """One reading of the account's own counts. None = not given by the network."""

    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecentPost:
    """A post the account published (through Keryx or not), as list_recent_posts finds it."""

    remote_id: str
    url: str
    published_at: datetime
    text: str = ""


@dataclass(frozen=True)
class Comment:
    remote_id: str
    text: str
    author_id: str = ""
    author_handle: str = ""
    author_name: str = ""
    created_at: datetime | None = None
    parent_id: str = ""
    url: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


class InboxKind:
    """What an inbox item is to us: a reply on our post, a mention elsewhere, a direct message."""

    COMMENT = "comment"
    MENTION = "mention"
    MESSAGE = "message"


@dataclass(frozen=True)
class InboxItem:
    """One comment, mention or direct message as the network gave it, in plain text (never the
    network's HTML). `in_reply_to` is the remote id it answers (our post's, for a comment);
    `conversation_id` groups a thread under a post or one DM conversation. `remote_id` is
    stable: the inbox stores each (channel, remote_id) once however often it is fetched."""

    remote_id: str
    kind: str
    text: str
    author_id: str = ""
    author_handle: str = ""
    author_name: str = ""
    language: str = ""
    created_at: datetime | None = None
    in_reply_to: str = ""
    conversation_id: str = ""
    visibility: str = ""
    url: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


class CommunityProvider(Provider, Protocol):
    """Declared by Capabilities.metrics / .comments: what analytics and the inbox call."""

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone: ...

    def fetch_comments(self, remote_id: str, since: datetime | None = None) -> list[Comment]: ...

    def reply(self, remote_id: str, text: str) -> PublishResult: ...

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None: ...


class MetricsProvider(Provider, Protocol):
    """Declared by Capabilities.metrics: what analytics collects with.

    fetch_metrics answers PostGone for a post deleted on the network and raises
    MissingPermission (naming the permission) when the token may not read the figures; the
    rest of the taxonomy (AuthExpired, RateLimited, Transient) as everywhere."""

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone: ...

    def fetch_channel_metrics(self) -> ChannelMetrics: ...

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        """The account's own top-level posts published since `since`, newest first (replies
        and reposts left out), as far back as the network's API allows."""
        ...


class InboxProvider(Provider, Protocol):
    """Declared by Capabilities.inbox (hide/delete by .hide_comments / .delete_comments)."""

    def fetch_inbox(self, since: datetime | None = None) -> list[InboxItem]:
        """Replies on our posts, mentions and direct messages newer than `since` (all the
        network keeps recent when None). Our own statuses are never among them. A provider
        that could read only part (posts but not direct messages) returns what it read and
        leaves the reasons in its `fetch_warnings` list (the inbox keeps them on the sync
        state)."""
        ...

    def reply_to(self, item: InboxItem, text: str, idempotency_key: str) -> PublishResult:
        """Answer `item` in its thread or conversation (a DM answer stays direct, addressed
        to its sender). Raises Gone when the item was deleted; OutcomeUnknown when it cannot
        tell; never posts twice for one key where the network keeps keys."""
        ...

    def lookup_reply(self, item: InboxItem, text: str) -> PublishResult | None:
        """Our answer with this text under `item`, if the network has it (settles an unknown
        outcome); None when it certainly has none."""
        ...

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        """NotSupported where the network cannot hide another person's item."""
        ...


# Competitors: public accounts read without special access (declared by
# Capabilities.competitors).
# ---------------------------------------------------------------------------------------------


class AccountNotFound(Exception):
    """The network has no public account by that name (never had, or no longer has: deleted,
    suspended, deactivated). `reason` says which, in the network's own words."""

    def __init__(self, handle: str, reason: str = "") -> None:
        super().__init__(reason or f"No public account {handle}.")
        self.handle = handle
        self.reason = reason or f"No public account {handle}."


class BadHandle(ValueError):
    """What the user typed cannot be an account name on this network (the message says why)."""


@dataclass(frozen=True)
class PublicAccount:
    """A public account as its network shows it to anyone. `ref` is what the provider reads it
    by next time (Mastodon: user@domain; Bluesky: the DID, which survives handle changes).
    Counts: None when the network hides them."""

    ref: str
    handle: str
    display_name: str = ""
    url: str = ""
    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublicPost:
    """One of the account's own public top-level posts (no replies, no reposts of others) and
    its public counts (None: not given)."""

    remote_id: str
    url: str
    published_at: datetime
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    quotes: int | None = None
    saves: int | None = None


class CompetitorsProvider(Provider, Protocol):
    """Declared by Capabilities.competitors: reading other people's public accounts through a
    connected channel of the same network (its server, its session).

    Both raise AccountNotFound for no such account, BadHandle for a name that cannot be one,
    Disconnected for a server Keryx refuses to contact (a private address), and the rest of
    the taxonomy (RateLimited with the reset time, Transient)."""

    def public_account(self, handle: str) -> PublicAccount:
        """The account by what the user typed (or by a PublicAccount.ref), with its counts."""
        ...

    def public_posts(self, account: PublicAccount, since: datetime) -> list[PublicPost]:
        """The account's own public top-level posts since `since`, newest first."""
        ...
