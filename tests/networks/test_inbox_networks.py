"""The inbox of Facebook, Instagram, Threads, X, Reddit and YouTube at the one HTTP seam (respx),
driven through keryx.inbox.services like a real channel: each item stored once across two
syncs, our own answers never items, a reply sent exactly once (an unknown outcome is found by
lookup_reply and not sent again), a deleted item refused before anything is posted, hiding,
a missing permission named, rate limits, and the ugly texts (10,000 characters, HTML, zero-width
characters) kept as they are.

The answers are shaped after each network's reference examples (named on each class): Graph
API "Comments" / "Page Conversations" / "Send API" (Facebook), Instagram Platform "IG Media
Comments" / "IG Comment Replies", Threads API "Reply Management", X API v2 "Mentions timeline"
/ "Recent search" / "Hide replies", reddit.com/dev/api (listings, /api/comment, /api/info,
/message/inbox), YouTube Data API v3 "CommentThreads: list" / "Comments: insert"."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from keryx.channels.models import Channel, ChannelStatus
from keryx.channels.providers import provider_for
from keryx.inbox import services
from keryx.inbox.models import InboxItem, ReplyState, SyncState
from keryx.networks.base import MissingPermission, NotSupported, RateLimited
from keryx.networks.community import InboxItem as Remote
from keryx.networks.registry import get_provider_class

NOW = datetime.now(UTC)
POSTED = NOW - timedelta(days=2)
SAID = NOW - timedelta(hours=1)
ANSWER = "Thank you, we open at nine."
HTML = "<b>bold</b> &amp; <script>alert(1)</script>"
ZERO_WIDTH = "sp\u200bam \u200d\ufeff"
LONG = "λ" * 10_000


def graph_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+0000")


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


class State:
    """What the network holds now: the person's text, whether our answer is there, whether
    the person's item was deleted."""

    def __init__(self, text: str = "Are you open on Sunday?") -> None:
        self.text = text
        self.answered = False
        self.deleted = False


# -- Facebook ---------------------------------------------------------------------------------


class Facebook:
    """Graph API v23.0: GET /{page-id}/published_posts, GET /{post-id}/comments (Comments
    reference example: data[{created_time, from{name,id}, message, id}]), GET
    /{page-id}/conversations (Page Conversations, messages{message,from,created_time,id}),
    POST /{comment-id}/comments -> {"id"}, POST /{comment-id} is_hidden -> {"success"}."""

    network = "facebook"
    api = "https://graph.facebook.com/v23.0"
    page = "1122334455"
    post = "1122334455_777"
    item = "777_901"
    permission = "pages_read_engagement"
    credentials = {"access_token": "EAAPageToken123"}
    settings = {"page_id": page}
    stored = 2  # the comment and the Messenger message

    def routes(self, mock: respx.MockRouter, state: State) -> dict[str, respx.Route]:
        mock.get(f"{self.api}/{self.page}/published_posts").respond(json={"data": [
            {"id": self.post, "message": "Our bread", "created_time": graph_time(POSTED),
             "permalink_url": "https://www.facebook.com/1122334455/posts/777"}], "paging": {}})

        def comments(request: httpx.Request) -> httpx.Response:
            data = [{"id": "777_900", "message": "Our own earlier comment",
                     "from": {"id": self.page, "name": "Keryx Café"},
                     "created_time": graph_time(SAID)}]
            if not state.deleted:
                data.append({"id": self.item, "message": state.text,
                             "from": {"id": "5550001", "name": "Maria K."},
                             "created_time": graph_time(SAID),
                             "permalink_url": "https://www.facebook.com/777_901"})
            if state.answered:
                data.append({"id": "777_950", "message": ANSWER, "parent": {"id": self.item},
                             "from": {"id": self.page, "name": "Keryx Café"},
                             "created_time": graph_time(NOW)})
            return httpx.Response(200, json={"data": data, "paging": {}})

        mock.get(f"{self.api}/{self.post}/comments").mock(side_effect=comments)
        mock.get(f"{self.api}/{self.page}/conversations").respond(json={"data": [
            {"id": "t_100", "updated_time": graph_time(SAID), "messages": {"data": [
                {"id": "m_abc", "message": "Do you deliver?", "created_time": graph_time(SAID),
                 "from": {"id": "psid-42", "name": "Nikos P."}},
                {"id": "m_abd", "message": "Hello!", "created_time": graph_time(SAID),
                 "from": {"id": self.page, "name": "Keryx Café"}}]}}]})

        def exists(request: httpx.Request) -> httpx.Response:
            if state.deleted:
                return httpx.Response(400, json={"error": {
                    "message": f"Unsupported get request. Object with ID '{self.item}' does "
                               "not exist, cannot be loaded due to missing permissions, or "
                               "does not support this operation.",
                    "type": "GraphMethodException", "code": 100, "error_subcode": 33,
                    "fbtrace_id": "AbCd"}})
            return httpx.Response(200, json={"id": self.item})

        mock.get(f"{self.api}/{self.item}").mock(side_effect=exists)
        return {
            "reply": mock.post(f"{self.api}/{self.item}/comments").respond(
                json={"id": "777_950"}),
            "hide": mock.post(f"{self.api}/{self.item}").respond(json={"success": True}),
        }

    def hidden(self, request: httpx.Request) -> bool:
        return form(request) == {"is_hidden": "true"}

    def refuse(self, mock: respx.MockRouter) -> None:
        mock.get(f"{self.api}/{self.post}/comments").respond(400, json={"error": {
            "message": "(#10) This endpoint requires the 'pages_read_engagement' permission.",
            "type": "OAuthException", "code": 10, "fbtrace_id": "AbCd"}})

    def throttle(self, mock: respx.MockRouter) -> None:
        mock.get(f"{self.api}/{self.post}/comments").respond(
            400, headers={"x-business-use-case-usage": '{"1122334455": [{"type": "pages", '
                          '"call_count": 100, "estimated_time_to_regain_access": 7}]}'},
            json={"error": {"message": "(#32) Page request limit reached", "code": 32,
                            "type": "OAuthException"}})


