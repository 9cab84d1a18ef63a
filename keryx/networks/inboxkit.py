"""The inbox for networks whose comments hang under our posts (Facebook, Instagram, Threads, X,
Reddit, YouTube, LinkedIn): one mixin that reads the comments under the account's latest posts
with the provider's own `list_recent_posts` / `fetch_comments`, adds what the network gives
besides (mentions, direct messages: `_inbox_extra`), and answers exactly once.

Exactly once: none of these networks keeps an idempotency key for a comment. `reply_to` sends
once per attempt (after reading the item, so a deleted one is `Gone` and nothing is posted);
an unknown outcome is settled by `lookup_reply`, which reads the replies under the item's post
and finds ours (our account, answering the same item, the same text once whitespace is
collapsed) before keryx.inbox.services sends anything again.

Each provider says who "we" are (`_inbox_me`: ids and handles), where a reply to an item goes
(`_inbox_reply_target`: Facebook, Instagram and YouTube nest one level, so a reply to a reply
answers the top-level comment) and whether an item still exists (`_inbox_exists`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from keryx.networks import readings
from keryx.networks.base import (
    BadContent,
    Disconnected,
    Gone,
    MissingPermission,
    ProviderError,
    PublishResult,
    RateLimited,
)
from keryx.networks.community import Comment, InboxItem, InboxKind, PostGone

logger = logging.getLogger(__name__)

# How many of our latest posts have their comments read on each fetch, and how far back.
RECENT_POSTS = 20
POST_WINDOW = timedelta(days=30)
# lookup_reply reads replies made from a little before the item (clocks differ).
LOOKUP_MARGIN = timedelta(minutes=5)
NAME_MAX = 255
THREAD = "thread:"


def same_text(a: str, b: str) -> bool:
    """Equal once whitespace runs are collapsed (networks trim and rewrap)."""
    return " ".join((a or "").split()) == " ".join((b or "").split())


def handle_key(value: str) -> str:
    return (value or "").strip().lstrip("@").lower()


def post_of(item: InboxItem) -> str:
    """The remote id of the post an item's thread hangs under ("thread:<post id>")."""
    conversation = item.conversation_id or ""
    return conversation[len(THREAD):] if conversation.startswith(THREAD) else ""


def gone_or(exc: ProviderError, network: str,
            gone: Callable[[ProviderError], bool] | None = None) -> ProviderError:
    """A refusal that means the item no longer exists (404/410, or the network's own sign)
    as Gone; anything else unchanged."""
    if isinstance(exc, Gone):
        return exc
    if isinstance(exc, Disconnected | BadContent) and (
            exc.status in (404, 410) or (gone is not None and gone(exc))):
        return Gone(f"The item was deleted on {network} ({exc.message}).", status=exc.status,
                    raw=exc.raw)
    return exc


