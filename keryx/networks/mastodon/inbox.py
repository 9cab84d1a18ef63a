"""The inbox on Mastodon: mention notifications, replies found in our statuses' context, and
direct conversations, read as plain-text InboxItems; answers posted in the right thread.

What counts as what: a direct status is a `message`; a status replying to one of ours (or in the
thread under one of ours) is a `comment`; any other status that mentions us is a `mention`.
The conversation of a DM is Mastodon's conversation id; of a comment, the root of its thread.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from keryx.networks.base import Disconnected, Gone, NotSupported, PublishResult, Transient
from keryx.networks.community import InboxItem, InboxKind
from keryx.networks.mastodon.content import comparable, html_to_text
from keryx.networks.mastodon.server import json_body
from keryx.networks.mastodon.statuses import MastodonStatuses
from keryx.networks.times import parse_iso_time

NOTIFICATION_PAGE = 40
# How many of our latest statuses have their replies read on each fetch.
RECENT_POSTS = 20


class MastodonInbox(MastodonStatuses):
    def _get_list(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        body = json_body(self._call("GET", path, params=params or {}))
        if not isinstance(body, list):
            raise Transient(f"The server's answer to {path} is not a list.")
        return body

    def fetch_inbox(self, since: datetime | None = None) -> list[InboxItem]:
        me = self._account_id()
        statuses: dict[str, dict[str, Any]] = {}
        for note in self._get_list("/api/v1/notifications",
                                   {"types[]": "mention", "limit": str(NOTIFICATION_PAGE)}):
            status = note.get("status") if isinstance(note, dict) else None
            if isinstance(status, dict) and status.get("id"):
                statuses[str(status["id"])] = status
        # Replies that do not mention us raise no notification: read our posts' threads.
        roots: dict[str, str] = {}
        ours = self._get_list(f"/api/v1/accounts/{me}/statuses",
                              {"limit": str(RECENT_POSTS), "exclude_reblogs": "true"})
        own_ids = {str(s["id"]) for s in ours if isinstance(s, dict) and s.get("id")}
        # Our post may be older than `since` and still get new replies: `since` filters replies.
        for status in ours:
            context = json_body(self._call("GET", f"/api/v1/statuses/{status['id']}/context"))
            for reply in (context or {}).get("descendants") or []:
                if isinstance(reply, dict) and reply.get("id"):
                    statuses.setdefault(str(reply["id"]), reply)
                    roots[str(reply["id"])] = str(status["id"])
        conversations = self._conversation_ids()
        items = []
        for status in statuses.values():
            if str((status.get("account") or {}).get("id") or "") == me:
                continue  # our own answers are not inbox items
            created = parse_iso_time(status.get("created_at"))
            if since and created and created < since:
                continue
            items.append(self._item(status, me, own_ids, roots, conversations))
        items.sort(key=lambda i: (i.created_at is None, i.created_at, i.remote_id))
        return items

    def _conversation_ids(self) -> dict[str, str]:
        """Status id -> conversation id, for the latest status of each direct conversation."""
        found: dict[str, str] = {}
        try:
            conversations = self._get_list("/api/v1/conversations", {"limit": "40"})
        except Disconnected:
            return found  # a server without conversations: DMs group by their thread instead
        for conversation in conversations:
            last = (conversation or {}).get("last_status") or {}
            if last.get("id"):
                found[str(last["id"])] = str(conversation["id"])
        return found

    @staticmethod
    def _item(status: dict[str, Any], me: str, own_ids: set[str], roots: dict[str, str],
              conversations: dict[str, str]) -> InboxItem:
        status_id = str(status["id"])
        account = status.get("account") or {}
        visibility = str(status.get("visibility") or "")
        parent = str(status.get("in_reply_to_id") or "")
        if visibility == "direct":
            kind = InboxKind.MESSAGE
            conversation = "dm:" + conversations.get(status_id, parent or status_id)
        elif status_id in roots or parent in own_ids \
                or str(status.get("in_reply_to_account_id") or "") == me:
            kind = InboxKind.COMMENT
            conversation = "thread:" + roots.get(status_id, parent or status_id)
        else:
            kind = InboxKind.MENTION
            conversation = "thread:" + (parent or status_id)
        return InboxItem(
            remote_id=status_id,
            kind=kind,
            text=html_to_text(status.get("content") or ""),
            author_id=str(account.get("id") or ""),
            author_handle=str(account.get("acct") or account.get("username") or ""),
            author_name=str(account.get("display_name") or account.get("username") or ""),
            language=str(status.get("language") or ""),
            created_at=parse_iso_time(status.get("created_at")),
            in_reply_to=parent,
            conversation_id=conversation,
            visibility=visibility,
            url=str(status.get("url") or status.get("uri") or ""),
        )

    def reply_to(self, item: InboxItem, text: str, idempotency_key: str) -> PublishResult:
        if not idempotency_key:
            raise ValueError("An inbox reply needs its fixed idempotency key.")
        try:
            self._call("GET", f"/api/v1/statuses/{item.remote_id}", safe_to_repeat=True)
        except Disconnected as exc:
            if exc.status in (404, 410):
                raise Gone("The item was deleted on Mastodon before the reply.",
                           status=exc.status) from exc
            raise
        body = self._addressed(item, text)
        # A DM answer stays direct; a public thread stays as open as the item it answers.
        visibility = "direct" if item.kind == InboxKind.MESSAGE else (
            item.visibility if item.visibility in {"public", "unlisted", "private"} else "")
        data = {"status": body, "in_reply_to_id": item.remote_id}
        if visibility:
            data["visibility"] = visibility
        response = self._call("POST", "/api/v1/statuses", data=data,
                              headers={"Idempotency-Key": idempotency_key})
        return self._result(json_body(response))

    @staticmethod
    def _addressed(item: InboxItem, text: str) -> str:
        """Mastodon shows and notifies a reply only to those it mentions: start with the
        author's handle unless the text already does."""
        handle = item.author_handle.lstrip("@")
        if not handle or f"@{handle}".lower() in text.lower():
            return text
        return f"@{handle} {text}"

    def lookup_reply(self, item: InboxItem, text: str) -> PublishResult | None:
        me = self._account_id()
        context = json_body(self._call("GET", f"/api/v1/statuses/{item.remote_id}/context"))
        wanted = comparable(self._addressed(item, text))
        for status in (context or {}).get("descendants") or []:
            if str(status.get("in_reply_to_id")) == item.remote_id \
                    and str((status.get("account") or {}).get("id") or "") == me \
                    and comparable(html_to_text(status.get("content") or "")) == wanted:
                return self._result(status)
        return None

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        raise NotSupported("Mastodon cannot hide another person's reply; block or report "
                           "the account on the server instead.")
