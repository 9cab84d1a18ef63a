"""The Bluesky inbox at the HTTP seam (respx): what dev-env cannot show.

Direct messages: Bluesky's chat service (chat.bsky.convo.*, reached through the PDS with the
`atproto-proxy: did:web:api.bsky.chat#bsky_chat` header) is not part of @atproto/dev-env, so
its answers here are shaped after the lexicons (chat.bsky.convo.defs#convoView, #messageView,
#deletedMessageView, #systemMessageView; listConvos, getMessages, sendMessage). And the ugly
cases: a deleted post, 10,000 characters, zero-width characters, HTML-like text, rate limits,
a refused session, an app password without access to direct messages.

The live behaviour (notifications, threads, replies, thread gates) is in
tests/test_inbox_bluesky_appview.py."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from keryx.channels.models import Channel, ChannelStatus
from keryx.inbox import services
from keryx.inbox.models import InboxItem, SyncState
from keryx.networks.base import (
    AuthExpired,
    BadContent,
    Gone,
    NotSupported,
    OutcomeUnknown,
    ProviderContext,
    RateLimited,
)
from keryx.networks.bluesky import BlueskyProvider
from keryx.networks.bluesky.inbox import CHAT_PROXY, reply_key
from keryx.networks.bluesky.richtext import plain_text
from keryx.networks.community import InboxItem as RemoteItem
from keryx.networks.community import InboxKind

PDS = "https://pds.example"
XRPC = f"{PDS}/xrpc"
ME = "did:plc:brand"
DAN = "did:plc:dan"
POST = f"at://{ME}/app.bsky.feed.post/3lbrandpost22"
CONVO = "3kconvo"


def provider() -> BlueskyProvider:
    return BlueskyProvider(ProviderContext(
        credentials={"handle": "brand.example", "app_password": "xxxx-xxxx-xxxx-xxxx",
                     "access_jwt": "access", "refresh_jwt": "refresh", "did": ME},
        settings={"service": PDS}, timeout=5.0, allow_private=("pds.example",)))


def profile(did: str, handle: str, name: str = "") -> dict[str, Any]:
    view: dict[str, Any] = {"did": did, "handle": handle}
    if name:
        view["displayName"] = name
    return view


def note(uri: str, reason: str, text: str, **record: Any) -> dict[str, Any]:
    """app.bsky.notification.listNotifications#notification (by the author of `uri`)."""
    did = uri.removeprefix("at://").split("/", 1)[0]
    author = profile(did, "dan.example", "Dan") if did == DAN else profile(did, "brand.example")
    return {"uri": uri, "cid": "bafyc" + uri[-4:], "author": author,
            "reason": reason, "isRead": False, "indexedAt": "2026-12-04T10:00:01.000Z",
            "record": {"$type": "app.bsky.feed.post", "text": text,
                       "createdAt": "2026-12-04T10:00:00.000Z", **record}}


def message(mid: str, sender: str, text: str, sent: str = "2026-12-04T10:00:00.000Z",
            **extra: Any) -> dict[str, Any]:
    """chat.bsky.convo.defs#messageView."""
    return {"$type": "chat.bsky.convo.defs#messageView", "id": mid, "rev": "r" + mid,
            "text": text, "sender": {"did": sender}, "sentAt": sent, **extra}


def convo(last: dict[str, Any] | None = None) -> dict[str, Any]:
    """chat.bsky.convo.defs#convoView of a direct conversation between us and Dan."""
    view = {"id": CONVO, "rev": "r1", "muted": False, "unreadCount": 1, "status": "accepted",
            "members": [profile(ME, "brand.example"), profile(DAN, "dan.example", "Dan")],
            "kind": {"$type": "chat.bsky.convo.defs#directConvo"}}
    if last:
        view["lastMessage"] = last
    return view


@pytest.fixture
def xrpc():
    with respx.mock(base_url=XRPC, assert_all_mocked=True, assert_all_called=False) as mock:
        yield mock


def no_posts(xrpc, notifications: list[dict[str, Any]] | None = None) -> None:
    xrpc.get("/app.bsky.notification.listNotifications").respond(
        json={"notifications": notifications or []})
    xrpc.get("/com.atproto.repo.listRecords").respond(json={"records": []})


def chat_routes(xrpc, messages: list[dict[str, Any]]) -> tuple[Any, Any]:
    convos = xrpc.get("/chat.bsky.convo.listConvos").respond(
        json={"convos": [convo(messages[0] if messages else None)]})
    page = xrpc.get("/chat.bsky.convo.getMessages").respond(
        json={"messages": messages, "relatedProfiles": [profile(DAN, "dan.example", "Dan")]})
    return convos, page


