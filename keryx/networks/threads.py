"""Threads (Meta) through the Threads API at graph.threads.net, over the HTTP seam.

Credentials: {"access_token", "refresh_token", "expires_at"}: a long-lived token (60 days),
renewed with grant_type=th_refresh_token. Threads has no separate refresh token: the long-lived
token is what buys the next one, so it is kept as the refresh token too (the framework refreshes
channels that hold one, and a reconnect keeps it).
Settings (learned by verify()): {"user_id", "username"}.

Publishing is two-step: create a media container (POST /{user-id}/threads with media_type TEXT,
IMAGE, VIDEO or CAROUSEL; carousel items first, with is_carousel_item), wait until its status is
FINISHED, then POST /{user-id}/threads_publish with creation_id. Threads downloads images and
videos from a PUBLIC URL: each MediaItem needs one (MediaItem.url when the framework provides it,
else request.options["media_urls"], in the order of request.media), reachable from the
internet, e.g. under KERYX_BASE_URL.

A thread (options["thread"]) and a first comment (options["first_comment"]) are replies
(reply_to_id) published after the main post; their failure is recorded on the result, never
raised, so the main post is not published twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx

from keryx.networks import base, meta
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    BadContent,
    Capabilities,
    Comment,
    ConnectField,
    Disconnected,
    MediaItem,
    MediaRules,
    Metrics,
    OAuth2Spec,
    OutcomeUnknown,
    Problem,
    ProviderContext,
    ProviderError,
    PublishRequest,
    PublishResult,
    TokenSet,
    Transient,
)
from keryx.networks.counting import emoji_bytes_length
from keryx.networks.http import HttpSeam
from keryx.networks.meta import parse_graph_time
from keryx.networks.oauth2 import endpoint
from keryx.networks.text import find_urls

API_VERSION = "v1.0"
TEXT_LIMIT = 500
MAX_LINKS = 5
ALT_TEXT_MAX = 1000
CAROUSEL_MAX = 20
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
IMAGE_MAX_BYTES = 8 * 1024 * 1024
VIDEO_MAX_BYTES = 1024 * 1024 * 1024
# Meta suggests about 30 s between creating a container and publishing it; video takes longer.
CONTAINER_TIMEOUT = 300.0
LOOKUP_MARGIN = timedelta(minutes=5)

Sleep = Callable[[float], None]


def threads_length(text: str) -> int:
    """Threads' count: "emojis are counted as the number of UTF-8 bytes". For other characters
    the unit is not documented; we count code points, the stricter of code points and
    graphemes (é written as e + combining accent counts 2)."""
    # An emoji: a cluster starting with a pictograph or regional indicator, or a keycap.
    return emoji_bytes_length(text)


def unique_links(text: str) -> list[str]:
    seen: list[str] = []
    for span in find_urls(text):
        if span.value not in seen:
            seen.append(span.value)
    return seen


def media_url(request: PublishRequest, index: int, item: MediaItem) -> str:
    """The public URL a Meta network downloads this item from."""
    url = getattr(item, "url", "") or ""
    urls = request.options.get("media_urls") or []
    if not url and index < len(urls):
        url = str(urls[index] or "")
    if not url.startswith(("https://", "http://")):
        raise BadContent(
            f"{Path(item.path).name} has no public URL: Meta's servers download media "
            "themselves, so it must be reachable from the internet (set KERYX_BASE_URL to "
            "Keryx's public address)."
        )
    return url


def insight_value(data: list[Any], name: str) -> int | None:
    for entry in data:
        if not isinstance(entry, dict) or entry.get("name") != name:
            continue
        total = entry.get("total_value")
        if isinstance(total, dict) and isinstance(total.get("value"), int):
            return total["value"]
        values = entry.get("values") or []
        if values and isinstance(values[0], dict) and isinstance(values[0].get("value"), int):
            return values[0]["value"]
    return None


class ThreadsProvider:
    network: ClassVar[str] = "threads"
    display_name: ClassVar[str] = "Threads"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=TEXT_LIMIT,
        counting="threads",  # code points, emoji as their UTF-8 bytes
        media=MediaRules(
            max_items=CAROUSEL_MAX,
            image_types=IMAGE_TYPES,
            max_image_bytes=IMAGE_MAX_BYTES,
            video_types=VIDEO_TYPES,
            max_video_bytes=VIDEO_MAX_BYTES,
            alt_text=True,
            alt_text_max=ALT_TEXT_MAX,
            mix_images_and_video=True,  # carousels mix them
            # Width 320-1440, aspect up to 10:1 (official).
            geometry=base.ImageGeometry(min_width=320, max_width=1440, min_aspect=0.1,
                                        max_aspect=10.0),
            video=base.VideoRules(max_seconds=300, max_width=1920),
        ),
        threads=True,
        first_comment=True,
        metrics=True,
        comments=True,
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("characters", threads_length, TEXT_LIMIT),),
        split_long_text=True,
        preview=base.PreviewRules(fold_at=500, link_width=30),
        mentions=base.MentionRules(),
        hashtags_recommended=1,
    )
    # "250 API-published posts within a 24-hour moving period" (threads_publishing_limit).
    daily_post_cap: ClassVar[int | None] = 250
    default_api_base: ClassVar[str] = "https://graph.threads.net"
    default_oauth_base: ClassVar[str] = "https://threads.net"
    oauth: ClassVar[OAuth2Spec] = OAuth2Spec(
        authorize_path="/oauth/authorize",
        token_path="/oauth/access_token",
        scopes=("threads_basic", "threads_content_publish", "threads_manage_insights",
                "threads_manage_replies", "threads_read_replies"),
        pkce=False,  # not documented for Threads
        scope_separator=",",
        client_auth="body",
        token_on_api_base=True,
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = ()

    def __init__(self, context: ProviderContext, sleep: Sleep = time.sleep) -> None:
        self.context = context
        self.credentials = context.credentials
        self.settings = context.settings
        self.http = HttpSeam(timeout=context.timeout, allow_private=context.allow_private)
        self.api = (context.api_base or self.default_api_base).rstrip("/")
        self._sleep = sleep

    # -- plumbing --------------------------------------------------------------------------

    def _token(self) -> str:
        token = self.credentials.get("access_token")
        if not token:
            raise AuthExpired("No access token stored for this Threads channel; reconnect it.")
        return str(token)

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              data: dict[str, Any] | None = None, safe_to_repeat: bool | None = None,
              versioned: bool = True) -> dict[str, Any]:
        if safe_to_repeat is None:
            safe_to_repeat = method.upper() == "GET"
        url = f"{self.api}/{API_VERSION}{path}" if versioned else f"{self.api}{path}"
        query = {**(params or {}), "access_token": self._token()}
        response = self.http.request(method, url, params=query, data=data,
                                     safe_to_repeat=safe_to_repeat, check_status=False)
        meta.raise_for_graph(response, sent_unsafe=not safe_to_repeat)
        return self._body(response)

    @staticmethod
    def _body(response: httpx.Response) -> dict[str, Any]:
        return meta.json_body(response, "Threads")

    def _user(self) -> str:
        return str(self.settings.get("user_id") or "me")

    # -- validation (pure) -----------------------------------------------------------------

    def _text_problems(self, text: str, field: str, label: str) -> list[Problem]:
        problems = []
        length = threads_length(text)
        if length > TEXT_LIMIT:
            problems.append(Problem(
                "too_long",
                f"{label} is {length} characters as Threads counts them; Threads allows "
                f"{TEXT_LIMIT} (each emoji counts as its size in bytes, 2 to 4 or more).",
                field=field, params={"length": length, "limit": TEXT_LIMIT}))
        links = unique_links(text)
        if len(links) > MAX_LINKS:
            problems.append(Problem(
                "too_many_links",
                f"{label} has {len(links)} different links; Threads allows {MAX_LINKS}.",
                field=field, params={"count": len(links), "limit": MAX_LINKS}))
        return problems

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems = self._text_problems(request.text, "text", "The text")
        if not request.text.strip() and not request.media:
            problems.append(Problem("empty", "A Threads post needs text or media."))
        for index, part in enumerate(request.options.get("thread") or []):
            problems += self._text_problems(str(part), "thread", f"Thread post {index + 2}")
            if not str(part).strip():
                problems.append(Problem("empty", f"Thread post {index + 2} is empty.",
                                        field="thread"))
        if request.options.get("first_comment"):
            problems += self._text_problems(
                str(request.options["first_comment"]), "first_comment", "The first comment")
        if len(request.media) > CAROUSEL_MAX:
            problems.append(Problem(
                "too_many_media",
                f"{len(request.media)} attachments; a Threads carousel holds at most "
                f"{CAROUSEL_MAX}.", field="media",
                params={"count": len(request.media), "limit": CAROUSEL_MAX}))
        for index, item in enumerate(request.media):
            name = Path(item.path).name or f"#{index + 1}"
            if item.mime_type not in IMAGE_TYPES | VIDEO_TYPES:
                problems.append(Problem(
                    "media_type",
                    f"{name}: Threads accepts JPEG and PNG images and MP4/MOV videos, not "
                    f"{item.mime_type or 'this file'}.",
                    field="media", params={"index": index, "mime_type": item.mime_type}))
                continue
            limit = VIDEO_MAX_BYTES if item.mime_type in VIDEO_TYPES else IMAGE_MAX_BYTES
            if item.size > limit:
                problems.append(Problem(
                    "media_too_large",
                    f"{name} is {item.size / 1048576:.1f} MB; Threads accepts up to "
                    f"{limit / 1048576:.0f} MB.",
                    field="media", params={"index": index, "size": item.size, "limit": limit}))
            if len(item.alt_text) > ALT_TEXT_MAX:
                problems.append(Problem(
                    "alt_text_too_long",
                    f"The alt text of {name} is {len(item.alt_text)} characters; Threads "
                    f"allows {ALT_TEXT_MAX}.", field="media",
                    params={"index": index, "length": len(item.alt_text),
                            "limit": ALT_TEXT_MAX}))
        return problems

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        me = self._call("GET", "/me", params={"fields": "id,username,name"})
        if not me.get("id"):
            raise Transient("Threads' answer does not look like an account.")
        username = str(me.get("username") or "")
        return AccountInfo(
            remote_id=str(me["id"]),
            handle=f"@{username}",
            display_name=str(me.get("name") or username),
            url=f"https://www.threads.net/@{username}" if username else "",
            settings={"user_id": str(me["id"]), "username": username},
        )

    def publishing_quota(self) -> tuple[int, int]:
        """(posts used, posts allowed) in the last 24 hours, from threads_publishing_limit."""
        body = self._call("GET", f"/{self._user()}/threads_publishing_limit",
                          params={"fields": "quota_usage,config"})
        entry = (body.get("data") or [{}])[0]
        total = (entry.get("config") or {}).get("quota_total") or self.daily_post_cap
        return int(entry.get("quota_usage") or 0), int(total)

    # -- containers ------------------------------------------------------------------------

    def _container(self, fields: dict[str, Any]) -> str:
        # Creating a container publishes nothing: an unused one expires by itself.
        body = self._call("POST", f"/{self._user()}/threads", data=fields, safe_to_repeat=True)
        if not body.get("id"):
            raise Transient("Threads did not return a container id.")
        return str(body["id"])

    def _wait(self, container_id: str) -> None:
        """Poll the container until FINISHED; ERROR/EXPIRED and a bounded wait raise."""
        meta.wait_for_container(
            lambda: self._call("GET", f"/{container_id}",
                               params={"fields": "status,error_message"}),
            network="Threads", status_field="status", reason_field="error_message",
            timeout=CONTAINER_TIMEOUT, sleep=self._sleep)

    def _media_fields(self, request: PublishRequest, index: int, item: MediaItem) -> dict[str, Any]:
        url = media_url(request, index, item)
        if item.mime_type in VIDEO_TYPES:
            fields: dict[str, Any] = {"media_type": "VIDEO", "video_url": url}
        else:
            fields = {"media_type": "IMAGE", "image_url": url}
        if item.alt_text:
            fields["alt_text"] = item.alt_text
        return fields

    def _build(self, request: PublishRequest) -> str:
        media = request.media
        if not media:
            return self._container({"media_type": "TEXT", "text": request.text})
        if len(media) == 1:
            fields = self._media_fields(request, 0, media[0])
            if request.text:
                fields["text"] = request.text
            return self._container(fields)
        children = []
        for index, item in enumerate(media):
            child = self._container({**self._media_fields(request, index, item),
                                     "is_carousel_item": "true"})
            self._wait(child)
            children.append(child)
        fields = {"media_type": "CAROUSEL", "children": ",".join(children)}
        if request.text:
            fields["text"] = request.text
        return self._container(fields)

    def _publish_container(self, container_id: str) -> str:
        self._wait(container_id)
        body = self._call("POST", f"/{self._user()}/threads_publish",
                          data={"creation_id": container_id})
        if not body.get("id"):
            raise OutcomeUnknown("Threads answered without the id of the new post.")
        return str(body["id"])

    def _permalink(self, media_id: str) -> str:
        try:
            body = self._call("GET", f"/{media_id}", params={"fields": "permalink"})
        except ProviderError:
            return ""  # the post is out; a missing link must not fail it
        return str(body.get("permalink") or "")

    # -- publishing ------------------------------------------------------------------------

    @classmethod
    def new_idempotency_key(cls) -> str:
        return uuid.uuid4().hex

    def publish(self, request: PublishRequest) -> PublishResult:
        post_id = self._publish_container(self._build(request))
        raw: dict[str, Any] = {"id": post_id}
        follow_ups = [str(t) for t in request.options.get("thread") or []]
        if request.options.get("first_comment"):
            follow_ups.append(str(request.options["first_comment"]))
        parent, replies = post_id, []
        for text in follow_ups:
            try:
                parent = self._publish_container(
                    self._container({"media_type": "TEXT", "text": text, "reply_to_id": parent}))
            except ProviderError as exc:
                raw["follow_up_error"] = exc.message
                break
            replies.append(parent)
        if follow_ups:
            raw["replies"] = replies
        return PublishResult(remote_id=post_id, url=self._permalink(post_id),
                             published_at=datetime.now(UTC), raw=raw)

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        params = {"fields": "id,text,timestamp,permalink,media_type", "limit": "100"}
        if request.scheduled_at:
            params["since"] = str(int((request.scheduled_at - LOOKUP_MARGIN).timestamp()))
        body = self._call("GET", f"/{self._user()}/threads", params=params)
        wanted = " ".join(request.text.split())
        for post in body.get("data") or []:
            if " ".join(str(post.get("text") or "").split()) == wanted:
                return PublishResult(remote_id=str(post["id"]),
                                     url=str(post.get("permalink") or ""),
                                     published_at=parse_graph_time(post.get("timestamp")),
                                     raw={"id": str(post["id"])})
        return None

    def delete(self, remote_id: str) -> None:
        try:
            self._call("DELETE", f"/{remote_id}", safe_to_repeat=True)
        except Disconnected as exc:
            if exc.status == 404:
                return
            raise

    # -- metrics and comments --------------------------------------------------------------

    def fetch_metrics(self, remote_id: str) -> Metrics:
        body = self._call("GET", f"/{remote_id}/insights",
                          params={"metric": "views,likes,replies,reposts,quotes,shares"})
        data = body.get("data") or []
        reposts, quotes = insight_value(data, "reposts"), insight_value(data, "quotes")
        shares = None if reposts is None and quotes is None else (reposts or 0) + (quotes or 0)
        return Metrics(views=insight_value(data, "views"), likes=insight_value(data, "likes"),
                       comments=insight_value(data, "replies"), shares=shares,
                       raw={"data": data, "shares": insight_value(data, "shares")})

    def fetch_comments(self, remote_id: str, since: datetime | None = None) -> list[Comment]:
        """Every reply at any depth under the post (GET /{id}/conversation)."""
        body = self._call("GET", f"/{remote_id}/conversation", params={
            "fields": "id,text,username,timestamp,permalink,replied_to,hide_status",
            "reverse": "false"})
        comments = []
        for reply in body.get("data") or []:
            created = parse_graph_time(reply.get("timestamp"))
            if since and created and created < since:
                continue
            username = str(reply.get("username") or "")
            comments.append(Comment(
                remote_id=str(reply["id"]), text=str(reply.get("text") or ""),
                author_handle=f"@{username}" if username else "", created_at=created,
                parent_id=str((reply.get("replied_to") or {}).get("id") or ""),
                url=str(reply.get("permalink") or ""), raw=reply))
        return comments

    def reply(self, remote_id: str, text: str) -> PublishResult:
        post_id = self._publish_container(
            self._container({"media_type": "TEXT", "text": text, "reply_to_id": remote_id}))
        return PublishResult(remote_id=post_id, url=self._permalink(post_id),
                             published_at=datetime.now(UTC))

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        self._call("POST", f"/{comment_id}/manage_reply",
                   data={"hide": "true" if hidden else "false"}, safe_to_repeat=True)

    # -- OAuth -----------------------------------------------------------------------------

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str = "") -> TokenSet:
        """The code buys a short-lived token (1 h), traded at once for a long-lived one."""
        return meta.exchange_long_lived(
            self.http, token_url=endpoint(self.api, self.oauth.token_path), api=self.api,
            client_id=self.context.client_id, client_secret=self.context.client_secret,
            code=code, redirect_uri=redirect_uri, grant_type="th_exchange_token",
            network="Threads")

    def refresh(self) -> TokenSet:
        """A long-lived token at least a day old and not yet expired buys a new 60-day one."""
        current = str(self.credentials.get("refresh_token") or self._token())
        return meta.refresh_long_lived(self.http, api=self.api, token=current,
                                       grant_type="th_refresh_token", network="Threads")
