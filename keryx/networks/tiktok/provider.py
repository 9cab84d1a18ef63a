"""TikTokProvider: validation, the account, publishing and reading back posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from keryx.networks import base, readings
from keryx.networks.base import (
    AccountInfo,
    BadContent,
    Capabilities,
    ConnectField,
    MediaRules,
    OAuth2Spec,
    Problem,
    ProviderError,
    PublishRequest,
    PublishResult,
    Transient,
)
from keryx.networks.community import ChannelMetrics, PostGone, PostMetrics, RecentPost
from keryx.networks.text import utf16_length
from keryx.networks.tiktok.limits import (
    IMAGE_TYPES,
    PHOTO_DESCRIPTION_MAX,
    PHOTO_MAX,
    PHOTO_MAX_BYTES,
    PHOTO_TITLE_MAX,
    PRIVACY_LEVELS,
    VIDEO_MAX_BYTES,
    VIDEO_TITLE_MAX,
    VIDEO_TYPES,
)
from keryx.networks.tiktok.posting import TikTokPosting

LOOKUP_MARGIN = timedelta(minutes=5)
VIDEO_FIELDS = "id,title,video_description,create_time,share_url"
METRIC_FIELDS = "id,like_count,comment_count,share_count,view_count"


RECENT_PAGES = 10


def _scope_refused(exc: ProviderError) -> bool:
    """TikTok's error.code for a scope the user did not grant."""
    raw = exc.raw if isinstance(exc.raw, dict) else {}
    error = raw.get("error") if isinstance(raw.get("error"), dict) else {}
    return error.get("code") in ("scope_not_authorized", "scope_permission_missed")


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in {"1", "true", "yes", "on"}