# -- direct messages ------------------------------------------------------------------------


def test_direct_messages_are_read_through_the_chat_proxy(xrpc):
    no_posts(xrpc)
    text = "Είστε ανοιχτά; <script>alert(1)</script> a\u200bb"
    convos, page = chat_routes(xrpc, [
        message("m3", DAN, text),
        message("m2", ME, "our own earlier answer"),
        {"$type": "chat.bsky.convo.defs#deletedMessageView", "id": "m1", "rev": "r",
         "sender": {"did": DAN}, "sentAt": "2026-12-04T09:00:00.000Z"},
        {"$type": "chat.bsky.convo.defs#systemMessageView", "id": "m0", "rev": "r",
         "sentAt": "2026-12-04T08:00:00.000Z",
         "data": {"$type": "chat.bsky.convo.defs#systemMessageDataEditGroup"}},
    ])
    [item] = provider().fetch_inbox(None)
    assert item.kind == InboxKind.MESSAGE and item.remote_id == f"chat:{CONVO}:m3"
    assert item.conversation_id == f"dm:{CONVO}" and item.visibility == "direct"
    assert (item.author_id, item.author_handle, item.author_name) == (DAN, "dan.example", "Dan")
    assert item.text == text  # as typed: HTML-like text stays text, zero-width kept
    for route in (convos, page):
        assert route.calls.last.request.headers["atproto-proxy"] == CHAT_PROXY
    assert page.calls.last.request.url.params["convoId"] == CONVO


def test_a_dm_answer_is_sent_in_the_same_conversation(xrpc):
    sent = xrpc.post("/chat.bsky.convo.sendMessage").respond(
        json=message("m9", ME, "Ναι, 10 με 2.", "2026-12-04T10:05:00.000Z"))
    item = RemoteItem(remote_id=f"chat:{CONVO}:m3", kind=InboxKind.MESSAGE, text="?",
                     conversation_id=f"dm:{CONVO}")
    result = provider().reply_to(item, "Ναι, 10 με 2.", "3lkey2222222a")
    body = json.loads(sent.calls.last.request.content)
    assert body == {"convoId": CONVO, "message": {"text": "Ναι, 10 με 2."}}
    assert sent.calls.last.request.headers["atproto-proxy"] == CHAT_PROXY
    assert result.remote_id == f"chat:{CONVO}:m9"


def test_a_lost_dm_answer_is_found_before_it_is_sent_again(xrpc):
    xrpc.post("/chat.bsky.convo.sendMessage").mock(side_effect=httpx.ReadTimeout("lost"))
    item = RemoteItem(remote_id=f"chat:{CONVO}:m3", kind=InboxKind.MESSAGE, text="?")
    with pytest.raises(OutcomeUnknown):
        provider().reply_to(item, "Thanks!", "3lkey2222222a")
    page = xrpc.get("/chat.bsky.convo.getMessages")
    page.respond(json={"messages": [message("m3", DAN, "?")]})
    assert provider().lookup_reply(item, "Thanks!") is None
    page.respond(json={"messages": [message("m4", ME, "Thanks!"), message("m3", DAN, "?")]})
    found = provider().lookup_reply(item, "Thanks!")
    assert found is not None and found.remote_id == f"chat:{CONVO}:m4"


def test_dm_to_a_conversation_that_is_gone(xrpc):
    xrpc.post("/chat.bsky.convo.sendMessage").respond(
        400, json={"error": "InvalidConvo", "message": "Convo not found"})
    item = RemoteItem(remote_id=f"chat:{CONVO}:m3", kind=InboxKind.MESSAGE, text="?")
    with pytest.raises(Gone, match="conversation"):
        provider().reply_to(item, "Hello", "3lkey2222222a")


def test_an_app_password_without_dm_access_leaves_the_posts_and_says_why(xrpc):
    no_posts(xrpc, [note("at://did:plc:dan/app.bsky.feed.post/3lmention222", "mention",
                         "hi @brand.example")])
    xrpc.get("/chat.bsky.convo.listConvos").respond(
        400, json={"error": "InvalidToken", "message": "Bad token method"})
    bluesky = provider()
    # No refreshSession route: refreshing a good token of the wrong kind would fail the test.
    [item] = bluesky.fetch_inbox(None)
    assert item.kind == InboxKind.MENTION
    [warning] = bluesky.fetch_warnings
    assert "Allow access to your direct messages" in warning


def test_a_rate_limited_chat_is_not_swallowed(xrpc):
    no_posts(xrpc)
    xrpc.get("/chat.bsky.convo.listConvos").respond(
        429, json={"error": "RateLimitExceeded"}, headers={"retry-after": "30"})
    with pytest.raises(RateLimited) as caught:
        provider().fetch_inbox(None)
    assert caught.value.retry_after == 30


