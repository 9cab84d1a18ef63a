"""Instagram (professional accounts: Business or Creator) through the Instagram API with
Instagram Login (graph.instagram.com), over the HTTP seam.

Why Instagram Login and not Facebook Login: it needs no Facebook Page linked to the account and
no Facebook user, only the Instagram professional account itself, and it covers everything
Keryx does here (publishing, comments, insights).

Credentials: {"access_token", "refresh_token", "expires_at"}: a long-lived token (60 days),
renewed with grant_type=ig_refresh_token; like Threads, the token itself is what buys the next
one, so it is also kept as the refresh token. Settings (learned by verify()): {"user_id",
"username", "account_type"}.

Publishing: create a container (POST /{ig-user-id}/media: image_url, or media_type=REELS with
video_url, or carousel items with is_carousel_item and then media_type=CAROUSEL with children),
poll its status_code until FINISHED, then POST /{ig-user-id}/media_publish with creation_id.
Instagram downloads media from a PUBLIC URL (see graph_container.media_url): it must be
reachable from the internet, e.g. under KERYX_BASE_URL. Before creating anything, the account's
content_publishing_limit is read: a full quota is RateLimited, not a wasted container.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from keryx.networks import base, meta, readings
from keryx.networks.base import (
    AccountInfo,
    BadContent,
    Capabilities,
    ConnectField,
    MediaItem,
    MediaRules,
    OAuth2Spec,
    OutcomeUnknown,
    Problem,
    ProviderContext,
    ProviderError,
    PublishRequest,
    PublishResult,
    RateLimited,
    Transient,
)
from keryx.networks.community import ChannelMetrics, Comment, PostGone, PostMetrics, RecentPost
from keryx.networks.graph_container import (
    GraphContainerProvider,
    Sleep,
    insight_value,
    media_url,
)
from keryx.networks.meta_inbox import InstagramInbox
from keryx.networks.text import find_hashtags, find_mentions, utf16_length

API_VERSION = "v23.0"
# Media insights (Instagram Platform reference, "Instagram Media Insights").
INSIGHT_METRICS = "reach,likes,comments,shares,saved,views"
METRICS_PERMISSION = "instagram_business_manage_insights"
ACCOUNT_PERMISSION = "instagram_business_basic"
RECENT_PAGES = 10
CAPTION_LIMIT = 2200
# The API reference says 30 hashtags; the app has allowed 5 since December 2025, but posts
# through the API with more are still accepted, so we hold the documented API figure.
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
CAROUSEL_MAX = 10
# Feed images: 4:5 (portrait) to 1.91:1 (landscape), width / height.
MIN_ASPECT, MAX_ASPECT = 0.8, 1.91
ALT_TEXT_MAX = 1000
# The API takes JPEG only for feed images (the app converts others; the API does not).
IMAGE_TYPES = frozenset({"image/jpeg"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
IMAGE_MAX_BYTES = 8 * 1024 * 1024
VIDEO_MAX_BYTES = 300 * 1024 * 1024  # reels
LOOKUP_MARGIN = timedelta(minutes=5)
# When the 24-hour quota is used up we cannot know which post frees a slot first.
QUOTA_WAIT = 3600.0
# The token endpoint lives on its own host (not the API's, not the login page's).
DEFAULT_TOKEN_BASE = "https://api.instagram.com"


def caption_length(text: str) -> int:
    """Instagram says "characters" without a unit; UTF-16 code units (what its web app's
    counter measures) is the strictest of the readings, so we use it."""
    return utf16_length(text)


class InstagramProvider(InstagramInbox, GraphContainerProvider):
    network: ClassVar[str] = "instagram"
    display_name: ClassVar[str] = "Instagram"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=CAPTION_LIMIT,
        counting="utf16",
        media=MediaRules(
            max_items=CAROUSEL_MAX,
            image_types=IMAGE_TYPES,
            max_image_bytes=IMAGE_MAX_BYTES,
            video_types=VIDEO_TYPES,
            max_video_bytes=VIDEO_MAX_BYTES,
            alt_text=True,
            alt_text_max=ALT_TEXT_MAX,
            mix_images_and_video=True,  # in carousels
            min_items=1,
            # Feed: aspect 4:5 to 1.91:1, width 320-1440 (official).
            geometry=base.ImageGeometry(min_width=320, max_width=1440, min_aspect=MIN_ASPECT,
                                        max_aspect=MAX_ASPECT),
            video=base.VideoRules(min_seconds=3, max_seconds=900, max_width=1920),
        ),
        requires_text_or_media=True,
        first_comment=True,
        metrics=True,
        comments=True,
        inbox=True,
        hide_comments=True,
        delete_comments=True,
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("utf16", caption_length, CAPTION_LIMIT),),
        preview=base.PreviewRules(fold_at=125),
        extras=base.RequestExtras(closing_tags_to_first_comment=True),
        mentions=base.MentionRules(),
        # The app has capped posts at five since December 2025; the API still takes 30.
        hashtags_recommended=5,
        hashtags_max=MAX_HASHTAGS,
        metrics_spec=base.MetricsSpec(
            post=frozenset({"likes", "comments", "shares", "saves", "reach", "impressions"}),
            channel=frozenset({"followers", "following", "posts"}),
            permission="instagram_business_manage_insights",
            recent_posts=True,
            # Graph API platform limit: 200 calls per hour per user (rolling window);
            # code 4 answers mean the app's own limit and pause every channel.
            rate=(base.RateBudget(200, 3600.0, scope="channel",
                                  source="https://developers.facebook.com/docs/graph-api/"
                                         "overview/rate-limiting"),),
            notes="views (plays or displays, for every kind of media) is stored as "
                  "impressions; no link clicks; insights need enough viewers and lag up "
                  "to 48 h.",
        ),
    )
    # content_publishing_limit: 50 API-published posts per 24 hours (older docs said 25).
    daily_post_cap: ClassVar[int | None] = 50
    default_api_base: ClassVar[str] = "https://graph.instagram.com"
    default_oauth_base: ClassVar[str] = "https://www.instagram.com"
    oauth: ClassVar[OAuth2Spec] = OAuth2Spec(
        authorize_path="/oauth/authorize",
        token_path="/oauth/access_token",
        scopes=("instagram_business_basic", "instagram_business_content_publish",
                "instagram_business_manage_comments", "instagram_business_manage_insights"),
        pkce=False,  # not offered by Instagram Login
        scope_separator=",",
        client_auth="body",
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = ()
    api_version: ClassVar[str] = API_VERSION
    container_edge: ClassVar[str] = "media"
    publish_edge: ClassVar[str] = "media_publish"
    quota_edge: ClassVar[str] = "content_publishing_limit"
    text_field: ClassVar[str] = "caption"
    status_field: ClassVar[str] = "status_code"
    reason_field: ClassVar[str] = "status"
    reason_on_timeout: ClassVar[bool] = True
    exchange_grant: ClassVar[str] = "ig_exchange_token"
    refresh_grant: ClassVar[str] = "ig_refresh_token"

    def __init__(self, context: ProviderContext, sleep: Sleep = time.sleep) -> None:
        super().__init__(context, sleep)
        # A configured oauth base (a gateway, a test server) takes the token endpoint too.
        self.token_base = (context.oauth_base or DEFAULT_TOKEN_BASE).rstrip("/")

    # -- validation (pure) -----------------------------------------------------------------

    def _caption_problems(self, text: str, field: str, label: str) -> list[Problem]:
        problems = []
        length = caption_length(text)
        if length > CAPTION_LIMIT:
            problems.append(Problem(
                "too_long", f"{label} is {length} characters; Instagram allows {CAPTION_LIMIT}.",
                field=field, params={"length": length, "limit": CAPTION_LIMIT}))
        tags = len(find_hashtags(text))
        if tags > MAX_HASHTAGS:
            problems.append(Problem(
                "too_many_hashtags",
                f"{label} has {tags} hashtags; Instagram allows {MAX_HASHTAGS}.",
                field=field, params={"count": tags, "limit": MAX_HASHTAGS}))
        mentions = len(find_mentions(text))
        if mentions > MAX_MENTIONS:
            problems.append(Problem(
                "too_many_mentions",
                f"{label} mentions {mentions} accounts; Instagram allows {MAX_MENTIONS}.",
                field=field, params={"count": mentions, "limit": MAX_MENTIONS}))
        return problems

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems = self._caption_problems(request.text, "text", "The caption")
        if request.options.get("first_comment"):
            problems += self._caption_problems(
                str(request.options["first_comment"]), "first_comment", "The first comment")
        problems.extend(self.media_problems(request.media))
        return problems

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        me = self._call("GET", "/me", params={
            "fields": "user_id,username,name,account_type,profile_picture_url"})
        user_id = str(me.get("user_id") or me.get("id") or "")
        if not user_id:
            raise Transient("Instagram's answer does not look like an account.")
        account_type = str(me.get("account_type") or "")
        if account_type and account_type not in ("BUSINESS", "MEDIA_CREATOR"):
            raise BadContent(
                f"@{me.get('username', '')} is a {account_type.lower()} account; Instagram lets "
                "apps publish only for Business or Creator accounts. Switch it to a "
                "professional account in the Instagram app, then connect again.")
        username = str(me.get("username") or "")
        return AccountInfo(
            remote_id=user_id, handle=f"@{username}",
            display_name=str(me.get("name") or username),
            url=f"https://www.instagram.com/{username}/" if username else "",
            settings={"user_id": user_id, "username": username, "account_type": account_type},
        )

    # -- containers ------------------------------------------------------------------------

    def _item_fields(self, request: PublishRequest, index: int, item: MediaItem,
                     carousel: bool) -> dict[str, Any]:
        url = media_url(request, index, item)
        if item.mime_type in VIDEO_TYPES:
            # Single feed videos are published as reels; carousel videos are VIDEO items.
            fields: dict[str, Any] = {"media_type": "VIDEO" if carousel else "REELS",
                                      "video_url": url}
        else:
            fields = {"image_url": url}
            if item.alt_text:
                fields["alt_text"] = item.alt_text
        if carousel:
            fields["is_carousel_item"] = "true"
        return fields

    # -- publishing ------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        used, total = self.publishing_quota()
        if used >= total:
            raise RateLimited(
                f"This Instagram account has published {used} of its {total} API posts in the "
                "last 24 hours.", retry_after=QUOTA_WAIT)
        post_id = self._publish_container(self._build(request))
        raw: dict[str, Any] = {"id": post_id}
        url = self._permalink(post_id)
        first_comment = request.options.get("first_comment")
        if first_comment:
            # After publishing, never raised: an error would make the engine post again.
            try:
                comment = self._call("POST", f"/{post_id}/comments",
                                     data={"message": str(first_comment)})
                raw["first_comment_id"] = str(comment.get("id") or "")
            except ProviderError as exc:
                raw["follow_up_error"] = exc.message
        return PublishResult(remote_id=post_id, url=url, published_at=datetime.now(UTC),
                             raw=raw)

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        params = {"fields": "id,caption,timestamp,permalink,media_type", "limit": "50"}
        if request.scheduled_at:
            params["since"] = str(int((request.scheduled_at - LOOKUP_MARGIN).timestamp()))
        body = self._call("GET", f"/{self._user()}/media", params=params)
        wanted = " ".join(request.text.split())
        since = request.scheduled_at - LOOKUP_MARGIN if request.scheduled_at else None
        for post in body.get("data") or []:
            created = meta.parse_graph_time(post.get("timestamp"))
            if since and created and created < since:
                continue
            if " ".join(str(post.get("caption") or "").split()) == wanted:
                return PublishResult(remote_id=str(post["id"]),
                                     url=str(post.get("permalink") or ""),
                                     published_at=created, raw={"id": str(post["id"])})
        return None

    def delete(self, remote_id: str) -> None:
        raise BadContent(
            "Instagram's API cannot delete posts; delete it in the Instagram app.")

    # -- metrics and comments --------------------------------------------------------------

    def _read(self, fn: Any, what: str, remote_id: str = "") -> Any:
        return readings.read(fn, network="Instagram", permission=METRICS_PERMISSION, what=what,
                             remote_id=remote_id, gone=meta.object_gone,
                             denied=meta.permission_missing)

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        """GET /{ig-media-id}/insights?metric=reach,likes,comments,shares,saved,views
        (Instagram Platform reference, Instagram Media Insights). `views` ("times the media
        was played or displayed", which replaced impressions and plays in 2025) is stored as
        impressions. No link clicks. Media with too few viewers has no insights ("(#10) Not
        enough viewers"): then only like_count and comments_count are read from the media."""
        try:
            body = self._read(lambda: self._call("GET", f"/{remote_id}/insights", params={
                "metric": INSIGHT_METRICS}), "the post's insights", remote_id)
        except ProviderError as exc:
            if not meta.too_few_viewers(exc):
                raise
            media = self._read(lambda: self._call("GET", f"/{remote_id}", params={
                "fields": "id,like_count,comments_count"}), "the post's counts", remote_id)
            if isinstance(media, PostGone):
                return media
            return PostMetrics(likes=readings.count(media.get("like_count")),
                               comments=readings.count(media.get("comments_count")),
                               raw={"media": media, "insights_error": exc.message})
        if isinstance(body, PostGone):
            return body
        data = body.get("data") or []
        return PostMetrics(
            likes=insight_value(data, "likes"), comments=insight_value(data, "comments"),
            shares=insight_value(data, "shares"), saves=insight_value(data, "saved"),
            reach=insight_value(data, "reach"), impressions=insight_value(data, "views"),
            raw={"data": data})

    def fetch_channel_metrics(self) -> ChannelMetrics:
        """GET /{ig-user-id}?fields=followers_count,follows_count,media_count."""
        body = readings.read_account(
            lambda: self._call("GET", f"/{self._user()}", params={
                "fields": "followers_count,follows_count,media_count"}),
            network="Instagram", permission=ACCOUNT_PERMISSION, what="the account's counts",
            denied=meta.permission_missing)
        return ChannelMetrics(followers=readings.count(body.get("followers_count")),
                              following=readings.count(body.get("follows_count")),
                              posts=readings.count(body.get("media_count")), raw=dict(body))

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        """GET /{ig-user-id}/media (feed posts and reels, newest first; stories are not
        listed there), paged with paging.cursors.after until older than `since`."""
        params: dict[str, Any] = {"fields": "id,caption,permalink,timestamp",
                                  "since": str(int(since.timestamp())), "limit": "100"}
        found: list[RecentPost] = []
        for _ in range(RECENT_PAGES):
            body = readings.read_account(
                lambda: self._call("GET", f"/{self._user()}/media", params=params),
                network="Instagram", permission=ACCOUNT_PERMISSION,
                what="the account's posts", denied=meta.permission_missing)
            older = False
            for item in body.get("data") or []:
                created = meta.parse_graph_time(item.get("timestamp"))
                if created is None:
                    continue
                if created < since:
                    older = True
                    continue
                found.append(RecentPost(str(item["id"]), str(item.get("permalink") or ""),
                                        created, str(item.get("caption") or "")))
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            if older or not after or not (body.get("paging") or {}).get("next"):
                break
            params["after"] = str(after)
        return readings.newest_first(found)

    def fetch_comments(self, remote_id: str, since: datetime | None = None) -> list[Comment]:
        body = self._call("GET", f"/{remote_id}/comments", params={
            "fields": "id,text,username,timestamp,from,parent_id,hidden,"
                      "replies{id,text,username,timestamp,from,parent_id,hidden}"})
        found: list[Comment] = []
        for entry in body.get("data") or []:
            for item in [entry, *((entry.get("replies") or {}).get("data") or [])]:
                created = meta.parse_graph_time(item.get("timestamp"))
                if since and created and created < since:
                    continue
                author = item.get("from") or {}
                username = str(item.get("username") or author.get("username") or "")
                found.append(Comment(
                    remote_id=str(item["id"]), text=str(item.get("text") or ""),
                    author_id=str(author.get("id") or ""),
                    author_handle=f"@{username}" if username else "",
                    created_at=created,
                    parent_id=str(item.get("parent_id") or (
                        entry["id"] if item is not entry else remote_id)),
                    raw={k: v for k, v in item.items() if k != "replies"}))
        return found

    def reply(self, remote_id: str, text: str) -> PublishResult:
        """Answer a comment (remote_id is the comment's id)."""
        body = self._call("POST", f"/{remote_id}/replies", data={"message": text})
        if not body.get("id"):
            raise OutcomeUnknown("Instagram answered without the id of the reply.")
        return PublishResult(remote_id=str(body["id"]), url="", published_at=datetime.now(UTC))

    # -- OAuth -----------------------------------------------------------------------------

    def _token_url(self) -> str:
        return f"{self.token_base}{self.oauth.token_path}"