# -- Instagram --------------------------------------------------------------------------------


class Instagram:
    """Instagram API with Instagram Login v23.0: GET /{ig-user-id}/media, GET
    /{ig-media-id}/comments (IG Media Comments: data[{timestamp, text, id, from, username}]
    with replies{data[...]}), POST /{ig-comment-id}/replies -> {"id"}, POST /{ig-comment-id}
    hide=true -> {"success"}."""

    network = "instagram"
    api = "https://graph.instagram.com/v23.0"
    user = "17841400000000001"
    post = "18000000000000777"
    item = "17900000000000901"
    permission = "instagram_business_manage_comments"
    credentials = {"access_token": "IGQVJlonglived"}
    settings = {"user_id": user, "username": "keryx.cafe", "account_type": "BUSINESS"}
    stored = 1

    def routes(self, mock: respx.MockRouter, state: State) -> dict[str, respx.Route]:
        mock.get(f"{self.api}/{self.user}/media").respond(json={"data": [
            {"id": self.post, "caption": "Our bread", "timestamp": graph_time(POSTED),
             "permalink": "https://www.instagram.com/p/Cabc/"}], "paging": {}})

        def comments(request: httpx.Request) -> httpx.Response:
            replies = [{"id": "17900000000000902", "text": "Our earlier reply",
                        "username": "keryx.cafe", "from": {"id": self.user,
                                                           "username": "keryx.cafe"},
                        "timestamp": graph_time(SAID)}]
            if state.answered:
                replies.append({"id": "17900000000000950", "text": ANSWER,
                                "username": "keryx.cafe", "parent_id": self.item,
                                "from": {"id": self.user, "username": "keryx.cafe"},
                                "timestamp": graph_time(NOW)})
            data = [] if state.deleted else [
                {"id": self.item, "text": state.text, "username": "maria.k",
                 "from": {"id": "17841400000000042", "username": "maria.k"},
                 "timestamp": graph_time(SAID), "replies": {"data": replies}}]
            return httpx.Response(200, json={"data": data})

        mock.get(f"{self.api}/{self.post}/comments").mock(side_effect=comments)
        mock.get(f"{self.api}/{self.item}").mock(side_effect=lambda r: httpx.Response(
            400, json={"error": {"message": "Unsupported get request.", "code": 100,
                                 "error_subcode": 33, "type": "IGApiException"}})
            if state.deleted else httpx.Response(200, json={"id": self.item}))
        return {
            "reply": mock.post(f"{self.api}/{self.item}/replies").respond(
                json={"id": "17900000000000950"}),
            "hide": mock.post(f"{self.api}/{self.item}").respond(json={"success": True}),
        }

    def hidden(self, request: httpx.Request) -> bool:
        return form(request) == {"hide": "true"}

    def refuse(self, mock: respx.MockRouter) -> None:
        mock.get(f"{self.api}/{self.post}/comments").respond(400, json={"error": {
            "message": "(#10) Application does not have permission for this action",
            "type": "OAuthException", "code": 10}})

    def throttle(self, mock: respx.MockRouter) -> None:
        mock.get(f"{self.api}/{self.post}/comments").respond(
            400, headers={"Retry-After": "120"},
            json={"error": {"message": "Application request limit reached", "code": 4}})


# -- Threads ----------------------------------------------------------------------------------