def test_hiding_a_direct_message_is_refused_with_a_reason():
    with pytest.raises(NotSupported, match="direct message"):
        provider().hide_comment(f"chat:{CONVO}:m3")


# -- posts: the ugly cases --------------------------------------------------------------------


def test_long_zero_width_and_html_like_texts_are_kept_as_text(xrpc):
    long_text = "ω" * 10_000
    xrpc.get("/chat.bsky.convo.listConvos").respond(json={"convos": []})
    no_posts(xrpc, [
        note("at://did:plc:dan/app.bsky.feed.post/3llong222222", "mention", long_text),
        note("at://did:plc:dan/app.bsky.feed.post/3lzero222222", "mention", "\u200b\u200d\ufeff"),
        note("at://did:plc:dan/app.bsky.feed.post/3lhtml222222", "reply",
             "<img src=x onerror=alert(1)> &amp;",
             reply={"root": {"uri": POST, "cid": "bafyroot"},
                    "parent": {"uri": POST, "cid": "bafyroot"}}),
        note(f"at://{ME}/app.bsky.feed.post/3lours2222222", "mention", "our own post"),
    ])
    items = {i.remote_id.rsplit("/", 1)[-1]: i for i in provider().fetch_inbox(None)}
    assert set(items) == {"3llong222222", "3lzero222222", "3lhtml222222"}  # never our own
    assert items["3llong222222"].text == long_text
    assert items["3lzero222222"].text == "\u200b\u200d\ufeff"
    html = items["3lhtml222222"]
    assert html.text == "<img src=x onerror=alert(1)> &amp;"
    assert html.kind == InboxKind.COMMENT and html.in_reply_to == POST
    assert html.conversation_id == f"thread:{POST}"


