"""TikTok through the Content Posting API v2 (direct post), through the HTTP seam.

Credentials: {"access_token", "refresh_token", "expires_at", "open_id"}. Settings (non-secret,
from verify() and the channel): {"username", "privacy_level", "audited", "media_url_prefix",
"privacy_level_options", "max_video_post_duration_sec", "comment_disabled", "duet_disabled",
"stitch_disabled"}.

Flow (https://developers.tiktok.com/doc/content-posting-api-reference-direct-post):
  1. POST /v2/post/publish/creator_info/query/ — the privacy levels this creator may use now,
     and whether comments/duets/stitches are off; TikTok requires asking before every post.
  2. Video: POST /v2/post/publish/video/init/ with post_info + source_info (FILE_UPLOAD, then
     the file PUT to upload_url in chunks with Content-Range; or PULL_FROM_URL).
     Photos: POST /v2/post/publish/content/init/ (media_type PHOTO, PULL_FROM_URL only — TikTok
     fetches the images itself, from a domain verified in the developer portal).
  3. POST /v2/post/publish/status/fetch/ until PUBLISH_COMPLETE or FAILED, for a bounded time.

Unaudited apps: TikTok makes every post private (SELF_ONLY) until the app passes its audit, so
validation refuses any other privacy level unless the channel says `audited`.

TikTok has no idempotency key and no delete endpoint; lookup() reads the creator's recent videos
(video.list), which only lists posts TikTok has made visible.
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx

from keryx.networks import base
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    BadContent,
    Capabilities,
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
    RateLimited,
    TokenSet,
    Transient,
)
from keryx.networks.http import HttpSeam, error_message, parse_retry_after, raise_for_status
from keryx.networks.text import utf16_length

VIDEO_TITLE_MAX = 2200  # UTF-16 code units ("runes"; the stricter reading of TikTok's unit)
PHOTO_TITLE_MAX = 90
PHOTO_DESCRIPTION_MAX = 4000
PHOTO_MAX = 35
PHOTO_MAX_BYTES = 20 * 1024 * 1024
# TikTok's transfer guide is quoted at 4 GB; third-party guides say 1 GB (and 10 GB). Sources
# conflict, so we take the stricter 1 GB.
VIDEO_MAX_BYTES = 1024 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/webp"})  # PNG is refused by photo posts
VIDEO_TYPES = frozenset({"video/mp4", "video/webm", "video/quicktime"})
PRIVACY_LEVELS = (
    "PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"
)

# Chunk rules (media transfer guide): each chunk 5–64 MB, the last may hold the trailing bytes
# (up to 128 MB); a file under 5 MB goes whole; 1–1000 chunks, sent in order;
# total_chunk_count = floor(video_size / chunk_size).
CHUNK_MIN = 5 * 1024 * 1024
CHUNK_MAX = 64 * 1024 * 1024
CHUNK_PREFERRED = 10 * 1024 * 1024
CHUNKS_MAX = 1000

LOOKUP_MARGIN = timedelta(minutes=5)
VIDEO_FIELDS = "id,title,video_description,create_time,share_url"
METRIC_FIELDS = "id,like_count,comment_count,share_count,view_count"

# error.code -> taxonomy (https://developers.tiktok.com/doc/tiktok-api-v2-error-handling and
# the per-endpoint error tables of the Content Posting API).
AUTH_CODES = {"access_token_invalid", "scope_not_authorized", "scope_permission_missed"}
RATE_CODES = {
    "rate_limit_exceeded", "spam_risk_too_many_posts", "spam_risk_too_many_pending_share",
    "reached_active_user_cap",
}
GONE_CODES = {"spam_risk_user_banned_from_posting", "user_has_no_permission"}
CONTENT_CODES = {
    "invalid_params", "privacy_level_option_mismatch", "url_ownership_unverified",
    "unaudited_client_can_only_post_to_private_accounts", "file_format_check_failed",
    "duration_check_failed", "frame_rate_check_failed", "picture_size_check_failed",
    "video_pull_failed", "photo_pull_failed", "invalid_file_upload", "spam_risk_text",
}
# A daily cap without a published figure: wait an hour before trying again.
DAILY_CAP_WAIT = 3600.0


def plan_chunks(size: int) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) for a file of `size` bytes, within TikTok's rules."""
    if size < CHUNK_MIN:
        return size, 1
    chunk = max(CHUNK_PREFERRED, math.ceil(size / CHUNKS_MAX))
    chunk = min(chunk, CHUNK_MAX)
    if size <= chunk:
        return size, 1
    return chunk, size // chunk


