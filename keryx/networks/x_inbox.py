"""The inbox on X: mentions of the account (`GET /2/users/:id/mentions`) and the replies in
the conversations of its latest posts (recent search, `conversation_id:`), answered with
`POST /2/tweets` and `reply.in_reply_to_tweet_id`; replies hidden with `PUT
/2/tweets/:id/hidden` (only replies in conversations the account started).

Both readers need the X API's Basic access level (or higher): on the Free level X answers
403, which the inbox reports as a missing permission naming the access level, and nothing
is read. Texts are X's plain text with its HTML entities (&amp;) decoded. X has no
idempotency key for a post: see inboxkit."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any, ClassVar

from keryx.networks.base import Gone, MissingPermission, NotSupported, ProviderError
from keryx.networks.community import InboxItem, InboxKind
from keryx.networks.inboxkit import NAME_MAX, THREAD, CommentsInbox, gone_or, handle_key
from keryx.networks.times import parse_iso_time

ACCESS_LEVEL = "Basic access level (or higher) of the X API"
MENTIONS_PAGE = 100


class XInbox(CommentsInbox):
    inbox_permission: ClassVar[str] = ACCESS_LEVEL

    settings: dict[str, Any]
    _call: Any
    _user_id: Any

    def _inbox_me(self) -> tuple[set[str], set[str]]:
        ids = {str(self.settings["user_id"])} if self.settings.get("user_id") else set()
        name = handle_key(str(self.settings.get("username") or ""))
        return ids, ({name} if name else set())

    def _refusal(self, exc: ProviderError, what: str) -> ProviderError:
        if exc.status == 403 and getattr(exc, "permission", "") != ACCESS_LEVEL:
            return MissingPermission(
                f"X refused to show {what} ({exc.message}): reading mentions and replies "
                f"needs the {ACCESS_LEVEL}.", permission=ACCESS_LEVEL, status=403, raw=exc.raw)
        return super()._refusal(exc, what)

    def fetch_inbox(self, since: datetime | None = None) -> list[InboxItem]:
        try:
            return super().fetch_inbox(since)
        except ProviderError as exc:
            raise self._refusal(exc, "the account's posts") from exc

    def _inbox_extra(self, since: datetime | None) -> list[InboxItem]:
        params = {
            "tweet.fields": "author_id,created_at,conversation_id,referenced_tweets,lang",
            "expansions": "author_id", "user.fields": "username,name",
            "max_results": str(MENTIONS_PAGE)}
        if since:
            params["start_time"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            body = self._call("GET", f"/2/users/{self._user_id()}/mentions", params=params)
        except ProviderError as exc:
            raise self._refusal(exc, "the mentions") from exc
        users = {u.get("id"): u for u in (body.get("includes") or {}).get("users") or []}
        ours = {p.remote_id for p in self.inbox_posts}
        items = []
        for post in body.get("data") or []:
            if not post.get("id"):
                continue
            author = users.get(post.get("author_id")) or {}
            parent = next((str(r.get("id")) for r in post.get("referenced_tweets") or []
                           if r.get("type") == "replied_to"), "")
            conversation = str(post.get("conversation_id") or post["id"])
            kind = InboxKind.COMMENT if conversation in ours or parent in ours \
                else InboxKind.MENTION
            handle = str(author.get("username") or "")
            items.append(InboxItem(
                remote_id=str(post["id"]), kind=kind, text=html.unescape(post.get("text") or ""),
                author_id=str(post.get("author_id") or ""), author_handle=handle,
                author_name=str(author.get("name") or handle)[:NAME_MAX],
                language=str(post.get("lang") or "") if post.get("lang") not in
                ("und", "zxx", "qme", "qht") else "",
                created_at=parse_iso_time(post.get("created_at")), in_reply_to=parent,
                conversation_id=THREAD + conversation, visibility="public",
                url=f"https://x.com/i/web/status/{post['id']}"))
        return items

    def _inbox_exists(self, item: InboxItem) -> None:
        try:
            body = self._call("GET", f"/2/tweets/{item.remote_id}", params={"tweet.fields": "id"})
        except ProviderError as exc:
            raise gone_or(exc, "X") from exc
        if not (body.get("data") or {}).get("id"):
            errors = body.get("errors") or [{}]
            raise Gone(f"The post was deleted on X ({errors[0].get('detail') or 'not found'}).")

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        try:
            self._call("PUT", f"/2/tweets/{comment_id}/hidden", json={"hidden": hidden},
                       safe_to_repeat=True)
        except ProviderError as exc:
            if exc.status == 403:
                raise NotSupported(
                    f"X hides only replies in conversations this account started "
                    f"({exc.message}).", status=403) from exc
            raise gone_or(exc, "X") from exc


__all__ = ["XInbox"]
