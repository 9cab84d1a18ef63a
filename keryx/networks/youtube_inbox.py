"""The inbox on YouTube: the comment threads on the channel's latest videos
(`commentThreads.list` with `videoId`, `textFormat=plainText`, the replies the thread
carries), answered with `comments.insert` (`snippet.parentId` = the top-level comment:
YouTube nests one level); hidden with `comments.setModerationStatus` `heldForReview` (back with
`published`), removed with `rejected` (YouTube Data API v3 reference; `comments.delete`
deletes only the channel's own comments). Texts are `textOriginal`, never the HTML of
`textDisplay`. No idempotency key: see inboxkit."""

from __future__ import annotations

from typing import Any, ClassVar

from keryx.networks.base import Gone, ProviderError
from keryx.networks.community import InboxItem
from keryx.networks.inboxkit import CommentsInbox, gone_or, post_of

PERMISSION = "https://www.googleapis.com/auth/youtube.force-ssl"


def _comments_disabled(exc: ProviderError) -> bool:
    errors = (exc.raw or {}).get("errors") if isinstance(exc.raw, dict) else None
    return any(isinstance(e, dict) and e.get("reason") == "commentsDisabled"
               for e in errors or [])


class YouTubeInbox(CommentsInbox):
    inbox_permission: ClassVar[str] = PERMISSION
    inbox_skip = staticmethod(_comments_disabled)

    settings: dict[str, Any]
    _call: Any
    _json: Any

    def _inbox_me(self) -> tuple[set[str], set[str]]:
        channel = str(self.settings.get("channel_id") or "")
        return ({channel} if channel else set()), set()

    def _inbox_reply_target(self, item: InboxItem) -> str:
        post = post_of(item)
        if item.in_reply_to and post and item.in_reply_to != post:
            return item.in_reply_to
        return item.remote_id

    def _inbox_exists(self, item: InboxItem) -> None:
        try:
            body = self._json(self._call("GET", "/youtube/v3/comments",
                                         params={"part": "id", "id": item.remote_id}))
        except ProviderError as exc:
            raise gone_or(self._refusal(exc, "the comment"), "YouTube") from exc
        if not body.get("items"):
            raise Gone("The comment was deleted on YouTube.")

    def _moderate(self, comment_id: str, status: str) -> None:
        try:
            self._call("POST", "/youtube/v3/comments/setModerationStatus", safe_to_repeat=True,
                       params={"id": comment_id, "moderationStatus": status})
        except ProviderError as exc:
            raise gone_or(self._refusal(exc, "moderating the comment"), "YouTube") from exc

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        # Held for review = hidden from the public until the channel approves it.
        self._moderate(comment_id, "heldForReview" if hidden else "published")

    def delete_comment(self, comment_id: str) -> None:
        self._moderate(comment_id, "rejected")


__all__ = ["YouTubeInbox"]
