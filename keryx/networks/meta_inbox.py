"""The inbox on Instagram (professional accounts, Instagram API with Instagram Login) and
Threads: the comments and replies under the account's latest posts.

Instagram Platform reference: IG Media Comments (`GET /{ig-media-id}/comments` with
`replies{...}`), IG Comment (`GET /{ig-comment-id}`, `POST /{ig-comment-id}` with `hide`,
`DELETE /{ig-comment-id}`) and IG Comment Replies (`POST /{ig-comment-id}/replies`); Instagram
nests one level, so a reply to a reply answers its top-level comment. Threads API: Reply
Management (`GET /{threads-media-id}/conversation`, a reply is a container with
`reply_to_id`, `POST /{threads-reply-id}/manage_reply` with `hide`). Texts are plain text.
Neither has an idempotency key: see inboxkit."""

from __future__ import annotations

from typing import Any, ClassVar

from keryx.networks import meta, readings
from keryx.networks.base import ProviderError
from keryx.networks.community import InboxItem
from keryx.networks.inboxkit import CommentsInbox, gone_or, handle_key, post_of


class GraphInbox(CommentsInbox):
    inbox_denied = staticmethod(meta.permission_missing)
    inbox_gone = staticmethod(meta.object_gone)
    moderate_permission: ClassVar[str] = ""

    settings: dict[str, Any]
    _call: Any

    def _inbox_me(self) -> tuple[set[str], set[str]]:
        ids = {str(self.settings["user_id"])} if self.settings.get("user_id") else set()
        username = handle_key(str(self.settings.get("username") or ""))
        return ids, ({username} if username else set())

    def _inbox_exists(self, item: InboxItem) -> None:
        try:
            self._call("GET", f"/{item.remote_id}", params={"fields": "id"})
        except ProviderError as exc:
            raise gone_or(self._refusal(exc, "the comment"), self.display_name,
                          meta.object_gone) from exc

    def _act(self, method: str, path: str, **kwargs: Any) -> None:
        try:
            self._call(method, path, safe_to_repeat=True, **kwargs)
        except ProviderError as exc:
            found = readings.translate(exc, network=self.display_name,
                                       permission=self.moderate_permission,
                                       what="moderating the comment",
                                       denied=meta.permission_missing)
            found = found if isinstance(found, ProviderError) else exc
            raise gone_or(found, self.display_name, meta.object_gone) from exc


class InstagramInbox(GraphInbox):
    inbox_permission: ClassVar[str] = "instagram_business_manage_comments"
    moderate_permission: ClassVar[str] = "instagram_business_manage_comments"

    def _inbox_reply_target(self, item: InboxItem) -> str:
        post = post_of(item)
        if item.in_reply_to and post and item.in_reply_to != post:
            return item.in_reply_to
        return item.remote_id

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        self._act("POST", f"/{comment_id}", data={"hide": "true" if hidden else "false"})

    def delete_comment(self, comment_id: str) -> None:
        self._act("DELETE", f"/{comment_id}")


class ThreadsInbox(GraphInbox):
    inbox_permission: ClassVar[str] = "threads_read_replies"
    moderate_permission: ClassVar[str] = "threads_manage_replies"

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        self._act("POST", f"/{comment_id}/manage_reply",
                  data={"hide": "true" if hidden else "false"})


__all__ = ["InstagramInbox", "ThreadsInbox"]