class CommentsInbox:
    """fetch_inbox / reply_to / lookup_reply over a provider's comment reading and replying.
    Mixed into a provider that has list_recent_posts, fetch_comments and reply."""

    display_name: ClassVar[str]
    # The permission that reading comments needs, in the network's own words.
    inbox_permission: ClassVar[str] = ""
    # The network's own signs of "permission missing" / "object deleted" in a refusal.
    inbox_denied: ClassVar[Callable[[ProviderError], bool] | None] = None
    inbox_gone: ClassVar[Callable[[ProviderError], bool] | None] = None
    # A refusal that concerns one post only (comments turned off on it): that post is skipped.
    inbox_skip: ClassVar[Callable[[ProviderError], bool] | None] = None

    fetch_warnings: list[str]
    # The posts whose comments the last fetch read (RecentPost), for _inbox_extra.
    inbox_posts: list[Any]

    # -- what each provider says ------------------------------------------------------------

    def _inbox_me(self) -> tuple[set[str], set[str]]:
        """Our account's ids and handles (lower case, without @)."""
        raise NotImplementedError

    def _inbox_exists(self, item: InboxItem) -> None:
        """Raise Gone when the item was deleted on the network."""
        raise NotImplementedError

    def _inbox_extra(self, since: datetime | None) -> list[InboxItem]:
        """Mentions and direct messages, where the network gives them."""
        return []

    def _inbox_comment_id(self, comment: Comment) -> str:
        return comment.remote_id

    def _inbox_reply_target(self, item: InboxItem) -> str:
        """What a reply to the item answers (the item itself unless the network nests less)."""
        return item.remote_id

    def _inbox_parent(self, comment: Comment) -> str:
        return comment.parent_id

    # The provider's own readers (from the provider class).
    list_recent_posts: Callable[..., Any]
    fetch_comments: Callable[..., list[Comment]]
    reply: Callable[[str, str], PublishResult]

    # -- shared -----------------------------------------------------------------------------

    def _refusal(self, exc: ProviderError, what: str) -> ProviderError:
        found = readings.translate(exc, network=self.display_name,
                                   permission=self.inbox_permission, what=what,
                                   denied=self.inbox_denied)
        return exc if isinstance(found, PostGone) else found

    def _warn(self, what: str, exc: ProviderError) -> None:
        warning = f"{what} were not read ({self.display_name}): {exc.message}"
        logger.info("inbox: %s", warning)
        self.fetch_warnings.append(warning)

    def _is_ours(self, author_id: str, handle: str) -> bool:
        ids, handles = self._inbox_me()
        return bool((author_id and author_id in ids) or (handle and handle_key(handle) in handles))

    def _comment_item(self, comment: Comment, post_id: str) -> InboxItem | None:
        if self._is_ours(comment.author_id, comment.author_handle):
            return None  # our own answers are not inbox items
        parent = self._inbox_parent(comment) or post_id
        handle = comment.author_handle.lstrip("@")
        return InboxItem(
            remote_id=self._inbox_comment_id(comment), kind=InboxKind.COMMENT,
            text=comment.text, author_id=comment.author_id, author_handle=handle,
            author_name=(comment.author_name or handle)[:NAME_MAX],
            created_at=comment.created_at, in_reply_to=parent,
            conversation_id=THREAD + post_id, visibility="public", url=comment.url,
            raw={"post": post_id})

    def fetch_inbox(self, since: datetime | None = None) -> list[InboxItem]:
        self.fetch_warnings = []
        # Our post may be older than `since` and still get new comments: `since` filters them.
        posts = self.list_recent_posts(datetime.now(UTC) - POST_WINDOW)[:RECENT_POSTS]
        self.inbox_posts = posts
        found: dict[str, InboxItem] = {}
        for post in posts:
            try:
                comments = self.fetch_comments(post.remote_id, since)
            except ProviderError as exc:
                if self.inbox_skip is not None and self.inbox_skip(exc):
                    continue
                refusal = self._refusal(exc, "the comments on the account's posts")
                if isinstance(gone_or(refusal, self.display_name, self.inbox_gone), Gone):
                    continue  # deleted since it was listed
                raise refusal from exc
            for comment in comments:
                item = self._comment_item(comment, post.remote_id)
                if item is not None:
                    found.setdefault(item.remote_id, item)
        for item in self._inbox_extra(since):
            if not self._is_ours(item.author_id, item.author_handle):
                found.setdefault(item.remote_id, item)
        items = [i for i in found.values()
                 if not (since and i.created_at and i.created_at < since)]
        items.sort(key=lambda i: (i.created_at is None, i.created_at, i.remote_id))
        return items

    def _extra_or_warn(self, what: str, read: Callable[[], list[InboxItem]]) -> list[InboxItem]:
        """Mentions or messages: a missing permission or access level leaves the comments
        standing, with the reason in fetch_warnings. Expired tokens and rate limits raise."""
        try:
            return read()
        except RateLimited:
            raise
        except MissingPermission as exc:
            self._warn(what, exc)
            return []

    def reply_to(self, item: InboxItem, text: str, idempotency_key: str) -> PublishResult:
        if not idempotency_key:
            raise ValueError("An inbox reply needs its fixed idempotency key.")
        if not text.strip():
            raise BadContent("The reply is empty.")
        self._inbox_exists(item)
        try:
            return self._inbox_send(item, text)
        except ProviderError as exc:
            raise gone_or(exc, self.display_name, self.inbox_gone) from exc

    def _inbox_send(self, item: InboxItem, text: str) -> PublishResult:
        return self.reply(self._inbox_reply_target(item), text)

    def lookup_reply(self, item: InboxItem, text: str) -> PublishResult | None:
        post = post_of(item)
        if not post:
            return None
        since = item.created_at - LOOKUP_MARGIN if item.created_at else None
        target = self._inbox_reply_target(item)
        for comment in self.fetch_comments(post, since):
            if self._is_ours(comment.author_id, comment.author_handle) \
                    and self._inbox_parent(comment) in (target, item.remote_id) \
                    and same_text(comment.text, text):
                return PublishResult(self._inbox_comment_id(comment), comment.url,
                                     published_at=comment.created_at)
        return None


__all__ = ["CommentsInbox", "gone_or", "handle_key", "post_of", "same_text"]
