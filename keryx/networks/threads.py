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

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from keryx.networks import base, meta, readings
from keryx.networks.base import (
    AccountInfo,
    Capabilities,
    ConnectField,
    Disconnected,
    MediaItem,
    MediaRules,
    OAuth2Spec,
    Problem,
    ProviderError,
    PublishRequest,
    PublishResult,
    Transient,
)
from keryx.networks.community import ChannelMetrics, Comment, PostGone, PostMetrics, RecentPost
from keryx.networks.counting import emoji_bytes_length
from keryx.networks.graph_container import GraphContainerProvider, insight_value, media_url
from keryx.networks.meta import parse_graph_time
from keryx.networks.meta_inbox import ThreadsInbox
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
LOOKUP_MARGIN = timedelta(minutes=5)


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


METRICS_PERMISSION = "threads_manage_insights"
RECENT_PAGES = 10


class ThreadsProvider(ThreadsInbox, GraphContainerProvider):
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
        inbox=True,
        hide_comments=True,
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("characters", threads_length, TEXT_LIMIT),),
        split_long_text=True,
        preview=base.PreviewRules(fold_at=500, link_width=30),
        mentions=base.MentionRules(),
        hashtags_recommended=1,
        metrics_spec=base.MetricsSpec(
            post=frozenset({"likes", "comments", "shares", "quotes", "impressions"}),
            channel=frozenset({"followers"}),
            permission="threads_manage_insights",
            recent_posts=True,
            # Calls per 24 h: 4800 x the account's impressions (minimum 10), per account.
            rate=(base.RateBudget(4800, 86400.0, scope="channel",
                                  source="https://developers.facebook.com/docs/threads/"
                                         "overview#rate-limiting"),),
            notes="views counted as impressions; shares (in development) kept in raw; "
                  "no reach, saves, link clicks; no following or post count.",
        ),
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
    api_version: ClassVar[str] = API_VERSION
    container_edge: ClassVar[str] = "threads"
    publish_edge: ClassVar[str] = "threads_publish"
    quota_edge: ClassVar[str] = "threads_publishing_limit"
    text_field: ClassVar[str] = "text"
    status_field: ClassVar[str] = "status"
    reason_field: ClassVar[str] = "error_message"
    exchange_grant: ClassVar[str] = "th_exchange_token"
    refresh_grant: ClassVar[str] = "th_refresh_token"

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
        problems.extend(self.media_problems(request.media))
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

    # -- containers ------------------------------------------------------------------------

    def _item_fields(self, request: PublishRequest, index: int, item: MediaItem,
                     carousel: bool) -> dict[str, Any]:
        url = media_url(request, index, item)
        if item.mime_type in VIDEO_TYPES:
            fields: dict[str, Any] = {"media_type": "VIDEO", "video_url": url}
        else:
            fields = {"media_type": "IMAGE", "image_url": url}
        if item.alt_text:
            fields["alt_text"] = item.alt_text
        if carousel:
            fields["is_carousel_item"] = "true"
        return fields

    def _text_only(self, request: PublishRequest) -> str:
        return self._container({"media_type": "TEXT", "text": request.text})

    # -- publishing ------------------------------------------------------------------------

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

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        """GET /{threads-media-id}/insights?metric=views,likes,replies,reposts,quotes,shares
        (Threads Insights API, media insights). Threads gives no reach, saves or clicks."""
        body = readings.read(
            lambda: self._call("GET", f"/{remote_id}/insights", params={
                "metric": "views,likes,replies,reposts,quotes,shares"}),
            network="Threads", permission=METRICS_PERMISSION, what="the post's insights",
            remote_id=remote_id, gone=meta.object_gone, denied=meta.permission_missing)
        if isinstance(body, PostGone):
            return body
        data = body.get("data") or []
        return PostMetrics(
            likes=insight_value(data, "likes"), comments=insight_value(data, "replies"),
            shares=insight_value(data, "reposts"), quotes=insight_value(data, "quotes"),
            # "views": times the post was displayed or played.
            impressions=insight_value(data, "views"),
            raw={"data": data, "shares": insight_value(data, "shares")})

    def fetch_channel_metrics(self) -> ChannelMetrics:
        """GET /{threads-user-id}/threads_insights?metric=followers_count (the total now).
        The Threads API gives no following or post count."""
        body = readings.read_account(
            lambda: self._call("GET", f"/{self._user()}/threads_insights",
                               params={"metric": "followers_count"}),
            network="Threads", permission=METRICS_PERMISSION, what="the account's insights",
            denied=meta.permission_missing)
        data = body.get("data") or []
        return ChannelMetrics(followers=insight_value(data, "followers_count"),
                              raw={"data": data})

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        """GET /{threads-user-id}/threads?since=... (the account's own posts; replies are
        on another edge), reposts (REPOST_FACADE) left out."""
        params: dict[str, Any] = {"fields": "id,text,timestamp,permalink,media_type",
                                  "since": str(int(since.timestamp())), "limit": "100"}
        found: list[RecentPost] = []
        for _ in range(RECENT_PAGES):
            body = readings.read_account(
                lambda: self._call("GET", f"/{self._user()}/threads", params=params),
                network="Threads", permission="threads_basic", what="the account's posts",
                denied=meta.permission_missing)
            for post in body.get("data") or []:
                created = parse_graph_time(post.get("timestamp"))
                if created is None or created < since or post.get("media_type") == \
                        "REPOST_FACADE":
                    continue
                found.append(RecentPost(str(post["id"]), str(post.get("permalink") or ""),
                                        created, str(post.get("text") or "")))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not after or not paging.get("next"):
                break
            params["after"] = str(after)
        return readings.newest_first(found)

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

    # -- OAuth -----------------------------------------------------------------------------

    def _token_url(self) -> str:
        return endpoint(self.api, self.oauth.token_path)
