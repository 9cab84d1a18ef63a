"""The inbox on Reddit: the comments under the account's latest submissions, and its inbox
(`GET /message/inbox`: replies to its comments elsewhere, username mentions, private
messages), answered with `POST /api/comment` (thing_id = the item's fullname, for a comment
or a private message alike).

Reddit API reference (reddit.com/dev/api): /message/inbox needs the `privatemessages` scope
(a channel connected before Keryx asked for it reads only the comments, and the sync says
why); /api/remove and /api/approve are moderator actions, so "hide" works only in a subreddit
the account moderates. Remote ids are fullnames (t1_ comment, t4_ message). Texts are the
Markdown source (`body`, raw_json=1), never `body_html`. No idempotency key: see inboxkit."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from keryx.networks import readings
from keryx.networks.base import (
    Gone,
    MissingPermission,
    NotSupported,
    OutcomeUnknown,
    ProviderError,
    PublishResult,
)
from keryx.networks.community import Comment, InboxItem, InboxKind
from keryx.networks.inboxkit import THREAD, CommentsInbox, gone_or, handle_key, same_text

INBOX_SCOPE = "privatemessages"
INBOX_PAGE = 100
DELETED = ("[deleted]", "[removed]")


class RedditInbox(CommentsInbox):
    inbox_permission: ClassVar[str] = "read"

    settings: dict[str, Any]
    _call: Any

    def _inbox_me(self) -> tuple[set[str], set[str]]:
        name = handle_key(str(self.settings.get("username") or ""))
        return set(), ({name} if name else set())

    def _inbox_comment_id(self, comment: Comment) -> str:
        name = str((comment.raw or {}).get("name") or "")
        return name or f"t1_{comment.remote_id}"

    def _inbox_extra(self, since: datetime | None) -> list[InboxItem]:
        return self._extra_or_warn("Reddit's inbox (mentions, private messages)", self._inbox)

    def _inbox(self) -> list[InboxItem]:
        try:
            listing = self._call("GET", "/message/inbox",
                                 params={"limit": str(INBOX_PAGE), "raw_json": "1"})
        except ProviderError as exc:
            found = readings.translate(exc, network="Reddit", permission=INBOX_SCOPE,
                                       what="the account's inbox")
            raise (found if isinstance(found, ProviderError) else exc) from exc
        ours = {p.remote_id for p in self.inbox_posts}
        items = []
        for child in (listing.get("data") or {}).get("children") or []:
            data = child.get("data") or {}
            name = str(data.get("name") or "")
            author = str(data.get("author") or "")
            if child.get("kind") not in ("t1", "t4") or not name or author in DELETED:
                continue
            created = readings.since_epoch(data.get("created_utc"))
            if child.get("kind") == "t4":
                first = str(data.get("first_message_name") or name)
                items.append(InboxItem(
                    remote_id=name, kind=InboxKind.MESSAGE, text=str(data.get("body") or ""),
                    author_id=author, author_handle=author, author_name=author,
                    created_at=created, in_reply_to=str(data.get("parent_id") or ""),
                    conversation_id="dm:" + first, visibility="direct",
                    url=f"https://www.reddit.com/message/messages/{first.removeprefix('t4_')}",
                    raw={"subject": data.get("subject")}))
                continue
            link = str(data.get("link_id") or "")  # the post the comment is under (context)
            if not link:
                link = "t3_" + str(data.get("context") or "").split("/comments/")[-1] \
                    .split("/")[0]
            kind = InboxKind.MENTION if data.get("subject") == "username mention" \
                and link not in ours else InboxKind.COMMENT
            items.append(InboxItem(
                remote_id=name, kind=kind, text=str(data.get("body") or ""),
                author_id=str(data.get("author_fullname") or author), author_handle=author,
                author_name=author, created_at=created,
                in_reply_to=str(data.get("parent_id") or ""), conversation_id=THREAD + link,
                visibility="public",
                url=f"https://www.reddit.com{data.get('context') or ''}"))
        return items

    def _is_ours(self, author_id: str, handle: str) -> bool:
        return super()._is_ours("", handle)

    def _inbox_exists(self, item: InboxItem) -> None:
        if item.kind == InboxKind.MESSAGE:
            return  # /api/info does not read messages; a deleted one is refused on reply
        try:
            listing = self._call("GET", "/api/info", params={"id": item.remote_id,
                                                             "raw_json": "1"})
        except ProviderError as exc:
            raise gone_or(exc, "Reddit") from exc
        children = (listing.get("data") or {}).get("children") or []
        data = (children[0].get("data") or {}) if children else {}
        if not data or data.get("author") in DELETED or data.get("body") in DELETED:
            raise Gone("The comment was deleted or removed on Reddit.")

    def _inbox_send(self, item: InboxItem, text: str) -> PublishResult:
        answer = self._call("POST", "/api/comment", data={
            "api_type": "json", "thing_id": item.remote_id, "text": text})
        things = ((answer.get("json") or {}).get("data") or {}).get("things") or []
        if not things:
            raise OutcomeUnknown("Reddit accepted the answer but did not describe it.")
        data = things[0].get("data") or {}
        name = str(data.get("name") or (f"t1_{data['id']}" if data.get("id") else ""))
        permalink = str(data.get("permalink") or "")
        return PublishResult(name, f"https://www.reddit.com{permalink}" if permalink else "",
                             published_at=readings.since_epoch(data.get("created_utc")))

    def lookup_reply(self, item: InboxItem, text: str) -> PublishResult | None:
        if item.kind != InboxKind.MESSAGE:
            return super().lookup_reply(item, text)
        listing = self._call("GET", "/message/sent", params={"limit": "100", "raw_json": "1"})
        for child in (listing.get("data") or {}).get("children") or []:
            data = child.get("data") or {}
            if data.get("parent_id") == item.remote_id and same_text(str(data.get("body")), text):
                return PublishResult(str(data.get("name") or ""), "",
                                     published_at=readings.since_epoch(data.get("created_utc")))
        return None

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        if comment_id.startswith("t4_"):
            raise NotSupported("Reddit cannot hide a private message.")
        data = {"id": comment_id if comment_id.startswith("t1_") else f"t1_{comment_id}"}
        if hidden:
            data["spam"] = "false"
        try:
            self._call("POST", "/api/remove" if hidden else "/api/approve", data=data, safe=True)
        except ProviderError as exc:
            if exc.status == 403 or isinstance(exc, MissingPermission):
                raise NotSupported(
                    "Reddit lets only the subreddit's moderators remove a comment, and this "
                    f"account is not one there ({exc.message}).", status=exc.status) from exc
            raise gone_or(exc, "Reddit") from exc


__all__ = ["RedditInbox"]