def test_facets_resolved_as_text():
    text = "hi @dan.example see example.com/a-long-pa... and https://keryx.example/x"
    data = text.encode()
    link = data.index(b"example.com/a")
    full = data.index(b"https://keryx")
    facets = [
        {"index": {"byteStart": 3, "byteEnd": 15},
         "features": [{"$type": "app.bsky.richtext.facet#mention", "did": DAN}]},
        {"index": {"byteStart": link, "byteEnd": link + len(b"example.com/a-long-pa...")},
         "features": [{"$type": "app.bsky.richtext.facet#link",
                       "uri": "https://example.com/a-long-path?q=1"}]},
        {"index": {"byteStart": full, "byteEnd": len(data)},
         "features": [{"$type": "app.bsky.richtext.facet#link",
                       "uri": "https://keryx.example/x"}]},
        {"index": {"byteStart": 500, "byteEnd": 900},  # out of the text: ignored
         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://evil"}]},
    ]
    assert plain_text(text, facets) == (
        "hi @dan.example see https://example.com/a-long-path?q=1 and https://keryx.example/x")
    # A link whose text is not a short form of its address keeps its text.
    other = [{"index": {"byteStart": 0, "byteEnd": 5},
              "features": [{"$type": "app.bsky.richtext.facet#link",
                            "uri": "https://elsewhere.example"}]}]
    assert plain_text("click here", other) == "click here"


def test_a_reply_to_a_deleted_post_is_gone(xrpc):
    uri = "at://did:plc:dan/app.bsky.feed.post/3lgone222222"
    xrpc.get("/app.bsky.feed.getPosts").respond(json={"posts": []})
    xrpc.get("/com.atproto.repo.getRecord").respond(
        400, json={"error": "RecordNotFound", "message": "Could not locate record"})
    create = xrpc.post("/com.atproto.repo.createRecord")
    item = RemoteItem(remote_id=uri, kind=InboxKind.COMMENT, text="soon gone")
    with pytest.raises(Gone):
        provider().reply_to(item, "Answer", "3lkey2222222a")
    with pytest.raises(Gone):
        provider().hide_comment(uri)
    assert not create.called


def test_a_reply_too_long_for_bluesky_is_refused_before_sending(xrpc):
    item = RemoteItem(remote_id="at://did:plc:dan/app.bsky.feed.post/3lx2222222222",
                     kind=InboxKind.COMMENT, text="?")
    with pytest.raises(BadContent, match="at most 300 characters"):
        provider().reply_to(item, "α" * 301, "3lkey2222222a")


def test_the_reply_record_key_is_the_idempotency_key():
    assert reply_key("3lkey2222222a") == "3lkey2222222a"
    derived = reply_key("not-a-tid")
    assert derived == reply_key("not-a-tid") and len(derived) == 13
    assert derived != reply_key("not-a-tid-either")


def test_rate_limited_notifications(xrpc):
    xrpc.get("/app.bsky.notification.listNotifications").respond(
        429, json={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        headers={"ratelimit-reset": "9999999999"})
    with pytest.raises(RateLimited):
        provider().fetch_inbox(None)


def test_a_refused_session_needs_reconnecting(xrpc):
    xrpc.get("/app.bsky.notification.listNotifications").respond(
        401, json={"error": "AuthenticationRequired", "message": "Authentication Required"})
    with pytest.raises(AuthExpired):
        provider().fetch_inbox(None)


def test_hide_keeps_the_gate_rules_and_swaps_on_the_read_record(xrpc):
    reply_uri = "at://did:plc:dan/app.bsky.feed.post/3lreply22222"
    xrpc.get("/app.bsky.feed.getPosts").respond(json={"posts": [{
        "uri": reply_uri, "cid": "bafyreply", "author": profile(DAN, "dan.example"),
        "indexedAt": "2026-12-04T10:00:01.000Z",
        "record": {"$type": "app.bsky.feed.post", "text": "spam",
                   "createdAt": "2026-12-04T10:00:00Z",
                   "reply": {"root": {"uri": POST, "cid": "bafyroot"},
                             "parent": {"uri": POST, "cid": "bafyroot"}}}}]})
    gate = {"$type": "app.bsky.feed.threadgate", "post": POST,
            "createdAt": "2026-12-01T00:00:00.000Z",
            "allow": [{"$type": "app.bsky.feed.threadgate#followerRule"}],
            "hiddenReplies": ["at://did:plc:x/app.bsky.feed.post/3lold2222222"]}
    read = xrpc.get("/com.atproto.repo.getRecord").respond(json={
        "uri": f"at://{ME}/app.bsky.feed.threadgate/3lbrandpost22", "cid": "bafygate",
        "value": gate})
    put = xrpc.post("/com.atproto.repo.putRecord").respond(
        json={"uri": f"at://{ME}/app.bsky.feed.threadgate/3lbrandpost22", "cid": "bafynew"})
    provider().hide_comment(reply_uri)
    assert read.calls.last.request.url.params["rkey"] == "3lbrandpost22"
    body = json.loads(put.calls.last.request.content)
    assert body["rkey"] == "3lbrandpost22" and body["swapRecord"] == "bafygate"
    assert body["record"]["allow"] == gate["allow"]
    assert body["record"]["hiddenReplies"] == [*gate["hiddenReplies"], reply_uri]


# -- the inbox app with a Bluesky channel -----------------------------------------------------


@pytest.fixture
def sky(people, settings):
    settings.ALLOWED_PRIVATE_HOSTS = [*settings.ALLOWED_PRIVATE_HOSTS, "pds.example"]
    return Channel.objects.create(
        workspace=people.acme, network="bluesky", name="sky", remote_id=ME,
        handle="brand.example", settings={"service": PDS},
        credentials={"handle": "brand.example", "app_password": "xxxx-xxxx-xxxx-xxxx",
                     "access_jwt": "access", "refresh_jwt": "refresh", "did": ME})


@pytest.mark.django_db
def test_sync_stores_each_dm_once(xrpc, sky):
    no_posts(xrpc)
    chat_routes(xrpc, [message("m3", DAN, "Γεια σας, έχετε παράδοση;")])
    assert services.sync_channel(sky).new == 1
    assert services.sync_channel(sky).new == 0
    item = InboxItem.objects.get()
    assert item.kind == "message" and item.conversation.remote_id == f"dm:{CONVO}"
    assert SyncState.objects.get(channel=sky).last_error == ""


@pytest.mark.django_db
def test_sync_without_dm_access_stores_posts_and_keeps_the_reason(xrpc, sky):
    no_posts(xrpc, [note("at://did:plc:dan/app.bsky.feed.post/3lmention222", "mention",
                         "hi @brand.example")])
    xrpc.get("/chat.bsky.convo.listConvos").respond(
        400, json={"error": "InvalidToken", "message": "Bad token method"})
    result = services.sync_channel(sky)
    assert (result.new, result.error) == (1, "")
    assert InboxItem.objects.get().kind == "mention"
    assert "direct messages" in SyncState.objects.get(channel=sky).last_error


@pytest.mark.django_db
def test_sync_refused_by_bluesky_marks_the_channel(xrpc, sky):
    xrpc.get("/app.bsky.notification.listNotifications").respond(
        401, json={"error": "AuthenticationRequired", "message": "Authentication Required"})
    result = services.sync_channel(sky)
    assert "Authentication Required" in result.error
    sky.refresh_from_db()
    assert sky.status == ChannelStatus.NEEDS_RECONNECT
