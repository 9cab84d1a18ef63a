"""The inbox on Bluesky: notifications (mention, reply, quote), the threads under our latest
posts, and direct messages (chat.bsky.convo), read as plain-text InboxItems; answers posted in
the right thread, exactly once.

What counts as what: a chat message is a `message`; a post in a thread that starts with one of
ours, or replying to one of ours, is a `comment`; any other post that mentions or quotes us is a
`mention`. A post's conversation is the root of its thread ("thread:at://..."); a message's is
its chat conversation ("dm:<convoId>"). Our own posts and messages are never items.

Exactly once: a reply is a post whose record key is derived from the reply's idempotency key
(`reply_key`), created through the same createRecord-or-find-it path as publishing
(BlueskyRecords._put), so a retry after an unknown outcome finds the post made by the first
attempt instead of making a second. Chat has no such key: sendMessage is sent once per attempt,
and an unknown outcome is settled by `lookup_reply` (our message with that text in the
conversation) before anything is sent again.

Hiding: Bluesky hides replies through the thread gate of the thread's root post
(app.bsky.feed.threadgate, same record key as the root, `hiddenReplies`, at most 300), which
only the root's author can write: replies in threads under our own posts can be hidden, nothing
else.

The AppView (app.bsky.*) and the chat service (chat.bsky.*, with the `atproto-proxy` header)
are reached through the account's PDS, which proxies both.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

import httpx

from keryx.networks.base import (
    BadContent,
    Disconnected,
    Gone,
    MissingPermission,
    NotSupported,
    ProviderError,
    PublishResult,
    RateLimited,
    Transient,
)
from keryx.networks.bluesky.keys import tid_value
from keryx.networks.bluesky.lexicon import (
    APP_URL,
    MAX_BYTES,
    MAX_GRAPHEMES,
    POST_COLLECTION,
    now,
    split_uri,
)
from keryx.networks.bluesky.records import BlueskyRecords
from keryx.networks.bluesky.richtext import plain_text
from keryx.networks.bluesky.session import xrpc_error
from keryx.networks.community import InboxItem, InboxKind
from keryx.networks.http import error_message, raise_for_status
from keryx.networks.text import graphemes, utf8_length
from keryx.networks.times import parse_iso_time

logger = logging.getLogger(__name__)

NOTIFICATION_REASONS = ("mention", "reply", "quote")
NOTIFICATION_PAGE = 100  # listNotifications' maximum
MAX_NOTIFICATION_PAGES = 5
# How many of our latest posts have their threads read on each fetch (a reply deeper in the
# thread, to someone else, notifies only its parent's author).
RECENT_POSTS = 20
THREAD_DEPTH = 10
THREADGATE_COLLECTION = "app.bsky.feed.threadgate"
MAX_HIDDEN_REPLIES = 300  # app.bsky.feed.threadgate hiddenReplies maxLength
NAME_MAX = 255

# Bluesky's chat service, reached through the PDS (the service DID and its entry in the DID
# document). It is not part of @atproto/dev-env: the DM code is tested with fixtures shaped
# after the chat.bsky.convo lexicons.
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
CONVO_PAGE = 20
MESSAGE_PAGE = 50
# Messages are read a day further back than posts: a sync that could not read the chat must not
# lose the messages of that time for good (each is stored once however often it is read).
CHAT_LOOKBACK = timedelta(days=1)
MESSAGE_TYPE = "chat.bsky.convo.defs#messageView"
# chat.bsky.convo.defs#messageInput: text maxGraphemes 1000, maxLength 10000.
MAX_MESSAGE_GRAPHEMES = 1000
MAX_MESSAGE_BYTES = 10000


def reply_key(idempotency_key: str) -> str:
    """The record key of the reply made under this idempotency key: the key itself when it is
    a TID (what BlueskyProvider.new_idempotency_key gives), else a TID derived from its hash,
    so the same key always names the same record."""
    try:
        tid_value(idempotency_key)
        return idempotency_key
    except ValueError:
        pass
    number = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big")
    number &= (1 << 63) - 1
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    chars = []
    for _ in range(13):
        chars.append(alphabet[number & 31])
        number >>= 5
    return "".join(reversed(chars))


def message_id(convo_id: str, message: str) -> str:
    """The inbox remote id of a chat message (ids are unique only within the chat service)."""
    return f"chat:{convo_id}:{message}"


def split_message_id(remote_id: str) -> tuple[str, str] | None:
    if not remote_id.startswith("chat:"):
        return None
    convo, _, message = remote_id[len("chat:"):].rpartition(":")
    return (convo, message) if convo and message else None


def _language(record: dict[str, Any]) -> str:
    langs = record.get("langs")
    if isinstance(langs, list) and langs and isinstance(langs[0], str):
        return langs[0].split("-", 1)[0].lower()[:16]
    return ""


def _ref(value: Any) -> dict[str, str] | None:
    if isinstance(value, dict) and isinstance(value.get("uri"), str) and value.get("uri"):
        return {"uri": value["uri"], "cid": str(value.get("cid") or "")}
    return None


def _did_of(uri: str) -> str:
    try:
        return split_uri(uri)[0]
    except ValueError:
        return ""


class BlueskyInbox(BlueskyRecords):
    """fetch_inbox / reply_to / lookup_reply / hide_comment (keryx.networks.community)."""

    # -- reading --------------------------------------------------------------------------

    def _json(self, response: httpx.Response, nsid: str) -> dict[str, Any]:
        if response.status_code == 403:
            raise MissingPermission(
                f"Bluesky refused {nsid} ({error_message(response)}): the app password lacks "
                f"permission for it.", permission=f"rpc:{nsid}", status=403)
        raise_for_status(response, sent_unsafe=False)
        try:
            body = response.json()
        except ValueError as exc:
            raise Transient(f"{nsid} answered something that is not JSON.") from exc
        if not isinstance(body, dict):
            raise Transient(f"{nsid} answered something that is not a JSON object.")
        return body

    def _query(self, nsid: str, **params: Any) -> dict[str, Any]:
        return self._json(self._call("GET", nsid, params=params, check_status=False), nsid)

    def fetch_inbox(self, since: datetime | None = None) -> list[InboxItem]:
        me = self.did
        self.fetch_warnings: list[str] = []
        posts: dict[str, InboxItem] = {}
        for note in self._notifications(since):
            item = self._post_item(note.get("uri"), note.get("cid"), note.get("author"),
                                   note.get("record"), me, reason=str(note.get("reason") or ""))
            if item is not None:
                posts.setdefault(item.remote_id, item)
        for view in self._thread_replies():
            item = self._post_item(view.get("uri"), view.get("cid"), view.get("author"),
                                   view.get("record"), me, reason="thread")
            if item is not None:
                posts.setdefault(item.remote_id, item)
        items = [i for i in posts.values()
                 if not (since and i.created_at and i.created_at < since)]
        items.extend(self._chat_items(me, since))
        items.sort(key=lambda i: (i.created_at is None, i.created_at, i.remote_id))
        return items

    def _notifications(self, since: datetime | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"reasons": list(NOTIFICATION_REASONS),
                                  "limit": NOTIFICATION_PAGE}
        for _page in range(MAX_NOTIFICATION_PAGES):
            body = self._query("app.bsky.notification.listNotifications", **params)
            notes = [n for n in body.get("notifications") or [] if isinstance(n, dict)]
            # Older AppViews ignore `reasons`: filter here as well.
            found.extend(n for n in notes if n.get("reason") in NOTIFICATION_REASONS)
            oldest = min((parse_iso_time(n.get("indexedAt")) for n in notes
                          if parse_iso_time(n.get("indexedAt"))), default=None)
            cursor = body.get("cursor")
            if not cursor or not notes or since is None or (oldest and oldest < since):
                break
            params["cursor"] = cursor
        return found

    def _recent_roots(self) -> list[str]:
        """The at:// URIs of our latest top-level posts, from our own repository."""
        body = self._query("com.atproto.repo.listRecords", repo=self.did,
                           collection=POST_COLLECTION, limit=RECENT_POSTS * 2)
        roots = []
        for record in body.get("records") or []:
            value = record.get("value") if isinstance(record, dict) else None
            if isinstance(value, dict) and not value.get("reply") and record.get("uri"):
                roots.append(str(record["uri"]))
        return roots[:RECENT_POSTS]

    def _thread_replies(self) -> list[dict[str, Any]]:
        """Post views of the replies in the threads under our latest posts."""
        views: list[dict[str, Any]] = []
        for uri in self._recent_roots():
            response = self._call("GET", "app.bsky.feed.getPostThread",
                                  params={"uri": uri, "depth": THREAD_DEPTH, "parentHeight": 0},
                                  check_status=False)
            if response.status_code == 400 and xrpc_error(response) == "NotFound":
                continue  # not indexed yet, or deleted meanwhile
            thread = self._json(response, "app.bsky.feed.getPostThread").get("thread")
            stack = list((thread or {}).get("replies") or [])
            while stack:
                node = stack.pop()
                if not isinstance(node, dict) or not isinstance(node.get("post"), dict):
                    continue  # notFoundPost, blockedPost
                views.append(node["post"])
                stack.extend(node.get("replies") or [])
        return views

    def _post_item(self, uri: Any, cid: Any, author: Any, record: Any, me: str, *,
                   reason: str) -> InboxItem | None:
        if not isinstance(uri, str) or not isinstance(record, dict) \
                or record.get("$type", POST_COLLECTION) != POST_COLLECTION:
            return None
        author = author if isinstance(author, dict) else {}
        author_did = str(author.get("did") or _did_of(uri))
        if author_did == me:
            return None  # our own answers are not inbox items
        reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
        root, parent = _ref(reply.get("root")), _ref(reply.get("parent"))
        root_uri = root["uri"] if root else uri
        parent_uri = parent["uri"] if parent else ""
        if reason in ("reply", "thread") or _did_of(root_uri) == me \
                or (parent_uri and _did_of(parent_uri) == me):
            kind = InboxKind.COMMENT
        else:
            kind = InboxKind.MENTION  # a mention or a quote, outside our threads
        handle = str(author.get("handle") or author_did)
        try:
            rkey = split_uri(uri)[2]
        except ValueError:
            return None
        raw: dict[str, Any] = {"uri": uri, "cid": str(cid or ""), "reason": reason}
        if root:
            raw["root"] = root
        if parent:
            raw["parent"] = parent
        return InboxItem(
            remote_id=uri,
            kind=kind,
            text=plain_text(record.get("text"), record.get("facets")),
            author_id=author_did,
            author_handle=handle,
            # displayName may be 640 bytes: the inbox keeps 255 characters.
            author_name=str(author.get("displayName") or handle)[:NAME_MAX],
            language=_language(record),
            created_at=parse_iso_time(record.get("createdAt")),
            in_reply_to=parent_uri,
            conversation_id="thread:" + root_uri,
            visibility="public",
            url=f"{APP_URL}/profile/{handle}/post/{rkey}",
            raw=raw,
        )

    # -- direct messages (chat.bsky.convo) ------------------------------------------------

    def _chat(self, method: str, nsid: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"atproto-proxy": CHAT_PROXY}
        response = self._call(method, nsid, headers=headers, check_status=False, **kwargs)
        if response.status_code == 400 and xrpc_error(response) == "InvalidConvo":
            raise Gone(f"The conversation is no longer on Bluesky ({error_message(response)}).",
                       status=400)
        if method != "GET":
            raise_for_status(response, sent_unsafe=True)
        return self._json(response, nsid)

    def _chat_items(self, me: str, since: datetime | None) -> list[InboxItem]:
        """The other members' messages in our latest conversations. A chat service that cannot
        be read (the app password was made without access to direct messages, the service is
        down or, as in Bluesky's dev-env, absent) leaves the posts' items standing: the reason
        is kept in `fetch_warnings`. Expired sessions and rate limits still raise."""
        window = (since - CHAT_LOOKBACK) if since else None
        try:
            return self._read_chat(me, window)
        except RateLimited:
            raise
        except (MissingPermission, Disconnected, Transient, BadContent) as exc:
            warning = f"Direct messages were not read (Bluesky chat, {CHAT_PROXY}): {exc.message}"
            logger.info("bluesky inbox: %s", warning)
            self.fetch_warnings.append(warning)
            return []

    def _read_chat(self, me: str, window: datetime | None) -> list[InboxItem]:
        items: list[InboxItem] = []
        body = self._chat("GET", "chat.bsky.convo.listConvos", params={"limit": CONVO_PAGE})
        for convo in body.get("convos") or []:
            if not isinstance(convo, dict) or not convo.get("id"):
                continue
            last = convo.get("lastMessage") if isinstance(convo.get("lastMessage"), dict) else {}
            sent = parse_iso_time(last.get("sentAt"))
            if window and sent and sent < window:
                continue  # nothing new there
            members = {str(m.get("did")): m for m in convo.get("members") or []
                       if isinstance(m, dict)}
            convo_id = str(convo["id"])
            try:
                page = self._chat("GET", "chat.bsky.convo.getMessages",
                                  params={"convoId": convo_id, "limit": MESSAGE_PAGE})
            except Gone:
                continue  # left or deleted since listConvos answered
            for profile in page.get("relatedProfiles") or []:
                if isinstance(profile, dict):
                    members.setdefault(str(profile.get("did")), profile)
            for message in page.get("messages") or []:
                item = self._message_item(convo_id, message, members, me)
                if item and not (window and item.created_at and item.created_at < window):
                    items.append(item)
        return items

    @staticmethod
    def _message_item(convo_id: str, message: Any, members: dict[str, Any],
                      me: str) -> InboxItem | None:
        if not isinstance(message, dict) or not message.get("id") \
                or message.get("$type", MESSAGE_TYPE) != MESSAGE_TYPE \
                or not isinstance(message.get("text"), str):
            return None  # deleted or system messages
        sender = str((message.get("sender") or {}).get("did") or "")
        if not sender or sender == me:
            return None
        profile = members.get(sender) or {}
        handle = str(profile.get("handle") or sender)
        return InboxItem(
            remote_id=message_id(convo_id, str(message["id"])),
            kind=InboxKind.MESSAGE,
            text=plain_text(message["text"], message.get("facets")),
            author_id=sender,
            author_handle=handle,
            author_name=str(profile.get("displayName") or handle)[:NAME_MAX],
            created_at=parse_iso_time(message.get("sentAt")),
            conversation_id="dm:" + convo_id,
            visibility="direct",
            url=f"{APP_URL}/messages/{convo_id}",
            raw={"convo": convo_id, "message": str(message["id"]), "rev": message.get("rev")},
        )

    # -- the item as it is now --------------------------------------------------------------

    def _post_now(self, uri: str) -> dict[str, Any]:
        """{"uri", "cid", "record"} of a post as the network has it now; Gone when deleted."""
        try:
            repo, collection, rkey = split_uri(uri)
        except ValueError as exc:
            raise Gone(f"Not a Bluesky post: {uri!r}.") from exc
        body = self._query("app.bsky.feed.getPosts", uris=[uri])
        for view in body.get("posts") or []:
            if isinstance(view, dict) and view.get("uri") == uri \
                    and isinstance(view.get("record"), dict):
                return {"uri": uri, "cid": str(view.get("cid") or ""), "record": view["record"]}
        # Not in the AppView: deleted, or not indexed yet. The author's repository tells.
        response = self._call("GET", "com.atproto.repo.getRecord",
                              params={"repo": repo, "collection": collection, "rkey": rkey},
                              check_status=False)
        if response.status_code in (404, 410) or (response.status_code == 400 and (
                xrpc_error(response) in ("RecordNotFound", "NotFound")
                or "Could not locate record" in response.text)):
            raise Gone("The post was deleted on Bluesky.", status=response.status_code)
        body = self._json(response, "com.atproto.repo.getRecord")
        value = body.get("value")
        if not isinstance(value, dict):
            raise Gone("The post was deleted on Bluesky.")
        return {"uri": uri, "cid": str(body.get("cid") or ""), "record": value}

    # -- answering ------------------------------------------------------------------------

    def reply_to(self, item: InboxItem, text: str, idempotency_key: str) -> PublishResult:
        if not idempotency_key:
            raise ValueError("An inbox reply needs its fixed idempotency key.")
        chat = split_message_id(item.remote_id)
        if chat:
            return self._send_message(chat[0], text)
        count, size = graphemes(text), utf8_length(text)
        if count > MAX_GRAPHEMES or size > MAX_BYTES:
            raise BadContent(f"A Bluesky reply has at most {MAX_GRAPHEMES} characters and "
                             f"{MAX_BYTES} bytes; this one has {count} and {size}.")
        if not text.strip():
            raise BadContent("The reply is empty.")
        parent = self._post_now(item.remote_id)
        if not parent["cid"]:
            raise Transient("Bluesky did not give the post's content id; trying again later.")
        parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
        reply = parent["record"].get("reply") if isinstance(parent["record"], dict) else None
        root_ref = _ref((reply or {}).get("root")) or parent_ref
        record: dict[str, Any] = {"$type": POST_COLLECTION, "text": text, "createdAt": now(),
                                  "reply": {"root": root_ref, "parent": parent_ref}}
        facets = self._facets(text)
        if facets:
            record["facets"] = facets
        made, _existed = self._put(reply_key(idempotency_key), record)
        return self._result(made["uri"], made["cid"], made["createdAt"])

    def _send_message(self, convo_id: str, text: str) -> PublishResult:
        count, size = graphemes(text), utf8_length(text)
        if count > MAX_MESSAGE_GRAPHEMES or size > MAX_MESSAGE_BYTES:
            raise BadContent(f"A Bluesky direct message has at most {MAX_MESSAGE_GRAPHEMES} "
                             f"characters; this one has {count}.")
        message: dict[str, Any] = {"text": text}
        facets = self._facets(text)
        if facets:
            message["facets"] = facets
        try:
            sent = self._chat("POST", "chat.bsky.convo.sendMessage",
                              json={"convoId": convo_id, "message": message},
                              safe_to_repeat=False)
        except BadContent as exc:
            if "ConvoLocked" in exc.message or "locked" in exc.message.lower():
                raise Gone(f"The conversation is closed to new messages ({exc.message}).",
                           status=exc.status) from exc
            raise
        return self._message_result(convo_id, sent)

    @staticmethod
    def _message_result(convo_id: str, message: dict[str, Any]) -> PublishResult:
        return PublishResult(remote_id=message_id(convo_id, str(message.get("id") or "")),
                             url=f"{APP_URL}/messages/{convo_id}",
                             published_at=parse_iso_time(message.get("sentAt")),
                             raw={"convo": convo_id, "message": message.get("id")})

    def lookup_reply(self, item: InboxItem, text: str) -> PublishResult | None:
        me = self.did
        chat = split_message_id(item.remote_id)
        if chat:
            page = self._chat("GET", "chat.bsky.convo.getMessages",
                              params={"convoId": chat[0], "limit": MESSAGE_PAGE})
            for message in page.get("messages") or []:
                if isinstance(message, dict) and message.get("text") == text \
                        and str((message.get("sender") or {}).get("did") or "") == me:
                    sent = parse_iso_time(message.get("sentAt"))
                    if not (item.created_at and sent and sent < item.created_at):
                        return self._message_result(chat[0], message)
            return None
        # Our own repository (no indexing delay): a reply to this item with this text.
        body = self._query("com.atproto.repo.listRecords", repo=me, collection=POST_COLLECTION,
                           limit=100)
        for record in body.get("records") or []:
            value = record.get("value") if isinstance(record, dict) else None
            if not isinstance(value, dict):
                continue
            parent = _ref((value.get("reply") or {}).get("parent"))
            if parent and parent["uri"] == item.remote_id and value.get("text") == text:
                return self._result(str(record["uri"]), str(record.get("cid") or ""),
                                    value.get("createdAt"))
        return None

    # -- hiding ---------------------------------------------------------------------------

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        if split_message_id(comment_id):
            raise NotSupported("Bluesky cannot hide a direct message; block or mute the "
                               "account instead.")
        me = self.did
        post = self._post_now(comment_id)
        reply = post["record"].get("reply") if isinstance(post["record"], dict) else None
        root = _ref((reply or {}).get("root"))
        if not root or _did_of(root["uri"]) != me:
            raise NotSupported(
                "Bluesky hides only replies in threads that start with one of this account's "
                "posts (through the thread gate); this item is not under one of them.")
        _repo, _collection, rkey = split_uri(root["uri"])
        for attempt in range(2):
            try:
                self._set_hidden(root["uri"], rkey, comment_id, hidden)
                return
            except ProviderError as exc:
                # Someone changed the gate between our read and our write: read it again.
                if attempt or "InvalidSwap" not in exc.message:
                    raise

    def _set_hidden(self, root_uri: str, rkey: str, comment_id: str, hidden: bool) -> None:
        response = self._call("GET", "com.atproto.repo.getRecord",
                              params={"repo": self.did, "collection": THREADGATE_COLLECTION,
                                      "rkey": rkey}, check_status=False)
        existing: dict[str, Any] | None = None
        if not (response.status_code == 400 and xrpc_error(response) == "RecordNotFound"):
            existing = self._json(response, "com.atproto.repo.getRecord")
        value = dict((existing or {}).get("value") or {})
        hidden_now = [u for u in value.get("hiddenReplies") or [] if isinstance(u, str)]
        if hidden == (comment_id in hidden_now):
            return  # already as asked
        if hidden:
            if len(hidden_now) >= MAX_HIDDEN_REPLIES:
                raise NotSupported(f"Bluesky hides at most {MAX_HIDDEN_REPLIES} replies in one "
                                   f"thread; this thread has that many hidden already.")
            hidden_now.append(comment_id)
        else:
            hidden_now.remove(comment_id)
        # `allow` (who may reply) is kept as it is; absent means anyone may reply.
        value.update({"$type": THREADGATE_COLLECTION, "post": root_uri,
                      "hiddenReplies": hidden_now})
        value.setdefault("createdAt", now())
        data: dict[str, Any] = {"repo": self.did, "collection": THREADGATE_COLLECTION,
                                "rkey": rkey, "record": value, "validate": True}
        if existing and existing.get("cid"):
            data["swapRecord"] = existing["cid"]
        # The same record written twice is the same record: safe to repeat.
        self._call("POST", "com.atproto.repo.putRecord", json=data, safe_to_repeat=True)
