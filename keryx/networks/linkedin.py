"""LinkedIn members and organisation pages over the versioned REST API (Posts, Images, Videos,
Documents, Social Actions), default base https://api.linkedin.com.

Credentials: {"access_token", "refresh_token" (only apps approved for programmatic refresh
tokens get one), "expires_at"}. Settings: {"organization_id" (optional: post as that page),
"person_id", "author" (the URN posts are made as, learned by verify()), "linkedin_version"
(optional override of the YYYYMM API version)}.

`commentary` is LinkedIn's "little" text format: the reserved characters must be
backslash-escaped to stay plain text, else LinkedIn silently cuts the post at the first one.
escape_commentary() does that, keeping URLs, #hashtags and explicit mentions working.

No idempotency key: an unknown outcome is reconciled by reading the author's recent posts
(organisations; members' posts can only be read with a restricted permission).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
import regex

from keryx.networks import base, oauth2
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    BadContent,
    CannotReconcile,
    Capabilities,
    Comment,
    ConnectField,
    Disconnected,
    MediaItem,
    MediaRules,
    Metrics,
    OAuth2Spec,
    Problem,
    ProviderContext,
    ProviderError,
    PublishRequest,
    PublishResult,
    RateLimited,
    TokenSet,
    Transient,
)
from keryx.networks.followup import add_first_comment, first_comment_text
from keryx.networks.http import HttpSeam, error_message, parse_retry_after, raise_for_status
from keryx.networks.text import find_hashtags, find_urls, utf16_length
from keryx.networks.videoprobe import probe

# Monthly versions are supported for about a year; a channel may override it in its settings.
LINKEDIN_VERSION = "202605"
# 3,000 is the figure third parties quote; LinkedIn's error (COMMENTARY_LENGTH_TOO_LONG) states
# none and the counting is undocumented: we count UTF-16 code units, the strictest reading.
TEXT_LIMIT = 3000
RESERVED = frozenset("\\|{}@[]()<>#*_~")
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
MAX_IMAGES = 20
MAX_IMAGE_PIXELS = 36_152_320  # "fewer than 36,152,320 pixels" (Images API)
# LinkedIn documents no image byte limit; 5 MB is the figure third parties give.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
VIDEO_TYPES = frozenset({"video/mp4"})
MIN_VIDEO_BYTES, MAX_VIDEO_BYTES = 75 * 1024, 500 * 1024 * 1024
MIN_VIDEO_SECONDS, MAX_VIDEO_SECONDS = 3, 30 * 60
DOCUMENT_TYPES = frozenset({
    "application/pdf",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
})
MAX_DOCUMENT_BYTES = 100 * 1024 * 1024  # third-party figure (300 pages is not checked here)
VIDEO_PROCESSING_TIMEOUT = 300.0
LOOKUP_MARGIN = timedelta(minutes=5)
LOOKUP_COUNT = 50
UPLOAD_ATTEMPTS = 3
# Waits between upload retries and processing polls (tests replace it).
_sleep = time.sleep

# An explicit mention element, @[Name](urn:li:person:ID), is kept as it is.
_MENTION_ELEMENT = regex.compile(r"@\[[^\]\n]*\]\(urn:li:(?:person|organization):[^)\s]+\)")
_ESCAPED = regex.compile(r"\\([\\|{}@\[\]()<>#*_~])")


def escape_commentary(text: str) -> str:
    """Plain text as LinkedIn `little` commentary: a backslash before each reserved character
    ( \\ | { } @ [ ] ( ) < > # * _ ~ ), except inside URLs (so they still link), in #hashtags
    (so they stay hashtags) and in explicit @[Name](urn:li:...) mention elements."""
    keep: list[tuple[int, int]] = [(s.start, s.end) for s in find_urls(text)]
    keep += [(m.start(), m.end()) for m in _MENTION_ELEMENT.finditer(text)]
    keep += [(s.start, s.end) for s in find_hashtags(text)]
    keep.sort()
    out: list[str] = []
    cursor = 0
    for start, end in keep:
        if start < cursor:
            continue  # overlapping spans: the earlier one already kept it
        out.append(_escape_plain(text[cursor:start]))
        out.append(text[start:end])
        cursor = end
    out.append(_escape_plain(text[cursor:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    return "".join("\\" + ch if ch in RESERVED else ch for ch in text)


def unescape_commentary(text: str) -> str:
    return _ESCAPED.sub(r"\1", text or "")


def seconds_to_utc_midnight(now: datetime | None = None) -> float:
    """LinkedIn's daily application and member limits reset at midnight UTC."""
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


def check(response: httpx.Response, *, sent_unsafe: bool) -> None:
    """LinkedIn's error answers ({"status", "serviceErrorCode", "code", "message"}) mapped to
    the taxonomy with LinkedIn's own message."""
    status = response.status_code
    if status < 400:
        return
    message = error_message(response)
    if status == 429:
        wait = parse_retry_after(response.headers)
        raise RateLimited(message, retry_after=seconds_to_utc_midnight() if wait is None
                          else wait, status=status)
    if status == 401:
        raise AuthExpired(message, status=status)
    if status == 403:
        # Missing scope (w_organization_social, ...) or the member lacks the page role: the
        # fix is to reconnect with the permission or the role granted.
        raise AuthExpired(f"LinkedIn refused the request ({message}); reconnect the channel "
                          "with the needed permission and page role.", status=status)
    if status == 422:
        raise BadContent(message, status=status)
    raise_for_status(response, sent_unsafe=sent_unsafe)


def _millis(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, UTC) if isinstance(value, (int, float)) else None


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


class LinkedInProvider:
    network: ClassVar[str] = "linkedin"
    display_name: ClassVar[str] = "LinkedIn"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=TEXT_LIMIT,
        counting="utf16",
        media=MediaRules(
            max_items=MAX_IMAGES,
            image_types=IMAGE_TYPES,
            max_image_bytes=MAX_IMAGE_BYTES,
            video_types=VIDEO_TYPES,
            max_video_bytes=MAX_VIDEO_BYTES,
            alt_text=True,
            alt_text_max=None,
            mix_images_and_video=False,
            # Fewer than 36,152,320 pixels; GIF up to 250 frames.
            geometry=base.ImageGeometry(max_pixels=MAX_IMAGE_PIXELS - 1, animated=True),
            video=base.VideoRules(min_seconds=3, max_seconds=1800),
        ),
        first_comment=True,
        metrics=True,
        comments=True,
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("utf16", utf16_length, TEXT_LIMIT),),
        preview=base.PreviewRules(fold_at=210),
        extras=base.RequestExtras(link_option="link"),
        # A mention annotation in LinkedIn's little format, with the member's or page's URN.
        mentions=base.MentionRules(
            format="@[{name}]({handle})",
            pattern=r"^urn:li:(?:person|organization):[A-Za-z0-9_-]+$",
            hint=base.gettext_noop("A LinkedIn mention needs the member's or page's URN, like "
                                   "urn:li:person:abc123."),
            strip_at=False, name_replacements=(("[", "("), ("]", ")"))),
        hashtags_recommended=5,
    )
    default_api_base: ClassVar[str] = "https://api.linkedin.com"
    default_oauth_base: ClassVar[str] = "https://www.linkedin.com/oauth/v2"
    oauth: ClassVar[OAuth2Spec] = OAuth2Spec(
        authorize_path="/authorization",
        token_path="/accessToken",
        scopes=("openid", "profile", "w_member_social", "w_organization_social",
                "r_organization_social"),
        # LinkedIn offers PKCE to native (public) clients only; a web app uses its secret.
        pkce=False,
        client_auth="body",
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField("organization_id", "Organization ID", required=False, store="settings",
                     help="Post as this LinkedIn page (the number in "
                          "linkedin.com/company/<id>/admin); leave out to post as yourself."),
    )
    # Third parties quote ~150 shares per member per day; LinkedIn publishes no figure.
    daily_post_cap: ClassVar[int | None] = 150

    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.credentials = context.credentials
        self.settings = context.settings
        self.api = (context.api_base or self.default_api_base).rstrip("/")
        self.oauth_base = (context.oauth_base or self.default_oauth_base).rstrip("/")
        self.http = HttpSeam(timeout=context.timeout, allow_private=context.allow_private)

    # -- plumbing --------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        token = self.credentials.get("access_token")
        if not token:
            raise AuthExpired("No access token stored for this LinkedIn channel.")
        return {
            "Authorization": f"Bearer {token}",
            "LinkedIn-Version": str(self.settings.get("linkedin_version") or LINKEDIN_VERSION),
            "X-Restli-Protocol-Version": "2.0.0",
            "Accept": "application/json",
        }

    def _call(self, method: str, url: str, *, safe_to_repeat: bool | None = None,
              **kwargs: Any) -> httpx.Response:
        if not url.startswith(("https://", "http://")):
            url = self.api + url
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        if safe_to_repeat is None:
            safe_to_repeat = method.upper() == "GET"
        response = self.http.request(method, url, headers=headers, check_status=False,
                                     safe_to_repeat=safe_to_repeat, **kwargs)
        check(response, sent_unsafe=not safe_to_repeat)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise Transient(f"LinkedIn answered {response.status_code} without JSON.") from exc

    @property
    def author(self) -> str:
        org = self.settings.get("organization_id")
        if org:
            return f"urn:li:organization:{org}"
        if self.settings.get("author"):
            return str(self.settings["author"])
        if self.settings.get("person_id"):
            return f"urn:li:person:{self.settings['person_id']}"
        raise Disconnected("This LinkedIn channel does not know its member; connect it again.")

    # -- validation (pure) -----------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        length = utf16_length(request.text)
        if length > TEXT_LIMIT:
            problems.append(Problem(
                "too_long", f"The text is {length} characters long; LinkedIn allows {TEXT_LIMIT}.",
                params={"length": length, "limit": TEXT_LIMIT}))
        media = request.media
        if not request.text.strip() and not media:
            problems.append(Problem("empty", "A LinkedIn post needs text or media."))
        kinds = {self._kind(item) for item in media}
        if len(kinds) > 1:
            problems.append(Problem(
                "mixed_media", "LinkedIn takes images, or one video, or one document, not a mix.",
                field="media"))
        elif kinds == {"image"} and len(media) > MAX_IMAGES:
            problems.append(Problem(
                "too_many_media", f"{len(media)} images; LinkedIn allows at most {MAX_IMAGES}.",
                field="media", params={"count": len(media), "limit": MAX_IMAGES}))
        elif kinds & {"video", "document"} and len(media) > 1:
            problems.append(Problem(
                "too_many_media", "LinkedIn takes one video or one document per post.",
                field="media", params={"count": len(media), "limit": 1}))
        for index, item in enumerate(media):
            problems.extend(self._media_problems(index, item))
        return problems

    @staticmethod
    def _kind(item: MediaItem) -> str:
        if item.mime_type in DOCUMENT_TYPES:
            return "document"
        return "video" if item.mime_type.startswith("video/") else "image"

    def _media_problems(self, index: int, item: MediaItem) -> list[Problem]:
        name = Path(item.path).name or f"#{index + 1}"
        kind = self._kind(item)
        params: dict[str, Any] = {"index": index}
        if kind == "document":
            if item.size > MAX_DOCUMENT_BYTES:
                return [Problem("media_too_large", f"{name} is over 100 MB, LinkedIn's limit "
                                "for documents.", field="media", params=params)]
            return []
        if kind == "image":
            if item.mime_type not in IMAGE_TYPES:
                return [Problem("media_type", f"{name}: LinkedIn takes JPG, PNG or GIF images, "
                                f"not {item.mime_type or 'this kind of file'}.", field="media",
                                params={**params, "mime_type": item.mime_type})]
            if item.width and item.height and item.width * item.height >= MAX_IMAGE_PIXELS:
                return [Problem("image_too_large", f"{name} has {item.width}×{item.height} "
                                "pixels; LinkedIn takes fewer than 36,152,320.",
                                field="media", params=params)]
            if item.size > MAX_IMAGE_BYTES:
                return [Problem("media_too_large", f"{name} is {item.size / 1048576:.1f} MB; "
                                "LinkedIn images should be at most 5 MB.", field="media",
                                params={**params, "size": item.size,
                                        "limit": MAX_IMAGE_BYTES})]
            return []
        if item.mime_type not in VIDEO_TYPES:
            return [Problem("media_type", f"{name}: LinkedIn takes MP4 videos only.",
                            field="media", params={**params, "mime_type": item.mime_type})]
        if not MIN_VIDEO_BYTES <= item.size <= MAX_VIDEO_BYTES:
            return [Problem("media_size", f"{name} is {item.size / 1048576:.1f} MB; LinkedIn "
                            "takes videos from 75 KB to 500 MB.", field="media",
                            params={**params, "size": item.size})]
        info = probe(item.path)
        if info.probed and not info.has_video:
            return [Problem("media_unreadable", f"{name} is not a video LinkedIn can read.",
                            field="media", params=params)]
        if info.container and info.container != "mp4":
            return [Problem("media_type", f"{name} is not an MP4 file.", field="media",
                            params=params)]
        if info.duration is not None and not (
                MIN_VIDEO_SECONDS <= info.duration <= MAX_VIDEO_SECONDS):
            return [Problem("video_duration", f"{name} lasts {info.duration:.0f} seconds; "
                            "LinkedIn takes videos from 3 seconds to 30 minutes.",
                            field="media", params={**params, "duration": info.duration})]
        return []

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        me = self._json(self._call("GET", "/v2/userinfo"))
        person_id = str(me.get("sub") or "")
        if not person_id:
            raise Transient("LinkedIn's answer does not look like a member.")
        settings: dict[str, Any] = {"person_id": person_id}
        org = self.settings.get("organization_id")
        if org:
            page = self._json(self._call("GET", f"/rest/organizations/{org}"))
            settings.update({"organization_id": str(org), "author": f"urn:li:organization:{org}"})
            vanity = page.get("vanityName") or ""
            return AccountInfo(
                remote_id=f"urn:li:organization:{org}",
                handle=vanity or str(org),
                display_name=page.get("localizedName") or vanity or str(org),
                url=f"https://www.linkedin.com/company/{vanity or org}/",
                settings=settings,
            )
        settings["author"] = f"urn:li:person:{person_id}"
        name = me.get("name") or " ".join(
            p for p in (me.get("given_name"), me.get("family_name")) if p)
        return AccountInfo(remote_id=f"urn:li:person:{person_id}", handle=name or person_id,
                           display_name=name or person_id, settings=settings)

    # -- publishing ------------------------------------------------------------------------

    @classmethod
    def new_idempotency_key(cls) -> str:
        return uuid.uuid4().hex

    def publish(self, request: PublishRequest) -> PublishResult:
        author = self.author
        content = self._content(request, author)
        body: dict[str, Any] = {
            "author": author,
            "commentary": escape_commentary(request.text),
            "visibility": str(request.options.get("visibility") or "PUBLIC"),
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if content:
            body["content"] = content
        response = self._call("POST", "/rest/posts", json=body)
        urn = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id")
        if not urn:
            # Created (2xx) but we cannot tell which post: reconcile instead of posting again.
            raise CannotReconcile("LinkedIn created the post without saying its id; check the "
                                  "page before posting again.")
        result = PublishResult(urn, post_url(urn), datetime.now(UTC), {"id": urn})
        return self._first_comment(request, result)

    def _content(self, request: PublishRequest, author: str) -> dict[str, Any] | None:
        media = request.media
        if not media:
            return None
        kind = self._kind(media[0])
        if kind == "document":
            urn = self._upload_simple("documents", "document", media[0], author)
            title = str(request.options.get("document_title") or Path(media[0].path).stem)
            return {"media": {"title": title, "id": urn}}
        if kind == "video":
            urn = self._upload_video(media[0], author)
            entry: dict[str, Any] = {"id": urn}
            if request.options.get("title"):
                entry["title"] = str(request.options["title"])
            return {"media": entry}
        images = []
        for item in media:
            image: dict[str, Any] = {"id": self._upload_simple("images", "image", item, author)}
            if item.alt_text:
                image["altText"] = item.alt_text
            images.append(image)
        if len(images) == 1:
            return {"media": images[0]}
        return {"multiImage": {"images": images}}

    def _upload_simple(self, collection: str, key: str, item: MediaItem, author: str) -> str:
        """Images and documents: initializeUpload, then one PUT of the bytes."""
        # Initialising only reserves an asset: repeating it leaves an unused one, no post.
        response = self._call(
            "POST", f"/rest/{collection}?action=initializeUpload", safe_to_repeat=True,
            json={"initializeUploadRequest": {"owner": author}})
        value = self._json(response).get("value") or {}
        upload_url, urn = value.get("uploadUrl"), value.get(key)
        if not upload_url or not urn:
            raise Transient(f"LinkedIn did not hand out an upload address for {key}s.")
        self._put(upload_url, Path(item.path).read_bytes(), item.mime_type)
        return str(urn)

    def _put(self, url: str, data: bytes, content_type: str) -> httpx.Response:
        """PUT bytes to an upload URL; the same bytes to the same URL may be sent again."""
        last: ProviderError | None = None
        for attempt in range(UPLOAD_ATTEMPTS):
            try:
                return self._call("PUT", url, content=data, safe_to_repeat=True,
                                  headers={"Content-Type": content_type})
            except Transient as exc:
                last = exc
                if attempt + 1 < UPLOAD_ATTEMPTS:
                    _sleep(min(2.0**attempt * 0.5, 4.0))
        assert last is not None
        raise last

    def _upload_video(self, item: MediaItem, author: str) -> str:
        """Videos: initializeUpload (parts), PUT each part, finalizeUpload with the ETags,
        then wait until LinkedIn has processed it."""
        response = self._call(
            "POST", "/rest/videos?action=initializeUpload", safe_to_repeat=True,
            json={"initializeUploadRequest": {"owner": author, "fileSizeBytes": item.size,
                                              "uploadCaptions": False,
                                              "uploadThumbnail": False}})
        value = self._json(response).get("value") or {}
        urn = str(value.get("video") or "")
        instructions = value.get("uploadInstructions") or []
        if not urn or not instructions:
            raise Transient("LinkedIn did not hand out upload addresses for the video.")
        etags: list[str] = []
        with Path(item.path).open("rb") as handle:
            for part in instructions:
                first, last = int(part["firstByte"]), int(part["lastByte"])
                handle.seek(first)
                reply = self._put(part["uploadUrl"], handle.read(last - first + 1),
                                  "application/octet-stream")
                etag = reply.headers.get("etag")
                if not etag:
                    raise Transient("LinkedIn did not confirm a video part (no ETag).")
                etags.append(etag)
        self._call("POST", "/rest/videos?action=finalizeUpload", safe_to_repeat=True,
                   json={"finalizeUploadRequest": {"video": urn,
                                                   "uploadToken": value.get("uploadToken", ""),
                                                   "uploadedPartIds": etags}})
        self._wait_for_video(urn)
        return urn

    def _wait_for_video(self, urn: str) -> None:
        deadline = time.monotonic() + VIDEO_PROCESSING_TIMEOUT
        delay = 1.0
        while True:
            video = self._json(self._call("GET", f"/rest/videos/{quote(urn, safe='')}"))
            status = video.get("status")
            if status == "AVAILABLE":
                return
            if status == "PROCESSING_FAILED":
                reason = video.get("processingFailureReason") or "no reason given"
                raise BadContent(f"LinkedIn could not process the video: {reason}.")
            if time.monotonic() > deadline:
                raise Transient("LinkedIn is still processing the video; Keryx will try again.")
            _sleep(delay)
            delay = min(delay * 2, 10.0)

    def _first_comment(self, request: PublishRequest, result: PublishResult) -> PublishResult:
        return add_first_comment(result, first_comment_text(request), self.reply)

    # -- reconciliation --------------------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        author = self.author
        url = (f"{self.api}/rest/posts?q=author&author={quote(author, safe='')}"
               f"&count={LOOKUP_COUNT}&sortBy=CREATED")
        try:
            listing = self._json(self._call("GET", url))
        except AuthExpired as exc:
            if exc.status == 403:
                raise CannotReconcile(
                    "LinkedIn does not let this app read the member's posts, so Keryx cannot "
                    "tell whether the post went out: check the profile, then retry if it is "
                    "missing.", status=403) from exc
            raise
        since = request.scheduled_at - LOOKUP_MARGIN if request.scheduled_at else None
        wanted = " ".join(request.text.split())
        elements = listing.get("elements") or []
        for post in elements:
            created = _millis(post.get("createdAt") or post.get("publishedAt"))
            if since and created and created < since:
                continue
            if " ".join(unescape_commentary(post.get("commentary", "")).split()) == wanted:
                urn = str(post["id"])
                return PublishResult(urn, post_url(urn), created, {"id": urn})
        oldest = min((_millis(p.get("createdAt")) for p in elements if p.get("createdAt")),
                     default=None)
        if len(elements) >= LOOKUP_COUNT and (since is None or (oldest and oldest >= since)):
            raise Transient("Too many recent LinkedIn posts to be sure whether the post went "
                            "out.")
        return None

    def delete(self, remote_id: str) -> None:
        try:
            self._call("DELETE", f"/rest/posts/{quote(remote_id, safe='')}",
                       safe_to_repeat=True)
        except Disconnected as exc:
            if exc.status in (404, 410):
                return
            raise

    # -- OAuth -----------------------------------------------------------------------------

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier and self.oauth.pkce:
            data["code_verifier"] = code_verifier
        return oauth2.token_request(
            self.http, self.oauth, oauth2.endpoint(self.oauth_base, self.oauth.token_path), data,
            client_id=self.context.client_id, client_secret=self.context.client_secret)

    def refresh(self) -> TokenSet:
        refresh_token = self.credentials.get("refresh_token")
        if not refresh_token:
            raise AuthExpired(
                "LinkedIn gives refresh tokens only to apps approved for them; this "
                "connection lasts 60 days and must then be connected again.")
        return oauth2.token_request(
            self.http, self.oauth, oauth2.endpoint(self.oauth_base, self.oauth.token_path),
            {"grant_type": "refresh_token", "refresh_token": str(refresh_token)},
            client_id=self.context.client_id, client_secret=self.context.client_secret,
            keep_refresh_token=str(refresh_token))

    # -- metrics and comments --------------------------------------------------------------

    def fetch_metrics(self, remote_id: str) -> Metrics:
        actions = self._json(self._call("GET", f"/rest/socialActions/{quote(remote_id, safe='')}"))
        likes = (actions.get("likesSummary") or {})
        comments = (actions.get("commentsSummary") or {})
        raw: dict[str, Any] = {"socialActions": actions}
        stats: dict[str, Any] = {}
        org = self.settings.get("organization_id")
        if org:
            # Organisation posts also have impressions and clicks (r_organization_social).
            key = "ugcPosts" if ":ugcPost:" in remote_id else "shares"
            url = (f"{self.api}/rest/organizationalEntityShareStatistics?q=organizationalEntity"
                   f"&organizationalEntity={quote(f'urn:li:organization:{org}', safe='')}"
                   f"&{key}=List({quote(remote_id, safe='')})")
            elements = self._json(self._call("GET", url)).get("elements") or []
            stats = (elements[0].get("totalShareStatistics") or {}) if elements else {}
            raw["shareStatistics"] = stats

        def number(value: Any) -> int | None:
            return int(value) if isinstance(value, (int, float)) else None

        return Metrics(
            likes=number(likes.get("aggregatedTotalLikes", likes.get("totalLikes"))),
            comments=number(comments.get("aggregatedTotalComments")),
            shares=number(stats.get("shareCount")),
            impressions=number(stats.get("impressionCount")),
            reach=number(stats.get("uniqueImpressionsCount")),
            clicks=number(stats.get("clickCount")),
            raw=raw,
        )

    def fetch_comments(self, remote_id: str, since: datetime | None = None) -> list[Comment]:
        listing = self._json(self._call(
            "GET", f"/rest/socialActions/{quote(remote_id, safe='')}/comments",
            params={"count": "100"}))
        comments = []
        for item in listing.get("elements") or []:
            created = _millis((item.get("created") or {}).get("time"))
            if since and created and created < since:
                continue
            comments.append(Comment(
                remote_id=str(item.get("commentUrn") or item.get("id")),
                text=(item.get("message") or {}).get("text", ""),
                author_id=str(item.get("actor") or ""),
                created_at=created,
                parent_id=str(item.get("parentComment") or ""),
                raw=item))
        return comments

    def reply(self, remote_id: str, text: str) -> PublishResult:
        """A comment on a post (post URN) or a reply to a comment (comment URN), as the
        channel's author."""
        body: dict[str, Any] = {"actor": self.author, "message": {"text": text}}
        match = regex.fullmatch(r"urn:li:comment:\((urn:li:[^,]+),[^)]+\)", remote_id)
        if match:
            body["object"] = match.group(1)
            body["parentComment"] = remote_id
        else:
            body["object"] = remote_id
        response = self._call(
            "POST", f"/rest/socialActions/{quote(remote_id, safe='')}/comments", json=body)
        created = self._json(response) if response.content else {}
        comment_urn = str(created.get("commentUrn") or response.headers.get("x-restli-id")
                          or created.get("id") or "")
        return PublishResult(comment_urn, post_url(body["object"]), raw={"id": comment_urn})

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        raise BadContent("LinkedIn's API has no way to hide a comment; delete it on LinkedIn "
                         "instead.")