def chunk_ranges(size: int, chunk: int, count: int) -> list[tuple[int, int]]:
    """[(first_byte, last_byte)] per chunk; the last one takes the trailing bytes."""
    ranges = [(i * chunk, (i + 1) * chunk - 1) for i in range(count)]
    ranges[-1] = (ranges[-1][0], size - 1)
    return ranges


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in {"1", "true", "yes", "on"}


class TikTokProvider:
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
        scopes=("user.info.basic", "video.publish", "video.upload", "video.list"),
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
    )

    # Status polling: bounded so a post that never finishes processing ends as OutcomeUnknown.
    poll_interval: float = 2.0
    poll_timeout: float = 300.0

    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.credentials = context.credentials
        self.settings = context.settings
        self.http = HttpSeam(timeout=context.timeout, allow_private=context.allow_private)
        self.api_base = (context.api_base or self.default_api_base).rstrip("/")
        self.oauth_base = (context.oauth_base or self.default_oauth_base).rstrip("/")

    # -- plumbing --------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        token = self.credentials.get("access_token")
        if not token:
            raise AuthExpired("No access token stored for this TikTok channel.")
        return {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json; charset=UTF-8",
        }

    @staticmethod
    def _raise_api_error(response: httpx.Response, body: Any, *, safe: bool) -> None:
        """Map TikTok's {"error": {"code", "message", "log_id"}} envelope to the taxonomy."""
        error = body.get("error") if isinstance(body, dict) else None
        code = str(error.get("code") or "") if isinstance(error, dict) else ""
        if code == "ok" and response.status_code < 400:
            return
        if not code:
            raise_for_status(response, sent_unsafe=not safe)
            return
        message = str(error.get("message") or "") or code
        text = f"TikTok: {message} ({code})" if message != code else f"TikTok: {code}"
        status = response.status_code
        if code in AUTH_CODES:
            raise AuthExpired(text, status=status, raw=body)
        if code in RATE_CODES:
            wait = parse_retry_after(response.headers)
            if wait is None:
                wait = 60.0 if code == "rate_limit_exceeded" else DAILY_CAP_WAIT
            raise RateLimited(text, retry_after=wait, status=status, raw=body)
        if code in GONE_CODES:
            raise Disconnected(text, status=status, raw=body)
        if code in CONTENT_CODES or 400 <= status < 500:
            raise BadContent(text, status=status, raw=body)
        if status in (502, 503, 504) or safe:
            raise Transient(text, status=status, raw=body)
        raise OutcomeUnknown(text, status=status, raw=body)

    def _api(self, path: str, *, json: Any = None, params: dict[str, str] | None = None,
             method: str = "POST", safe: bool | None = None) -> dict[str, Any]:
        if safe is None:
            safe = method == "GET"
        response = self.http.request(
            method, self.api_base + path, headers=self._headers(), json=json, params=params,
            safe_to_repeat=safe, check_status=False,
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise_for_status(response, sent_unsafe=not safe)
            raise Transient(
                f"TikTok answered {response.status_code} with something not JSON."
            ) from exc
        self._raise_api_error(response, body, safe=safe)
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}

    # -- validation (pure) -----------------------------------------------------------------

    def _privacy_level(self, request: PublishRequest) -> str:
        # TikTok forbids preselecting a public level for the user; the private level is valid
        # for every app (unaudited ones may use nothing else), so it is the default.
        value = request.options.get("privacy_level") or self.settings.get("privacy_level")
        return str(value or "SELF_ONLY").upper()

    def _media_urls(self, request: PublishRequest) -> list[str] | None:
        urls = request.options.get("media_urls")
        if isinstance(urls, list | tuple) and len(urls) == len(request.media):
            return [str(u) for u in urls]
        prefix = self.settings.get("media_url_prefix")
        if prefix:
            return [f"{str(prefix).rstrip('/')}/{Path(m.path).name}" for m in request.media]
        # Keryx's own signed links (KERYX_BASE_URL must be a domain verified with TikTok).
        if request.media and all(m.url for m in request.media):
            return [m.url for m in request.media]
        return None

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        media = request.media
        videos = [m for m in media if m.mime_type.startswith("video/")]
        images = [m for m in media if not m.mime_type.startswith("video/")]
        if not media:
            problems.append(Problem(
                "media_required", "A TikTok post needs one video or up to 35 photos.",
                field="media",
            ))
        if videos and images:
            problems.append(Problem(
                "mixed_media", "TikTok posts hold one video or photos, not both.", field="media",
            ))
        if len(videos) > 1:
            problems.append(Problem(
                "too_many_media", "A TikTok video post holds exactly one video.", field="media",
                params={"count": len(videos), "limit": 1},
            ))
        if len(images) > PHOTO_MAX:
            problems.append(Problem(
                "too_many_media",
                f"{len(images)} photos; a TikTok photo post holds at most {PHOTO_MAX}.",
                field="media", params={"count": len(images), "limit": PHOTO_MAX},
            ))
        for index, item in enumerate(media):
            problems.extend(self._media_problems(index, item))
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

    def _media_problems(self, index: int, item: MediaItem) -> list[Problem]:
        name = Path(item.path).name or f"#{index + 1}"
        is_video = item.mime_type.startswith("video/")
        types = VIDEO_TYPES if is_video else IMAGE_TYPES
        limit = VIDEO_MAX_BYTES if is_video else PHOTO_MAX_BYTES
        if item.mime_type not in types:
            png = item.mime_type == "image/png"
            hint = " (PNG is not accepted; use JPEG or WebP)" if png else ""
            return [Problem(
                "media_type", f"{name}: TikTok does not accept {item.mime_type} files{hint}.",
                field="media", params={"index": index, "mime_type": item.mime_type},
            )]
        if item.size > limit:
            return [Problem(
                "media_too_large",
                f"{name} is {item.size / 1048576:.1f} MB; TikTok accepts up to "
                f"{limit / 1048576:.0f} MB.", field="media",
                params={"index": index, "size": item.size, "limit": limit},
            )]
        return []

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

    def creator_info(self) -> dict[str, Any]:
        return self._api("/v2/post/publish/creator_info/query/", json={}, safe=True)

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

    @classmethod
    def new_idempotency_key(cls) -> str:
        return uuid.uuid4().hex

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

    def _init_video(self, video: MediaItem, post_info: dict[str, Any], url: Any) -> str:
        if url:
            source = {"source": "PULL_FROM_URL", "video_url": str(url)}
            data = self._api("/v2/post/publish/video/init/",
                             json={"post_info": post_info, "source_info": source})
            return str(data["publish_id"])
        chunk, count = plan_chunks(video.size)
        source = {"source": "FILE_UPLOAD", "video_size": video.size, "chunk_size": chunk,
                  "total_chunk_count": count}
        data = self._api("/v2/post/publish/video/init/",
                         json={"post_info": post_info, "source_info": source})
        publish_id, upload_url = str(data["publish_id"]), str(data.get("upload_url") or "")
        if not upload_url:
            raise Transient("TikTok did not return an upload URL.")
        with Path(video.path).open("rb") as handle:
            for first, last in chunk_ranges(video.size, chunk, count):
                handle.seek(first)
                body = handle.read(last - first + 1)
                # One chunk of a known byte range: sending it again overwrites the same range.
                self.http.request(
                    "PUT", upload_url, content=body, safe_to_repeat=True,
                    headers={
                        "Content-Type": video.mime_type,
                        "Content-Range": f"bytes {first}-{last}/{video.size}",
                    },
                )
        return publish_id

    def _init_photos(self, request: PublishRequest, level: str, disable_comment: bool) -> str:
        urls = self._media_urls(request) or []
        body = {
            "media_type": "PHOTO",
            "post_mode": "DIRECT_POST",
            "post_info": {
                "title": str(request.options.get("title") or ""),
                "description": request.text,
                "privacy_level": level,
                "disable_comment": disable_comment,
                "auto_add_music": bool(request.options.get("auto_add_music", True)),
            },
            "source_info": {
                "source": "PULL_FROM_URL",
                "photo_cover_index": int(request.options.get("photo_cover_index", 0)),
                "photo_images": urls,
            },
        }
        return str(self._api("/v2/post/publish/content/init/", json=body)["publish_id"])

    def fetch_status(self, publish_id: str) -> dict[str, Any]:
        return self._api("/v2/post/publish/status/fetch/", json={"publish_id": publish_id},
                         safe=True)

    def _await_publish(self, publish_id: str, kind: str) -> PublishResult:
        deadline = time.monotonic() + self.poll_timeout
        delay = self.poll_interval
        while True:
            data = self.fetch_status(publish_id)
            status = data.get("status")
            if status == "PUBLISH_COMPLETE":
                return self._result(publish_id, kind, data)
            if status == "FAILED":
                self._raise_failed(str(data.get("fail_reason") or "unknown"), data)
            if time.monotonic() + delay > deadline:
                raise OutcomeUnknown(
                    f"TikTok is still processing the post (status {status}, publish_id "
                    f"{publish_id}); it may yet appear on the account.",
                    raw={"publish_id": publish_id, **data},
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 15.0)

    @staticmethod
    def _raise_failed(reason: str, data: dict[str, Any]) -> None:
        text = f"TikTok could not publish the post: {reason}"
        if reason in RATE_CODES:
            raise RateLimited(text, retry_after=DAILY_CAP_WAIT, raw=data)
        if reason in AUTH_CODES or reason == "auth_removed":
            raise AuthExpired(text, raw=data)
        if reason in {"internal", "internal_error", "publish_cancelled"}:
            # Nothing was published: TikTok says it failed, so another attempt is safe.
            raise Transient(text, raw=data)
        raise BadContent(text, raw=data)

    def _result(self, publish_id: str, kind: str, data: dict[str, Any]) -> PublishResult:
        ids = data.get("publicaly_available_post_id") or data.get("publicly_available_post_id")
        username = self.settings.get("username") or ""
        profile = f"https://www.tiktok.com/@{username}" if username else "https://www.tiktok.com/"
        if ids:
            post_id = str(ids[0])
            return PublishResult(remote_id=post_id, url=f"{profile}/{kind}/{post_id}",
                                 published_at=datetime.now(UTC),
                                 raw={"publish_id": publish_id, "post_id": post_id})
        # Private (SELF_ONLY) posts get no public id; the publish id is all TikTok gives.
        return PublishResult(remote_id=publish_id, url=profile, published_at=datetime.now(UTC),
                             raw={"publish_id": publish_id})

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

    def fetch_metrics(self, remote_id: str) -> Metrics:
        data = self._api("/v2/video/query/", params={"fields": METRIC_FIELDS},
                         json={"filters": {"video_ids": [remote_id]}}, safe=True)
        videos = data.get("videos") or []
        if not videos:
            raise Disconnected(f"TikTok has no visible video {remote_id}.")
        video = videos[0]
        return Metrics(
            likes=video.get("like_count"), comments=video.get("comment_count"),
            shares=video.get("share_count"), views=video.get("view_count"), raw=video,
        )

    # -- OAuth -----------------------------------------------------------------------------

    def _token(self, form: dict[str, str]) -> TokenSet:
        form = {"client_key": self.context.client_id,
                "client_secret": self.context.client_secret, **form}
        response = self.http.request(
            "POST", self.api_base + self.oauth.token_path, data=form, safe_to_repeat=True,
            headers={"Content-Type": "application/x-www-form-urlencoded"}, check_status=False,
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or not body.get("access_token"):
            message = f"TikTok: {error_message(response)}"
            if response.status_code == 429:
                raise RateLimited(message, retry_after=parse_retry_after(response.headers) or 60.0)
            if response.status_code >= 500:
                raise Transient(message, status=response.status_code)
            if body.get("error") in {"invalid_grant", "invalid_client", "access_denied"} or (
                form.get("grant_type") == "refresh_token"
            ):
                raise AuthExpired(message, status=response.status_code, raw=body)
            raise BadContent(message, status=response.status_code, raw=body)
        expires_in = body.get("expires_in")
        raw = {k: body[k] for k in ("open_id", "refresh_expires_in", "token_type") if k in body}
        return TokenSet(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or form.get("refresh_token") or ""),
            expires_at=datetime.now(UTC) + timedelta(seconds=int(expires_in))
            if expires_in else None,
            scope=str(body.get("scope") or ""),
            raw=raw,
        )

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str = "") -> TokenSet:
        form = {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return self._token(form)

    def refresh(self) -> TokenSet:
        refresh_token = self.credentials.get("refresh_token")
        if not refresh_token:
            raise AuthExpired("No refresh token stored for this TikTok channel; reconnect it.")
        tokens = self._token({"grant_type": "refresh_token", "refresh_token": str(refresh_token)})
        self.credentials.update(tokens.as_credentials())
        return tokens


__all__ = ["TikTokProvider", "plan_chunks", "chunk_ranges", "ProviderError"]