class Threads:
    """Threads API v1.0: GET /{user}/threads, GET /{media-id}/conversation (Reply Management:
    data[{id, text, username, timestamp, permalink, replied_to{id}}]), a reply is a TEXT
    container with reply_to_id, published with /threads_publish; POST
    /{reply-id}/manage_reply hide=true."""

    network = "threads"
    api = "https://graph.threads.net/v1.0"
    user = "17841400000000077"
    post = "18050000000000777"
    item = "18050000000000901"
    permission = "threads_read_replies"
    credentials = {"access_token": "THQVJlonglivedtoken"}
    settings = {"user_id": user, "username": "keryx.app"}
    stored = 1

    def routes(self, mock: respx.MockRouter, state: State) -> dict[str, respx.Route]:
        mock.get(f"{self.api}/{self.user}/threads").respond(json={"data": [
            {"id": self.post, "text": "Our bread", "timestamp": graph_time(POSTED),
             "media_type": "TEXT_POST", "permalink": "https://www.threads.net/@keryx.app/post/A"}],
            "paging": {}})

        def conversation(request: httpx.Request) -> httpx.Response:
            data = [{"id": "18050000000000900", "text": "Our note", "username": "keryx.app",
                     "timestamp": graph_time(SAID), "replied_to": {"id": self.post}}]
            if not state.deleted:
                data.append({"id": self.item, "text": state.text, "username": "maria.k",
                             "timestamp": graph_time(SAID), "replied_to": {"id": self.post},
                             "permalink": "https://www.threads.net/@maria.k/post/B"})
            if state.answered:
                data.append({"id": "18050000000000950", "text": ANSWER,
                             "username": "keryx.app", "timestamp": graph_time(NOW),
                             "replied_to": {"id": self.item}})
            return httpx.Response(200, json={"data": data})

        mock.get(f"{self.api}/{self.post}/conversation").mock(side_effect=conversation)
        mock.get(f"{self.api}/{self.item}").mock(side_effect=lambda r: httpx.Response(
            400, json={"error": {"message": "Unsupported get request.", "code": 100,
                                 "error_subcode": 33}})
            if state.deleted else httpx.Response(200, json={"id": self.item}))
        mock.post(f"{self.api}/{self.user}/threads").respond(json={"id": "container-1"})
        mock.get(f"{self.api}/container-1").respond(json={"status": "FINISHED"})
        mock.get(f"{self.api}/18050000000000950").respond(
            json={"permalink": "https://www.threads.net/@keryx.app/post/C"})
        return {
            "reply": mock.post(f"{self.api}/{self.user}/threads_publish").respond(
                json={"id": "18050000000000950"}),
            "hide": mock.post(f"{self.api}/{self.item}/manage_reply").respond(
                json={"success": True}),
        }

    def hidden(self, request: httpx.Request) -> bool:
        return form(request) == {"hide": "true"}

    def refuse(self, mock: respx.MockRouter) -> None:
        mock.get(f"{self.api}/{self.post}/conversation").respond(400, json={"error": {
            "message": "(#10) Application does not have permission for this action",
            "type": "OAuthException", "code": 10}})

    def throttle(self, mock: respx.MockRouter) -> None:
        mock.get(f"{self.api}/{self.post}/conversation").respond(
            429, headers={"Retry-After": "60"},
            json={"error": {"message": "Too many calls", "code": 4}})


# -- X ----------------------------------------------------------------------------------------


