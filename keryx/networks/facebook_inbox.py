"""The inbox on a Facebook Page: comments (and replies) on the Page's latest posts, and the
Page's Messenger conversations where the token has pages_messaging.

Graph API references: Page Feed and Comments (`GET /{post-id}/comments?filter=stream`, `POST
/{comment-id}/comments`, `POST /{comment-id}` with `is_hidden`, `DELETE /{comment-id}`), Page
Conversations (`GET /{page-id}/conversations?platform=messenger&fields=messages{...}`) and the
Send API (`POST /{page-id}/messages`, messaging_type RESPONSE, within 24 hours of the person's
last message). Comments are plain text (`message`); Facebook threads replies one level deep, so
a reply to a reply answers its top-level comment. No idempotency key: see inboxkit."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from keryx.networks import meta, readings
from keryx.networks.base import NotSupported, ProviderError, PublishResult
from keryx.networks.community import InboxItem, InboxKind
from keryx.networks.inboxkit import NAME_MAX, CommentsInbox, gone_or, post_of, same_text

MESSAGING_PERMISSION = "pages_messaging"
CONVERSATION_PAGE = 20
MESSAGE_PAGE = 25
DM = "dm:"


class FacebookInbox(CommentsInbox):
    inbox_permission: ClassVar[str] = "pages_read_engagement"
    inbox_denied = staticmethod(meta.permission_missing)
    inbox_gone = staticmethod(meta.object_gone)

    page_id: str
    _graph: Any

    def _inbox_me(self) -> tuple[set[str], set[str]]:
        return {self.page_id}, set()

    def _inbox_reply_target(self, item: InboxItem) -> str:
        post = post_of(item)
        if item.in_reply_to and post and item.in_reply_to != post:
            return item.in_reply_to  # a reply to a reply goes under the top-level comment
        return item.remote_id

    def _inbox_exists(self, item: InboxItem) -> None:
        if item.kind == InboxKind.MESSAGE:
            return  # a Messenger message cannot be read back by id; the Send API tells
        try:
            self._graph("GET", f"/{item.remote_id}", params={"fields": "id"})
        except ProviderError as exc:
            raise gone_or(self._refusal(exc, "the comment"), "Facebook", meta.object_gone) \
                from exc

    # -- Messenger ----------------------------------------------------------------------

    def _inbox_extra(self, since: datetime | None) -> list[InboxItem]:
        return self._extra_or_warn("Messenger conversations", self._conversations)

    def _conversations(self) -> list[InboxItem]:
        try:
            body = self._graph("GET", f"/{self.page_id}/conversations", params={
                "platform": "messenger", "limit": str(CONVERSATION_PAGE),
                "fields": f"id,updated_time,messages.limit({MESSAGE_PAGE})"
                          "{id,message,from,created_time}"})
        except ProviderError as exc:
            raise self._message_refusal(exc) from exc
        items = []
        for conversation in body.get("data") or []:
            convo = str(conversation.get("id") or "")
            for message in (conversation.get("messages") or {}).get("data") or []:
                sender = message.get("from") or {}
                if not message.get("id") or not isinstance(message.get("message"), str) \
                        or not message["message"] or str(sender.get("id")) == self.page_id:
                    continue  # attachments only, or the Page's own answers
                name = str(sender.get("name") or "")
                items.append(InboxItem(
                    remote_id=str(message["id"]), kind=InboxKind.MESSAGE,
                    text=message["message"], author_id=str(sender.get("id") or ""),
                    author_handle=name, author_name=name[:NAME_MAX],
                    created_at=meta.parse_graph_time(message.get("created_time")),
                    conversation_id=DM + convo, visibility="direct",
                    url="https://business.facebook.com/latest/inbox"))
        return items

    def _message_refusal(self, exc: ProviderError) -> ProviderError:
        return self._refusal_named(exc, "the Page's Messenger conversations",
                                   MESSAGING_PERMISSION)

    def _refusal_named(self, exc: ProviderError, what: str, permission: str) -> ProviderError:
        found = readings.translate(exc, network="Facebook", permission=permission, what=what,
                                   denied=meta.permission_missing)
        return found if isinstance(found, ProviderError) else exc

    def _inbox_send(self, item: InboxItem, text: str) -> PublishResult:
        if item.kind != InboxKind.MESSAGE:
            return self.reply(self._inbox_reply_target(item), text)
        try:
            body = self._graph("POST", f"/{self.page_id}/messages", json={
                "recipient": {"id": item.author_id}, "messaging_type": "RESPONSE",
                "message": {"text": text}})
        except ProviderError as exc:
            raise self._message_refusal(exc) from exc
        return PublishResult(str(body.get("message_id") or ""),
                             "https://business.facebook.com/latest/inbox",
                             raw={"recipient_id": body.get("recipient_id")})

    def lookup_reply(self, item: InboxItem, text: str) -> PublishResult | None:
        if item.kind != InboxKind.MESSAGE:
            return super().lookup_reply(item, text)
        convo = item.conversation_id.removeprefix(DM)
        body = self._graph("GET", f"/{convo}", params={
            "fields": f"messages.limit({MESSAGE_PAGE}){{id,message,from,created_time}}"})
        for message in (body.get("messages") or {}).get("data") or []:
            created = meta.parse_graph_time(message.get("created_time"))
            if str((message.get("from") or {}).get("id")) == self.page_id \
                    and same_text(str(message.get("message") or ""), text) \
                    and not (item.created_at and created and created < item.created_at):
                return PublishResult(str(message["id"]),
                                     "https://business.facebook.com/latest/inbox",
                                     published_at=created)
        return None

    # -- hiding and deleting ----------------------------------------------------------------

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        if comment_id.startswith("m_"):
            raise NotSupported("Facebook cannot hide a Messenger message.")
        try:
            self._graph("POST", f"/{comment_id}",
                        data={"is_hidden": "true" if hidden else "false"}, safe_to_repeat=True)
        except ProviderError as exc:
            raise self._act_refusal(exc) from exc

    def delete_comment(self, comment_id: str) -> None:
        if comment_id.startswith("m_"):
            raise NotSupported("Facebook cannot delete a person's Messenger message.")
        try:
            self._graph("DELETE", f"/{comment_id}", safe_to_repeat=True)
        except ProviderError as exc:
            raise self._act_refusal(exc) from exc

    def _act_refusal(self, exc: ProviderError) -> ProviderError:
        found = self._refusal_named(exc, "moderating the comment", "pages_manage_engagement")
        return gone_or(found, "Facebook", meta.object_gone)


__all__ = ["FacebookInbox"]