class TikTokProvider(TikTokPosting):
    network: ClassVar[str] = "tiktok"
    display_name: ClassVar[str] = "TikTok"
    default_api_base: ClassVar[str] = "https://open.tiktokapis.com"
    default_oauth_base: ClassVar[str] = "https://www.tiktok.com"
    # TikTok caps posts per creator per day without publishing the figure (15–25 reported);
    # we warn at the lower end.
    daily_post_cap: ClassVar[int | None] = 15
    oauth: ClassVar[OAuth2Spec] = OAuth2Spec(
        authorize_path="/v2/auth/authorize/",
        token_path="/v2/oauth/token/",
        scopes=("user.info.basic", "user.info.stats", "video.publish", "video.upload",
                "video.list"),
        # PKCE exists only in TikTok's desktop/mobile flows (with a hex, not base64url, S256
        # challenge); a server-side web app authenticates with its client secret instead.
        pkce=False,
        scope_separator=",",
        client_auth="body",
        token_on_api_base=True,
        # TikTok calls the OAuth client id `client_key` in every request.
        client_id_param="client_key",
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "privacy_level", "Privacy level", required=False, store="settings",
            help="Who sees posts: SELF_ONLY (the only level unaudited apps may use), "
            "FOLLOWER_OF_CREATOR, MUTUAL_FOLLOW_FRIENDS or PUBLIC_TO_EVERYONE.",
        ),
        ConnectField(
            "audited", "App audited", required=False, store="settings",
            help="'yes' once TikTok has audited your app, so posts may be public.",
        ),
        ConnectField(
            "media_url_prefix", "Public media URL prefix", required=False, store="settings",
            help="Photo posts: TikTok pulls images from this URL prefix (a domain verified "
            "in the TikTok developer portal) followed by the file name.",
        ),
    )
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=VIDEO_TITLE_MAX,
        counting="utf16",
        media=MediaRules(
            max_items=PHOTO_MAX,
            image_types=IMAGE_TYPES,
            max_image_bytes=PHOTO_MAX_BYTES,
            video_types=VIDEO_TYPES,
            max_video_bytes=VIDEO_MAX_BYTES,
            alt_text=False,
            mix_images_and_video=False,
            # One video, or up to 35 photos.
            min_items=1,
            alone=frozenset({"video"}),
            geometry=base.ImageGeometry(max_side=4096),
            video=base.VideoRules(max_seconds=600),
        ),
        requires_text_or_media=True,
        metrics=True,
        # The Comments API is not available to posting apps.
        comments=False,
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("utf16", utf16_length, VIDEO_TITLE_MAX,
                                  limit_with_images=PHOTO_DESCRIPTION_MAX),),
        mentions=base.MentionRules(),
        hashtags_recommended=5,
        metrics_spec=base.MetricsSpec(
            post=frozenset({"likes", "comments", "shares", "video_views"}),
            channel=frozenset({"followers", "following", "posts"}),
            permission="video.list, user.info.stats",
            recent_posts=True,
            # Display API: 600 requests per minute per endpoint, for the app (client key).
            rate=(base.RateBudget(600, 60.0, scope="app",
                                  source="https://developers.tiktok.com/doc/"
                                         "tiktok-api-v2-rate-limit"),),
            notes="No saves, impressions, reach or link clicks through the public API.",
        ),
    )

    # -- validation (pure) -----------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        media = request.media
        videos = [m for m in media if m.mime_type.startswith("video/")]
        images = [m for m in media if not m.mime_type.startswith("video/")]
        problems.extend(self.media_problems(media))
        text_length = utf16_length(request.text)
        if images and not videos:
            limit, what = PHOTO_DESCRIPTION_MAX, "photo post description"
            title = str(request.options.get("title") or "")
            if utf16_length(title) > PHOTO_TITLE_MAX:
                problems.append(Problem(
                    "title_too_long",
                    f"The photo post title is {utf16_length(title)} characters; TikTok allows "
                    f"{PHOTO_TITLE_MAX}.", field="title",
                    params={"length": utf16_length(title), "limit": PHOTO_TITLE_MAX},
                ))
            if self._media_urls(request) is None:
                problems.append(Problem(
                    "media_url_required",
                    "TikTok photo posts are pulled by TikTok from a public URL on a domain you "
                    "verified with TikTok; set the channel's media URL prefix.", field="media",
                ))
        else:
            limit, what = VIDEO_TITLE_MAX, "caption"
        if text_length > limit:
            problems.append(Problem(
                "too_long",
                f"The {what} is {text_length} characters long (UTF-16); TikTok allows {limit}.",
                params={"length": text_length, "limit": limit},
            ))
        problems.extend(self._privacy_problems(request))
        return problems

    def _privacy_problems(self, request: PublishRequest) -> list[Problem]:
        level = self._privacy_level(request)
        if level not in PRIVACY_LEVELS:
            return [Problem(
                "privacy_level", f"{level} is not a TikTok privacy level; use one of "
                f"{', '.join(PRIVACY_LEVELS)}.", field="options",
            )]
        options = self.settings.get("privacy_level_options")
        if options and level not in options:
            return [Problem(
                "privacy_level",
                f"This TikTok account can post as {', '.join(options)}, not {level}.",
                field="options", params={"options": list(options)},
            )]
        if level != "SELF_ONLY" and not _truthy(self.settings.get("audited")):
            return [Problem(
                "unaudited_app_private_only",
                "TikTok lets unaudited apps post only privately (SELF_ONLY). If TikTok has "
                "audited your app, mark the channel as audited.", field="options",
            )]
        return []

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        data = self._api(
            "/v2/user/info/",
            method="GET",
            params={"fields": "open_id,union_id,avatar_url,display_name,username"},
        )
        user = data.get("user") or {}
        if not user.get("open_id"):
            raise Transient("TikTok's answer does not describe a user.")
        creator = self.creator_info()
        username = str(user.get("username") or creator.get("creator_username") or "")
        settings: dict[str, Any] = {"username": username, "open_id": user["open_id"]}
        for key in ("privacy_level_options", "max_video_post_duration_sec", "comment_disabled",
                    "duet_disabled", "stitch_disabled"):
            if key in creator:
                settings[key] = creator[key]
        return AccountInfo(
            remote_id=str(user["open_id"]),
            handle=f"@{username}" if username else str(user["open_id"]),
            display_name=str(user.get("display_name") or username),
            url=f"https://www.tiktok.com/@{username}" if username else "",
            settings=settings,
        )

    # -- publishing ------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.validate(request)
        if problems:
            raise BadContent(problems[0].message, problems=problems)
        creator = self.creator_info()
        level = self._privacy_level(request)
        allowed = creator.get("privacy_level_options") or []
        if allowed and level not in allowed:
            raise BadContent(
                f"TikTok: this account can post as {', '.join(allowed)}, not {level}."
            )
        opts = request.options
        # The creator's own settings win: a disabled interaction cannot be switched on.
        disable_comment = bool(opts.get("disable_comment")) or bool(creator.get("comment_disabled"))
        video = next((m for m in request.media if m.mime_type.startswith("video/")), None)
        if video is not None:
            post_info: dict[str, Any] = {
                "title": request.text,
                "privacy_level": level,
                "disable_comment": disable_comment,
                "disable_duet": bool(opts.get("disable_duet"))
                or bool(creator.get("duet_disabled")),
                "disable_stitch": bool(opts.get("disable_stitch"))
                or bool(creator.get("stitch_disabled")),
            }
            if "video_cover_timestamp_ms" in opts:
                post_info["video_cover_timestamp_ms"] = int(opts["video_cover_timestamp_ms"])
            publish_id, kind = self._init_video(video, post_info, opts.get("video_url")), "video"
        else:
            publish_id, kind = self._init_photos(request, level, disable_comment), "photo"
        return self._await_publish(publish_id, kind)

    def _recent_videos(self) -> list[dict[str, Any]]:
        data = self._api("/v2/video/list/", params={"fields": VIDEO_FIELDS},
                         json={"max_count": 20}, safe=True)
        return list(data.get("videos") or [])

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """A recent video or photo post whose caption is the request's text, else None."""
        since = (request.scheduled_at - LOOKUP_MARGIN) if request.scheduled_at else None
        wanted = " ".join(request.text.split())
        for video in self._recent_videos():
            created = video.get("create_time")
            if since and isinstance(created, int | float) and created < since.timestamp():
                continue
            texts = {" ".join(str(video.get(k) or "").split()) for k in ("title",
                                                                          "video_description")}
            if wanted in texts:
                return PublishResult(
                    remote_id=str(video["id"]),
                    url=str(video.get("share_url") or ""),
                    published_at=datetime.fromtimestamp(created, UTC)
                    if isinstance(created, int | float) else None,
                    raw={"post_id": str(video["id"])},
                )
        return None

    def delete(self, remote_id: str) -> None:
        raise BadContent(
            "TikTok's API cannot delete posts; delete it in the TikTok app."
        )

    # -- metrics ---------------------------------------------------------------------------

    def _read(self, fn: Any, what: str, permission: str, remote_id: str = "") -> Any:
        return readings.read(fn, network="TikTok", permission=permission, what=what,
                             remote_id=remote_id, denied=_scope_refused)

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        """POST /v2/video/query/ with the video's id: like_count, comment_count, share_count,
        view_count (video.list). A video TikTok no longer lists (deleted, or made private)
        is gone. TikTok gives no saves, impressions, reach or clicks to this API."""
        data = self._read(lambda: self._api(
            "/v2/video/query/", params={"fields": METRIC_FIELDS},
            json={"filters": {"video_ids": [remote_id]}}, safe=True),
            "the video's counts", "video.list", remote_id)
        if isinstance(data, PostGone):
            return data
        videos = [v for v in data.get("videos") or [] if str(v.get("id")) == str(remote_id)]
        if not videos:
            return PostGone(remote_id, "TikTok no longer lists this video (deleted or made "
                                       "private).")
        video = videos[0]
        count = readings.count
        return PostMetrics(
            likes=count(video.get("like_count")), comments=count(video.get("comment_count")),
            shares=count(video.get("share_count")), video_views=count(video.get("view_count")),
            raw=dict(video))

    def fetch_channel_metrics(self) -> ChannelMetrics:
        """GET /v2/user/info/ with follower_count, following_count, video_count
        (user.info.stats)."""
        data = self._read(lambda: self._api(
            "/v2/user/info/", params={"fields": "open_id,follower_count,following_count,"
                                                "video_count,likes_count"},
            method="GET"), "the account's counts", "user.info.stats")
        user = data.get("user") or {}
        return ChannelMetrics(followers=readings.count(user.get("follower_count")),
                              following=readings.count(user.get("following_count")),
                              posts=readings.count(user.get("video_count")), raw=dict(user))

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        """POST /v2/video/list/ (newest first, 20 a page, `cursor` and `has_more`)."""
        found: list[RecentPost] = []
        body: dict[str, Any] = {"max_count": 20}
        for _ in range(RECENT_PAGES):
            data = self._read(lambda b=dict(body): self._api(
                "/v2/video/list/", params={"fields": VIDEO_FIELDS}, json=b, safe=True),
                "the account's videos", "video.list")
            older = False
            for video in data.get("videos") or []:
                created = readings.since_epoch(video.get("create_time"))
                if created is None:
                    continue
                if created < since:
                    older = True
                    continue
                found.append(RecentPost(
                    str(video["id"]), str(video.get("share_url") or ""), created,
                    str(video.get("video_description") or video.get("title") or "")))
            if older or not data.get("has_more") or data.get("cursor") is None:
                break
            body["cursor"] = data["cursor"]
        return readings.newest_first(found)