class X:
    """X API v2: GET /2/users/:id/tweets, GET /2/tweets/search/recent (conversation_id:),
    GET /2/users/:id/mentions (Mentions timeline example: data[{id, text, author_id,
    conversation_id, created_at, referenced_tweets}], includes.users), GET /2/tweets/:id
    (a deleted post: 200 with errors[{title: "Not Found Error"}]), POST /2/tweets with
    reply.in_reply_to_tweet_id, PUT /2/tweets/:id/hidden {"hidden": true}."""

    network = "x"
    api = "https://api.x.com"
    me = "2244994945"
    post = "1445880548472328192"
    item = "1445880548472328901"
    permission = "Basic access level (or higher) of the X API"
    credentials = {"access_token": "x-access", "refresh_token": "x-refresh",
                   "expires_at": (NOW + timedelta(hours=2)).isoformat()}
    settings = {"user_id": me, "username": "XDevelopers"}
    stored = 2  # the reply, and a mention elsewhere

    def routes(self, mock: respx.MockRouter, state: State) -> dict[str, respx.Route]:
        mock.get(f"{self.api}/2/users/{self.me}/tweets").respond(json={
            "data": [{"id": self.post, "text": "Our bread", "created_at": iso(POSTED)}],
            "meta": {"result_count": 1}})
        people = {"users": [{"id": "99", "username": "maria_k", "name": "Maria K."},
                            {"id": self.me, "username": "XDevelopers", "name": "Developers"}]}

        def reply_of(parent: str, tid: str, author: str, text: str,
                     when: datetime) -> dict[str, Any]:
            return {"id": tid, "text": text, "author_id": author, "created_at": iso(when),
                    "conversation_id": self.post, "lang": "en",
                    "referenced_tweets": [{"type": "replied_to", "id": parent}]}

        def search(request: httpx.Request) -> httpx.Response:
            data = [reply_of(self.post, "1445880548472328900", self.me, "Our thread", SAID)]
            if not state.deleted:
                # X sends &, < and > as HTML entities in `text`.
                data.append(reply_of(self.post, self.item, "99",
                                     html.escape(state.text, quote=False), SAID))
            if state.answered:
                data.append(reply_of(self.item, "1445880548472328950", self.me, ANSWER, NOW))
            return httpx.Response(200, json={"data": data, "includes": people})

        mock.get(f"{self.api}/2/tweets/search/recent").mock(side_effect=search)
        mock.get(f"{self.api}/2/users/{self.me}/mentions").respond(json={"data": [
            {"id": "1445880548472328800", "text": "@XDevelopers what a day &amp; night",
             "author_id": "99", "conversation_id": "1445880548472328800", "lang": "en",
             "created_at": iso(SAID)}], "includes": people, "meta": {"result_count": 1}})
        mock.get(f"{self.api}/2/tweets/{self.item}").mock(side_effect=lambda r: httpx.Response(
            200, json={"errors": [{"value": self.item, "detail": "Could not find tweet with "
                                   f"id: [{self.item}].", "title": "Not Found Error",
                                   "type": "https://api.twitter.com/2/problems/"
                                           "resource-not-found"}]})
            if state.deleted else httpx.Response(200, json={"data": {"id": self.item}}))
        return {
            "reply": mock.post(f"{self.api}/2/tweets").respond(
                201, json={"data": {"id": "1445880548472328950", "text": ANSWER}}),
            "hide": mock.put(f"{self.api}/2/tweets/{self.item}/hidden").respond(
                json={"data": {"hidden": True}}),
        }

    def hidden(self, request: httpx.Request) -> bool:
        return json.loads(request.content) == {"hidden": True}

    def refuse(self, mock: respx.MockRouter) -> None:
        # What the Free access level answers to a read it does not include.
        mock.get(f"{self.api}/2/tweets/search/recent").respond(403, json={
            "title": "Forbidden", "status": 403, "type": "about:blank",
            "detail": "You are not permitted to perform this action."})

    def throttle(self, mock: respx.MockRouter) -> None:
        mock.get(f"{self.api}/2/tweets/search/recent").respond(
            429, headers={"x-rate-limit-reset": str(int(NOW.timestamp()) + 300)},
            json={"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429})


# -- Reddit -----------------------------------------------------------------------------------


class Reddit:
    """reddit.com/dev/api: GET /user/{name}/submitted, GET /comments/{id} ([post listing,
    comment listing], t1 children with replies), GET /message/inbox (t1 and t4), GET
    /api/info?id=t1_..., POST /api/comment (api_type=json -> json.data.things), POST
    /api/remove."""

    network = "reddit"
    api = "https://oauth.reddit.com"
    post = "t3_1abcde"
    item = "t1_k0901"
    permission = "read"
    credentials = {"access_token": "reddit-at", "refresh_token": "reddit-rt",
                   "expires_at": (NOW + timedelta(hours=1)).isoformat()}
    settings = {"subreddit": "r/selfhosted", "username": "keryx_bot"}
    stored = 2  # the comment, and a private message

    def comment(self, cid: str, author: str, body: str, parent: str,
                when: datetime) -> dict[str, Any]:
        return {"kind": "t1", "data": {
            "id": cid, "name": f"t1_{cid}", "author": author, "author_fullname": f"t2_{author}",
            "body": body, "body_html": "&lt;div&gt;ignored&lt;/div&gt;", "parent_id": parent,
            "link_id": self.post, "created_utc": when.timestamp(),
            "permalink": f"/r/selfhosted/comments/1abcde/x/{cid}/", "replies": ""}}

    def routes(self, mock: respx.MockRouter, state: State) -> dict[str, respx.Route]:
        mock.get(f"{self.api}/user/keryx_bot/submitted").respond(json={"kind": "Listing",
            "data": {"after": None, "children": [{"kind": "t3", "data": {
                "id": "1abcde", "name": self.post, "title": "Keryx 1.0",
                "created_utc": POSTED.timestamp(),
                "permalink": "/r/selfhosted/comments/1abcde/keryx_10/"}}]}})

        def thread(request: httpx.Request) -> httpx.Response:
            children = [self.comment("k0900", "keryx_bot", "Our note", self.post, SAID)]
            if not state.deleted:
                person = self.comment("k0901", "maria_k", state.text, self.post, SAID)
                if state.answered:
                    person["data"]["replies"] = {"kind": "Listing", "data": {"children": [
                        self.comment("k0950", "keryx_bot", ANSWER, self.item, NOW)]}}
                children.append(person)
            return httpx.Response(200, json=[
                {"kind": "Listing", "data": {"children": []}},
                {"kind": "Listing", "data": {"children": children}}])

        mock.get(f"{self.api}/comments/1abcde").mock(side_effect=thread)
        mock.get(f"{self.api}/message/inbox").respond(json={"kind": "Listing", "data": {
            "children": [{"kind": "t4", "data": {
                "id": "2m001", "name": "t4_2m001", "author": "nikos_p", "body": "Hi there",
                "subject": "Question", "parent_id": None, "first_message_name": None,
                "created_utc": SAID.timestamp()}}]}})
        mock.get(f"{self.api}/api/info").mock(side_effect=lambda r: httpx.Response(200, json={
            "kind": "Listing", "data": {"children": [self.comment(
                "k0901", "[deleted]" if state.deleted else "maria_k",
                "[deleted]" if state.deleted else state.text, self.post, SAID)]}}))
        return {
            "reply": mock.post(f"{self.api}/api/comment").respond(json={"json": {
                "errors": [], "data": {"things": [self.comment(
                    "k0950", "keryx_bot", ANSWER, self.item, NOW)]}}}),
            "hide": mock.post(f"{self.api}/api/remove").respond(json={}),
        }

    def hidden(self, request: httpx.Request) -> bool:
        return form(request) == {"id": self.item, "spam": "false"}

    def refuse(self, mock: respx.MockRouter) -> None:
        mock.get(f"{self.api}/comments/1abcde").respond(
            403, json={"message": "Forbidden", "error": 403})

    def throttle(self, mock: respx.MockRouter) -> None:
        mock.get(f"{self.api}/comments/1abcde").respond(
            429, headers={"x-ratelimit-reset": "240"}, json={"message": "Too Many Requests"})


# -- YouTube ----------------------------------------------------------------------------------


class YouTube:
    """YouTube Data API v3: channels.list mine=true, playlistItems.list, commentThreads.list
    (example: items[{id, snippet{videoId, topLevelComment{id, snippet{textDisplay,
    textOriginal, authorDisplayName, authorChannelId{value}, publishedAt}}}, replies}]),
    comments.list id=, comments.insert snippet.parentId, comments.setModerationStatus."""

    network = "youtube"
    api = "https://www.googleapis.com"
    me = "UCkeryx0cafe1234567890ab"
    post = "dQw4w9WgXcQ"
    item = "UgzDE2tasfmrYLyNkGt4AaABAg"
    permission = "https://www.googleapis.com/auth/youtube.force-ssl"
    credentials = {"access_token": "ya29.fresh", "refresh_token": "1//0gRefresh",
                   "expires_at": (NOW + timedelta(hours=1)).isoformat()}
    settings = {"channel_id": me, "uploads_playlist": "UUkeryx0cafe1234567890ab"}
    stored = 1

    def comment(self, cid: str, author: str, text: str, when: datetime,
                parent: str = "") -> dict[str, Any]:
        snippet: dict[str, Any] = {
            "videoId": self.post, "textOriginal": text, "textDisplay": f"<b>{text}</b>",
            "authorDisplayName": "@" + author, "authorChannelId": {"value": author},
            "publishedAt": iso(when), "updatedAt": iso(when)}
        if parent:
            snippet["parentId"] = parent
        return {"kind": "youtube#comment", "id": cid, "snippet": snippet}

    def routes(self, mock: respx.MockRouter, state: State) -> dict[str, respx.Route]:
        yt = f"{self.api}/youtube/v3"
        mock.get(f"{yt}/channels").respond(json={"items": [{"id": self.me, "contentDetails": {
            "relatedPlaylists": {"uploads": "UUkeryx0cafe1234567890ab"}}}]})
        mock.get(f"{yt}/playlistItems").respond(json={"items": [{"snippet": {
            "title": "Our bread", "publishedAt": iso(POSTED)}, "contentDetails": {
            "videoId": self.post, "videoPublishedAt": iso(POSTED)}}]})

        def threads(request: httpx.Request) -> httpx.Response:
            items = [{"kind": "youtube#commentThread", "id": "UgzOURS", "snippet": {
                "videoId": self.post, "topLevelComment": self.comment(
                    "UgzOURS", self.me, "Our pinned note", SAID)}}]
            if not state.deleted:
                replies = [self.comment(f"{self.item}.ans", self.me, ANSWER, NOW, self.item)] \
                    if state.answered else []
                items.append({"kind": "youtube#commentThread", "id": self.item, "snippet": {
                    "videoId": self.post, "totalReplyCount": len(replies),
                    "topLevelComment": self.comment(self.item, "UCmaria", state.text, SAID)},
                    "replies": {"comments": replies}})
            return httpx.Response(200, json={"kind": "youtube#commentThreadListResponse",
                                             "items": items})

        mock.get(f"{yt}/commentThreads").mock(side_effect=threads)
        mock.get(f"{yt}/comments").mock(side_effect=lambda r: httpx.Response(200, json={
            "items": [] if state.deleted else [{"id": self.item}]}))
        return {
            "reply": mock.post(f"{yt}/comments").respond(json=self.comment(
                f"{self.item}.ans", self.me, ANSWER, NOW, self.item)),
            "hide": mock.post(f"{yt}/comments/setModerationStatus").respond(204),
        }

    def hidden(self, request: httpx.Request) -> bool:
        return dict(request.url.params) == {"id": self.item,
                                            "moderationStatus": "heldForReview"}

    def refuse(self, mock: respx.MockRouter) -> None:
        mock.get(f"{self.api}/youtube/v3/commentThreads").respond(403, json={"error": {
            "code": 403, "message": "Request had insufficient authentication scopes.",
            "errors": [{"reason": "insufficientPermissions", "domain": "global",
                        "message": "Insufficient Permission"}]}})

    def throttle(self, mock: respx.MockRouter) -> None:
        mock.get(f"{self.api}/youtube/v3/commentThreads").respond(403, json={"error": {
            "code": 403, "message": "The request cannot be completed because you have "
                                    "exceeded your quota.",
            "errors": [{"reason": "quotaExceeded", "domain": "youtube.quota"}]}})


NETWORKS = [Facebook(), Instagram(), Threads(), X(), Reddit(), YouTube()]


@pytest.fixture(params=NETWORKS, ids=lambda n: n.network)
def net(request):
    return request.param


@pytest.fixture
def mock():
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


@pytest.fixture
def channel(people, settings, net):
    hosts = {httpx.URL(net.api).host}
    settings.ALLOWED_PRIVATE_HOSTS = [*settings.ALLOWED_PRIVATE_HOSTS, *hosts]
    return Channel.objects.create(
        workspace=people.acme, network=net.network, name=f"{net.network}-brand",
        remote_id="brand", handle="brand", settings=dict(net.settings),
        credentials=dict(net.credentials))


def person_item(channel: Channel, net: Any) -> InboxItem:
    return InboxItem.objects.get(channel=channel, remote_id=net.item)


# -- the tests --------------------------------------------------------------------------------


def test_every_network_here_declares_an_inbox():
    for net in NETWORKS:
        caps = get_provider_class(net.network).capabilities
        assert caps.inbox and caps.hide_comments, net.network


@pytest.mark.django_db
def test_each_item_is_stored_once_across_two_syncs(mock, net, channel):
    net.routes(mock, State())
    first = services.sync_channel(channel)
    assert (first.error, first.new) == ("", net.stored)
    assert services.sync_channel(channel).new == 0
    assert InboxItem.objects.filter(channel=channel).count() == net.stored
    item = person_item(channel, net)
    assert item.kind == "comment" and item.text == "Are you open on Sunday?"
    assert item.conversation.remote_id == f"thread:{net.post}"
    # Our own comments and answers are never items.
    assert not InboxItem.objects.filter(channel=channel, author_id__in=[
        net.settings.get("page_id"), net.settings.get("user_id"),
        net.settings.get("channel_id")]).exclude(author_id="").exists()
    assert not InboxItem.objects.filter(channel=channel, text__startswith="Our ").exists()


@pytest.mark.django_db
def test_a_lost_reply_is_found_and_not_sent_again(mock, net, channel):
    state = State()
    routes = net.routes(mock, state)
    services.sync_channel(channel)
    item = person_item(channel, net)
    routes["reply"].side_effect = httpx.ReadTimeout("lost after sending")
    reply = services.send_reply(item, ANSWER)
    assert reply.state == ReplyState.UNKNOWN
    assert routes["reply"].call_count == 1
    state.answered = True  # the network did store it
    reply = services.retry_reply(reply)
    assert reply.state == ReplyState.SENT and reply.remote_id
    assert routes["reply"].call_count == 1  # found by lookup_reply, never sent twice
    # Our answer is not an item on the next sync.
    assert services.sync_channel(channel).new == 0


@pytest.mark.django_db
def test_a_reply_lands_once_when_nothing_was_there(mock, net, channel):
    state = State()
    routes = net.routes(mock, state)
    services.sync_channel(channel)
    routes["reply"].side_effect = httpx.ReadTimeout("lost")
    reply = services.send_reply(person_item(channel, net), ANSWER)
    routes["reply"].side_effect = None
    reply = services.retry_reply(reply)  # not on the network: sent again, once
    assert reply.state == ReplyState.SENT
    assert routes["reply"].call_count == 2


@pytest.mark.django_db
def test_a_deleted_item_is_gone_and_nothing_is_posted(mock, net, channel):
    state = State()
    routes = net.routes(mock, state)
    services.sync_channel(channel)
    state.deleted = True
    reply = services.send_reply(person_item(channel, net), ANSWER)
    assert reply.state == ReplyState.GONE
    assert routes["reply"].call_count == 0
    assert person_item(channel, net).deleted_remotely


@pytest.mark.django_db
def test_hide_on_the_network(mock, net, channel):
    routes = net.routes(mock, State())
    services.sync_channel(channel)
    item = person_item(channel, net)
    services.hide(item)
    assert routes["hide"].call_count == 1 and net.hidden(routes["hide"].calls.last.request)
    item.refresh_from_db()
    assert item.hidden


@pytest.mark.django_db
def test_a_missing_permission_is_named(mock, net, channel):
    net.routes(mock, State())
    net.refuse(mock)
    with pytest.raises(MissingPermission) as caught:
        provider_for(channel).fetch_inbox(None)
    assert caught.value.permission == net.permission
    assert net.permission in caught.value.message
    # Not taken for an expired token: the channel stays connected.
    result = services.sync_channel(channel)
    assert net.permission in result.error
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE


@pytest.mark.django_db
def test_rate_limits_say_when_to_come_back(mock, net, channel):
    net.routes(mock, State())
    net.throttle(mock)
    with pytest.raises(RateLimited) as caught:
        provider_for(channel).fetch_inbox(None)
    assert caught.value.retry_after and caught.value.retry_after > 0


@pytest.mark.parametrize("text", [LONG, HTML, ZERO_WIDTH], ids=["10000", "html", "zero-width"])
@pytest.mark.django_db
def test_ugly_texts_are_kept_as_plain_text(mock, net, channel, text):
    net.routes(mock, State(text))
    assert services.sync_channel(channel).error == ""
    assert person_item(channel, net).text == text


# -- what only some networks do ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("net", [NETWORKS[0]], ids=["facebook"])
def test_facebook_messenger_answer_is_sent_with_the_send_api(mock, net, channel):
    net.routes(mock, State())
    send = mock.post(f"{net.api}/{net.page}/messages").respond(
        json={"recipient_id": "psid-42", "message_id": "m_reply1"})
    services.sync_channel(channel)
    message = InboxItem.objects.get(channel=channel, remote_id="m_abc")
    assert message.kind == "message" and message.conversation.remote_id == "dm:t_100"
    reply = services.send_reply(message, "We do, every day.")
    assert reply.state == ReplyState.SENT and reply.remote_id == "m_reply1"
    assert json.loads(send.calls.last.request.content) == {
        "recipient": {"id": "psid-42"}, "messaging_type": "RESPONSE",
        "message": {"text": "We do, every day."}}
    with pytest.raises(NotSupported):
        provider_for(channel).hide_comment("m_abc")


@pytest.mark.django_db
@pytest.mark.parametrize("net", [NETWORKS[0]], ids=["facebook"])
def test_facebook_without_pages_messaging_keeps_the_comments(mock, net, channel):
    net.routes(mock, State())
    mock.get(f"{net.api}/{net.page}/conversations").respond(400, json={"error": {
        "message": "(#230) Requires pages_messaging permission to manage the object",
        "type": "OAuthException", "code": 230}})
    result = services.sync_channel(channel)
    assert (result.error, result.new) == ("", 1)
    assert "pages_messaging" in SyncState.objects.get(channel=channel).last_error


@pytest.mark.django_db
@pytest.mark.parametrize("net", [NETWORKS[3]], ids=["x"])
def test_x_mentions_elsewhere_are_mentions_with_decoded_text(mock, net, channel):
    net.routes(mock, State())
    services.sync_channel(channel)
    mention = InboxItem.objects.get(channel=channel, remote_id="1445880548472328800")
    assert mention.kind == "mention" and mention.text == "@XDevelopers what a day & night"
    assert mention.author_handle == "maria_k"


@pytest.mark.django_db
@pytest.mark.parametrize("net", [NETWORKS[3]], ids=["x"])
def test_x_hiding_outside_our_conversations_is_not_supported(mock, net, channel):
    net.routes(mock, State())
    mock.put(f"{net.api}/2/tweets/1445880548472328800/hidden").respond(403, json={
        "title": "Forbidden", "detail": "You are not permitted to hide this reply."})
    with pytest.raises(NotSupported, match="conversations this account started"):
        provider_for(channel).hide_comment("1445880548472328800")


@pytest.mark.django_db
@pytest.mark.parametrize("net", [NETWORKS[4]], ids=["reddit"])
def test_reddit_private_message_is_answered_in_place(mock, net, channel):
    routes = net.routes(mock, State())
    services.sync_channel(channel)
    message = InboxItem.objects.get(channel=channel, remote_id="t4_2m001")
    assert message.kind == "message" and message.conversation.remote_id == "dm:t4_2m001"
    services.send_reply(message, "Hello Nikos")
    assert form(routes["reply"].calls.last.request)["thing_id"] == "t4_2m001"


@pytest.mark.django_db
@pytest.mark.parametrize("net", [NETWORKS[4]], ids=["reddit"])
def test_reddit_remove_without_moderator_rights_is_not_supported(mock, net, channel):
    net.routes(mock, State())
    mock.post(f"{net.api}/api/remove").respond(403, json={"message": "Forbidden",
                                                          "error": 403})
    with pytest.raises(NotSupported, match="moderators"):
        provider_for(channel).hide_comment(net.item)


@pytest.mark.django_db
@pytest.mark.parametrize("net", [NETWORKS[5]], ids=["youtube"])
def test_youtube_video_with_comments_off_is_skipped(mock, net, channel):
    net.routes(mock, State())
    mock.get(f"{net.api}/youtube/v3/commentThreads").respond(403, json={"error": {
        "code": 403, "message": "The video has disabled comments.",
        "errors": [{"reason": "commentsDisabled", "domain": "youtube.commentThread"}]}})
    result = services.sync_channel(channel)
    assert (result.error, result.new) == ("", 0)


@pytest.mark.django_db
@pytest.mark.parametrize("net", [NETWORKS[1], NETWORKS[5]], ids=["instagram", "youtube"])
def test_a_reply_to_a_reply_answers_the_top_level_comment(mock, net, channel):
    routes = net.routes(mock, State())
    nested = Remote(remote_id="reply-2", kind="comment", text="and me?",
                    in_reply_to=net.item, conversation_id=f"thread:{net.post}")
    mock.get(f"{net.api}/reply-2").respond(json={"id": "reply-2"})
    mock.get(f"{net.api}/youtube/v3/comments").respond(json={"items": [{"id": "reply-2"}]})
    provider_for(channel).reply_to(nested, ANSWER, "key-1")
    request = routes["reply"].calls.last.request
    assert net.item in str(request.url) or net.item in request.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("net", [NETWORKS[0], NETWORKS[1], NETWORKS[5]],
                         ids=["facebook", "instagram", "youtube"])
def test_delete_comment_where_the_network_allows(mock, net, channel):
    net.routes(mock, State())
    if net.network == "youtube":
        route = mock.post(f"{net.api}/youtube/v3/comments/setModerationStatus").respond(204)
    else:
        route = mock.delete(f"{net.api}/{net.item}").respond(json={"success": True})
    provider = provider_for(channel)
    assert provider.capabilities.delete_comments
    provider.delete_comment(net.item)
    assert route.call_count == 1
    if net.network == "youtube":  # "rejected": removed from public view (comments.delete is
        # only for the channel's own comments)
        assert route.calls.last.request.url.params["moderationStatus"] == "rejected"


# -- LinkedIn (a Page's posts; Community Management API) ---------------------------------------


LINKEDIN = "https://api.linkedin.com"
ORG_URN = "urn:li:organization:2414183"
LI_POST = "urn:li:share:7250000000000000009"
LI_ITEM = "urn:li:comment:(urn:li:activity:7250000000000000009,7250000000000000101)"


def linkedin_routes(mock: respx.MockRouter, state: State) -> respx.Route:
    """GET /rest/posts?q=author (elements[{id, commentary, publishedAt}]) and GET/POST
    /rest/socialActions/{urn}/comments (elements[{commentUrn, actor, message{text},
    created{time}, parentComment}])."""
    millis = int(SAID.timestamp() * 1000)
    mock.get(f"{LINKEDIN}/rest/posts").respond(json={"elements": [
        {"id": LI_POST, "commentary": "Our bread", "publishedAt": int(POSTED.timestamp() * 1000),
         "author": ORG_URN}]})

    def comments(request: httpx.Request) -> httpx.Response:
        elements = [{"commentUrn": LI_ITEM, "actor": "urn:li:person:maria",
                     "message": {"text": state.text}, "created": {"time": millis}},
                    {"commentUrn": LI_ITEM[:-4] + "0102)", "actor": ORG_URN,
                     "message": {"text": "Our note"}, "created": {"time": millis}}]
        if state.answered:
            elements.append({"commentUrn": LI_ITEM[:-4] + "0150)", "actor": ORG_URN,
                             "message": {"text": ANSWER}, "parentComment": LI_ITEM,
                             "created": {"time": millis + 1000}})
        return httpx.Response(200, json={"elements": elements})

    mock.get(url__regex=r"https://api\.linkedin\.com/rest/socialActions/.+/comments").mock(
        side_effect=comments)
    return mock.post(url__regex=r"https://api\.linkedin\.com/rest/socialActions/.+/comments"
                     ).respond(201, json={"commentUrn": LI_ITEM[:-4] + "0150)"})


@pytest.mark.django_db
def test_linkedin_page_comments_once_and_a_lost_reply_found(mock, people, settings):
    settings.ALLOWED_PRIVATE_HOSTS = [*settings.ALLOWED_PRIVATE_HOSTS, "api.linkedin.com"]
    page = Channel.objects.create(
        workspace=people.acme, network="linkedin", name="li-brand", remote_id="brand",
        handle="brand", settings={"organization_id": "2414183"},
        credentials={"access_token": "AQV-new",
                     "expires_at": (NOW + timedelta(days=30)).isoformat()})
    state = State()
    post = linkedin_routes(mock, state)
    assert services.sync_channel(page).new == 1
    assert services.sync_channel(page).new == 0
    item = InboxItem.objects.get(channel=page)
    assert (item.remote_id, item.kind, item.in_reply_to) == (LI_ITEM, "comment", LI_POST)
    post.side_effect = httpx.ReadTimeout("lost")
    reply = services.send_reply(item, ANSWER)
    assert reply.state == ReplyState.UNKNOWN
    state.answered = True
    assert services.retry_reply(reply).state == ReplyState.SENT
    assert post.call_count == 1
    with pytest.raises(services.InboxError, match="does not let Keryx hide"):
        services.hide(item)
