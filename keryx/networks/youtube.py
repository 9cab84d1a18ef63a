"""YouTube over the Data API v3: one video per post, uploaded with the resumable protocol.

Credentials: {"access_token", "refresh_token", "expires_at"} from Google OAuth 2.0 (PKCE,
access_type=offline). Settings: {"channel_id", "uploads_playlist", learned by verify()}.

The post's text is the video's description (at most 5,000 UTF-8 bytes); the title is
options["title"] or the text's first line. options: "title", "tags" (list), "privacy"
("public" | "unlisted" | "private"), "category_id", "made_for_kids" (bool),
"native_schedule" (upload now as private with status.publishAt = scheduled_at; YouTube makes
it public then), "first_comment".

Exactly once: a resumable upload creates the video only when its last byte arrives. A chunk
that meets a 5xx or a dropped connection is followed by a status query (PUT "bytes */size")
and the upload resumes from what YouTube holds, in the same session; if YouTube already has
every byte, its answer is the finished video. If it cannot be told whether the last chunk
completed the upload, the outcome is unknown and lookup() reads the channel's uploads.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx

from keryx.networks import base, oauth2, readings
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    BadContent,
    Capabilities,
    ConnectField,
    Disconnected,
    MediaItem,
    MediaRules,
    OAuth2Spec,
    OutcomeUnknown,
    Problem,
    ProviderContext,
    PublishRequest,
    PublishResult,
    RateLimited,
    TokenSet,
    Transient,
)
from keryx.networks.common import BaseProvider
from keryx.networks.community import ChannelMetrics, Comment, PostGone, PostMetrics, RecentPost
from keryx.networks.followup import add_first_comment, first_comment_text
from keryx.networks.http import parse_retry_after, raise_for_status
from keryx.networks.text import utf8_length
from keryx.networks.times import parse_iso_time
from keryx.networks.youtube_inbox import YouTubeInbox

TITLE_LIMIT = 100  # characters
DESCRIPTION_LIMIT = 5000  # UTF-8 bytes
TAGS_LIMIT = 500  # characters, commas included, a tag with spaces counted with its quotes
MAX_VIDEO_BYTES = 256 * 1024**3
MAX_VIDEO_SECONDS = 12 * 3600
PRIVACY = ("public", "unlisted", "private")
DEFAULT_CATEGORY = "22"  # People & Blogs
VIDEO_TYPES = frozenset({
    "video/mp4", "video/quicktime", "video/webm", "video/x-msvideo", "video/mpeg",
    "video/x-matroska", "video/x-flv", "video/3gpp", "application/octet-stream",
})
# Resumable chunks must be multiples of 256 KiB (except the last).
CHUNK_UNIT = 256 * 1024
CHUNK_SIZE = 32 * CHUNK_UNIT  # 8 MiB
MAX_RESUMES = 5
LOOKUP_MARGIN = timedelta(minutes=5)
PACIFIC = ZoneInfo("America/Los_Angeles")
DAILY_QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "dailyLimitExceededUnreg",
                       "uploadLimitExceeded"}
SHORT_RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
PERMISSION_REASONS = {"insufficientPermissions", "forbidden", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}
# Waits between resume attempts (tests replace it).
_sleep = time.sleep


def seconds_to_pacific_midnight(now: datetime | None = None) -> float:
    """YouTube's daily quota resets at midnight Pacific Time."""
    now = (now or datetime.now(UTC)).astimezone(PACIFIC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    # Re-attach the zone so a DST change on that day is counted correctly.
    midnight = midnight.replace(tzinfo=None).replace(tzinfo=PACIFIC)
    return max(0.0, (midnight - now).total_seconds())


def tags_length(tags: list[str]) -> int:
    """The tags as YouTube counts them against its 500-character limit."""
    if not tags:
        return 0
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + len(tags) - 1


def check(response: httpx.Response, *, sent_unsafe: bool) -> None:
    """Google API errors ({"error": {"code", "message", "errors": [{"reason"}]}}) mapped to
    the taxonomy with YouTube's own message."""
    status = response.status_code
    if status < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        if isinstance(body, dict) and body.get("error_description"):  # OAuth endpoint shape
            error = {"message": body["error_description"], "errors": [{"reason": body["error"]}]}
        else:
            raise_for_status(response, sent_unsafe=sent_unsafe)
            return
    message = str(error.get("message") or f"HTTP {status}")
    reasons = {str(e.get("reason")) for e in error.get("errors") or [] if isinstance(e, dict)}
    if error.get("status"):
        reasons.add(str(error["status"]))
    if reasons & DAILY_QUOTA_REASONS:
        # The daily quota is the API project's: every channel of the app waits.
        raise RateLimited(message, retry_after=seconds_to_pacific_midnight(), status=status,
                          raw=error, scope="app")
    if reasons & SHORT_RATE_REASONS or status == 429:
        raise RateLimited(message, retry_after=parse_retry_after(response.headers) or 60.0,
                          status=status, raw=error)
    if "youtubeSignupRequired" in reasons or "channelNotFound" in reasons:
        # A Google account without a YouTube channel (answered as 401).
        raise Disconnected(f"This Google account has no YouTube channel: {message}",
                           status=status, raw=error)
    if status == 401 or "authError" in reasons or "invalid_grant" in reasons:
        raise AuthExpired(message, status=status, raw=error)
    if status == 403 and reasons & PERMISSION_REASONS:
        raise AuthExpired(f"Missing permission: {message}", status=status, raw=error)
    if 400 <= status < 500 and status != 404:
        raise BadContent(message, status=status, raw=error)
    raise_for_status(response, sent_unsafe=sent_unsafe)


def _count(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def video_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def default_title(text: str) -> str:
    """The first non-empty line of the text, cut at a word to fit 100 characters."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if len(line) <= TITLE_LIMIT:
        return line
    cut = line[: TITLE_LIMIT - 1].rsplit(" ", 1)[0] or line[: TITLE_LIMIT - 1]
    return cut.rstrip() + "…"


METRICS_PERMISSION = "https://www.googleapis.com/auth/youtube.force-ssl"
RECENT_PAGES = 10


class YouTubeProvider(YouTubeInbox, BaseProvider):
    network: ClassVar[str] = "youtube"
    display_name: ClassVar[str] = "YouTube"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=DESCRIPTION_LIMIT,
        counting="bytes",
        media=MediaRules(
            max_items=1,
            image_types=frozenset(),
            max_image_bytes=0,
            video_types=VIDEO_TYPES,
            max_video_bytes=MAX_VIDEO_BYTES,
            alt_text=False,
            min_items=1,
            any_video_type=True,
            probe_video=True,
            video=base.VideoRules(max_seconds=MAX_VIDEO_SECONDS),
        ),
        first_comment=True,
        native_scheduling=True,
        metrics=True,
        comments=True,
        inbox=True,
        hide_comments=True,
        delete_comments=True,
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("bytes", utf8_length, DESCRIPTION_LIMIT),),
        mentions=base.MentionRules(),
        metrics_spec=base.MetricsSpec(
            post=frozenset({"likes", "comments", "video_views"}),
            channel=frozenset({"followers", "posts"}),
            permission="https://www.googleapis.com/auth/youtube.force-ssl",
            recent_posts=True,
            # 10,000 quota units a day for the API project (reads cost 1 unit), reset at
            # midnight Pacific time.
            rate=(base.RateBudget(10000, 86400.0, scope="app",
                                  source="https://developers.google.com/youtube/v3/"
                                         "determine_quota_cost"),),
            notes="Impressions, reach and clicks are in the YouTube Analytics API (scope "
                  "yt-analytics.readonly), not read; a hidden subscriber count stays None.",
        ),
    )
    default_api_base: ClassVar[str] = "https://www.googleapis.com"
    default_oauth_base: ClassVar[str] = "https://accounts.google.com"
    # Google's token endpoint is on its own host; KERYX_YOUTUBE_OAUTH_BASE moves both (the
    # token endpoint then is <oauth base>/token).
    default_token_url: ClassVar[str] = "https://oauth2.googleapis.com/token"
    oauth: ClassVar[OAuth2Spec] = OAuth2Spec(
        authorize_path="/o/oauth2/v2/auth",
        token_path="https://oauth2.googleapis.com/token",
        scopes=("https://www.googleapis.com/auth/youtube.upload",
                "https://www.googleapis.com/auth/youtube.force-ssl"),
        pkce=True,
        client_auth="body",
        # A refresh token is only handed out for offline access, and again only on consent.
        extra_authorize_params={"access_type": "offline", "prompt": "consent",
                                "include_granted_scopes": "true"},
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = ()
    # Uploads per day. Google's current quota page gives videos.insert its own bucket of 100
    # calls a day; older pages charge 1,600 of the 10,000 daily units, about 6 uploads. The
    # sources conflict, so we warn at the stricter figure.
    daily_post_cap: ClassVar[int | None] = 6

    def __init__(self, context: ProviderContext) -> None:
        super().__init__(context)
        self.token_url = (context.oauth_base.rstrip("/") + "/token" if context.oauth_base
                          else self.default_token_url)
        self.chunk_size = CHUNK_SIZE

    # -- plumbing --------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, safe_to_repeat: bool | None = None,
              **kwargs: Any) -> httpx.Response:
        url = path if path.startswith(("https://", "http://")) else self.api + path
        headers = {**self.bearer_headers(), **kwargs.pop("headers", {})}
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
            raise Transient(f"YouTube answered {response.status_code} without JSON.") from exc

    # -- validation (pure) -----------------------------------------------------------------

    @staticmethod
    def title_for(request: PublishRequest) -> str:
        return str(request.options.get("title") or default_title(request.text))

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        title = self.title_for(request)
        if not title.strip():
            problems.append(Problem("title_missing", "A YouTube video needs a title: give one, "
                                    "or start the text with it.", field="title"))
        elif len(title) > TITLE_LIMIT:
            problems.append(Problem(
                "title_too_long", f"The title is {len(title)} characters; YouTube allows "
                f"{TITLE_LIMIT}.", field="title",
                params={"length": len(title), "limit": TITLE_LIMIT}))
        size = utf8_length(request.text)
        if size > DESCRIPTION_LIMIT:
            problems.append(Problem(
                "too_long", f"The description is {size} bytes; YouTube allows {DESCRIPTION_LIMIT} "
                "(letters outside English take 2 bytes or more, an emoji 4).",
                params={"length": size, "limit": DESCRIPTION_LIMIT}))
        for label, value, where in (("title", title, "title"),
                                    ("description", request.text, "text")):
            if "<" in value or ">" in value:
                problems.append(Problem("forbidden_characters",
                                        f"YouTube does not allow < or > in the {label}.",
                                        field=where))
        tags = request.options.get("tags") or []
        if tags_length(list(tags)) > TAGS_LIMIT:
            problems.append(Problem(
                "tags_too_long", f"The tags take {tags_length(list(tags))} characters; YouTube "
                f"allows {TAGS_LIMIT} (commas and quotes around tags with spaces included).",
                field="tags"))
        privacy = request.options.get("privacy")
        if privacy and privacy not in PRIVACY:
            problems.append(Problem("privacy", f"Privacy must be one of {', '.join(PRIVACY)}.",
                                    field="privacy"))
        if request.options.get("native_schedule") and request.scheduled_at is None:
            problems.append(Problem("schedule_missing", "YouTube scheduling needs a time.",
                                    field="scheduled_at"))
        problems.extend(self.media_problems(request.media))
        return problems

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        listing = self._json(self._call("GET", "/youtube/v3/channels", params={
            "part": "snippet,contentDetails", "mine": "true"}))
        items = listing.get("items") or []
        if not items:
            raise Disconnected("This Google account has no YouTube channel; create one on "
                               "YouTube, then connect again.")
        channel = items[0]
        snippet = channel.get("snippet") or {}
        uploads = ((channel.get("contentDetails") or {}).get("relatedPlaylists") or {}).get(
            "uploads", "")
        handle = snippet.get("customUrl") or snippet.get("title") or channel["id"]
        return AccountInfo(
            remote_id=str(channel["id"]),
            handle=str(handle),
            display_name=str(snippet.get("title") or handle),
            url=f"https://www.youtube.com/{handle}" if str(handle).startswith("@")
            else f"https://www.youtube.com/channel/{channel['id']}",
            settings={"channel_id": str(channel["id"]), "uploads_playlist": uploads},
        )

    # -- publishing ------------------------------------------------------------------------

    def _metadata(self, request: PublishRequest) -> dict[str, Any]:
        snippet: dict[str, Any] = {
            "title": self.title_for(request),
            "description": request.text,
            "categoryId": str(request.options.get("category_id") or DEFAULT_CATEGORY),
        }
        if request.options.get("tags"):
            snippet["tags"] = list(request.options["tags"])
        status: dict[str, Any] = {
            "privacyStatus": str(request.options.get("privacy") or "public")}
        if "made_for_kids" in request.options:
            status["selfDeclaredMadeForKids"] = bool(request.options["made_for_kids"])
        if request.options.get("native_schedule") and request.scheduled_at is not None:
            # publishAt works only on private videos; YouTube makes it public at that time.
            status["privacyStatus"] = "private"
            status["publishAt"] = request.scheduled_at.astimezone(UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
        return {"snippet": snippet, "status": status}

    def publish(self, request: PublishRequest) -> PublishResult:
        # The file itself was checked by validate(); here only what would make no sense.
        if len(request.media) != 1:
            problems = self.media_problems(request.media)
            raise BadContent(problems[0].message, problems=problems)
        item = request.media[0]
        session = self._start_session(item, self._metadata(request))
        video = self._upload(session, item)
        video_id = str(video["id"])
        published = parse_iso_time((video.get("snippet") or {}).get("publishedAt"))
        result = PublishResult(video_id, video_url(video_id), published,
                               {"id": video_id, "status": video.get("status") or {}})
        return self._first_comment(request, result)

    def _start_session(self, item: MediaItem, metadata: dict[str, Any]) -> str:
        # Opening a session creates nothing on the channel: safe to repeat.
        response = self._call(
            "POST", "/upload/youtube/v3/videos",
            params={"uploadType": "resumable", "part": "snippet,status"},
            json=metadata, safe_to_repeat=True,
            headers={"X-Upload-Content-Length": str(item.size),
                     "X-Upload-Content-Type": item.mime_type})
        location = response.headers.get("location")
        if not location:
            raise Transient("YouTube did not open an upload session (no Location).")
        return location

    def _upload(self, session: str, item: MediaItem) -> dict[str, Any]:
        """Send the file in chunks; after a failure ask YouTube what it holds and go on."""
        size = Path(item.path).stat().st_size
        offset = 0
        failures = 0
        sent_last_chunk = False
        with Path(item.path).open("rb") as handle:
            while True:
                try:
                    if failures:
                        answer = self._put(session, b"", f"bytes */{size}")
                    else:
                        handle.seek(offset)
                        chunk = handle.read(self.chunk_size)
                        end = offset + len(chunk) - 1
                        sent_last_chunk = sent_last_chunk or end + 1 >= size
                        answer = self._put(session, chunk, f"bytes {offset}-{end}/{size}",
                                           item.mime_type)
                except RateLimited:
                    raise  # quota: resuming now would meet the same answer
                except Transient as exc:
                    failures += 1
                    if failures > MAX_RESUMES:
                        if sent_last_chunk:
                            raise OutcomeUnknown(
                                "YouTube stopped answering after the whole video was sent; "
                                f"Keryx checks the channel before uploading again ({exc.message})"
                            ) from exc
                        raise Transient(f"The upload to YouTube kept failing: {exc.message}",
                                        status=exc.status) from exc
                    _sleep(min(2.0**failures, 30.0))
                    continue
                failures = 0
                if answer.status_code in (200, 201):
                    return self._json(answer)
                # 308 Resume Incomplete: Range says which bytes YouTube holds.
                offset = self._next_offset(answer)

    def _put(self, session: str, data: bytes, content_range: str,
             content_type: str = "application/octet-stream") -> httpx.Response:
        headers = {"Content-Range": content_range, "Content-Type": content_type}
        url = session if session.startswith(("https://", "http://")) else self.api + session
        # Safe to repeat: a chunk re-sent to the same session overwrites the same bytes, so a
        # dropped connection is Transient and the caller asks YouTube what it holds.
        response = self.http.request(
            "PUT", url, headers={**self.bearer_headers(), **headers}, content=data,
            check_status=False, safe_to_repeat=True)
        if response.status_code == 308:
            return response
        if response.status_code == 404:
            raise Transient("The YouTube upload session expired; the upload starts again.",
                            status=404)
        # A 5xx mid-upload is Transient here (the caller asks for the status and resumes).
        check(response, sent_unsafe=False)
        return response

    @staticmethod
    def _next_offset(response: httpx.Response) -> int:
        value = response.headers.get("range", "")
        if value.startswith("bytes=") and "-" in value:
            try:
                return int(value.rsplit("-", 1)[1]) + 1
            except ValueError:
                pass
        return 0  # nothing received yet

    def _first_comment(self, request: PublishRequest, result: PublishResult) -> PublishResult:
        return add_first_comment(result, first_comment_text(request), self.reply)

    # -- reconciliation --------------------------------------------------------------------

    def _uploads_playlist(self) -> str:
        playlist = self.settings.get("uploads_playlist")
        if playlist:
            return str(playlist)
        channel = str(self.settings.get("channel_id") or "")
        if channel.startswith("UC"):
            return "UU" + channel[2:]  # a channel's uploads playlist id
        return str(self.verify().settings["uploads_playlist"])

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The video uploaded for this request among the channel's latest uploads."""
        listing = self._json(self._call("GET", "/youtube/v3/playlistItems", params={
            "part": "snippet", "playlistId": self._uploads_playlist(), "maxResults": "50"}))
        title = self.title_for(request)
        since = request.scheduled_at - LOOKUP_MARGIN if request.scheduled_at else None
        if request.options.get("native_schedule"):
            since = None  # uploaded ahead of its publication time
        for item in listing.get("items") or []:
            snippet = item.get("snippet") or {}
            added = parse_iso_time(snippet.get("publishedAt"))
            if since and added and added < since:
                continue
            if snippet.get("title") == title and " ".join(
                    (snippet.get("description") or "").split()) == " ".join(request.text.split()):
                video_id = str((snippet.get("resourceId") or {}).get("videoId") or "")
                if video_id:
                    return PublishResult(video_id, video_url(video_id), added, {"id": video_id})
        return None

    def delete(self, remote_id: str) -> None:
        try:
            self._call("DELETE", "/youtube/v3/videos", params={"id": remote_id},
                       safe_to_repeat=True)
        except Disconnected as exc:
            if exc.status == 404:
                return
            raise

    # -- OAuth -----------------------------------------------------------------------------

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            data["code_verifier"] = code_verifier
        return oauth2.token_request(self.http, self.oauth, self.token_url, data,
                                    client_id=self.context.client_id,
                                    client_secret=self.context.client_secret)

    def refresh(self) -> TokenSet:
        refresh_token = self.credentials.get("refresh_token")
        if not refresh_token:
            raise AuthExpired("No Google refresh token is stored; connect the channel again.")
        # Google does not rotate refresh tokens: the one we have stays.
        return oauth2.token_request(
            self.http, self.oauth, self.token_url,
            {"grant_type": "refresh_token", "refresh_token": str(refresh_token)},
            client_id=self.context.client_id, client_secret=self.context.client_secret,
            keep_refresh_token=str(refresh_token))

    # -- metrics and comments --------------------------------------------------------------

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        """videos.list?part=statistics (1 quota unit): viewCount, likeCount, commentCount.
        favoriteCount is deprecated (always 0) and not used; impressions and click-through
        live in the YouTube Analytics API (another scope), not read. A video no longer
        listed (deleted, or made private) is gone."""
        listing = readings.read(lambda: self._json(self._call(
            "GET", "/youtube/v3/videos", params={"part": "statistics", "id": remote_id})),
            network="YouTube", permission=METRICS_PERMISSION, what="the video's statistics",
            remote_id=remote_id)
        if isinstance(listing, PostGone):
            return listing
        items = listing.get("items") or []
        if not items:
            return PostGone(remote_id, "YouTube no longer lists this video (deleted or made "
                                       "private).")
        stats = items[0].get("statistics") or {}
        return PostMetrics(likes=readings.count(stats.get("likeCount")),
                           comments=readings.count(stats.get("commentCount")),
                           video_views=readings.count(stats.get("viewCount")), raw=dict(stats))

    def _my_channel(self) -> dict[str, Any]:
        listing = readings.read_account(lambda: self._json(self._call(
            "GET", "/youtube/v3/channels", params={"part": "statistics,contentDetails",
                                                   "mine": "true"})),
            network="YouTube", permission=METRICS_PERMISSION, what="the channel's statistics")
        items = listing.get("items") or []
        if not items:
            raise Disconnected("This Google account has no YouTube channel.")
        return dict(items[0])

    def fetch_channel_metrics(self) -> ChannelMetrics:
        """channels.list?part=statistics&mine=true: subscriberCount (None when the channel
        hides it), videoCount. YouTube gives no "following" count."""
        stats = self._my_channel().get("statistics") or {}
        hidden = stats.get("hiddenSubscriberCount") is True
        return ChannelMetrics(
            followers=None if hidden else readings.count(stats.get("subscriberCount")),
            posts=readings.count(stats.get("videoCount")), raw=dict(stats))

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        """The channel's uploads playlist (channels.list contentDetails.relatedPlaylists
        .uploads), read with playlistItems.list, newest first, 50 a page."""
        uploads = ((self._my_channel().get("contentDetails") or {})
                   .get("relatedPlaylists") or {}).get("uploads")
        if not uploads:
            return []
        params: dict[str, str] = {"part": "snippet,contentDetails", "playlistId": str(uploads),
                                  "maxResults": "50"}
        found: list[RecentPost] = []
        for _ in range(RECENT_PAGES):
            listing = readings.read_account(lambda: self._json(self._call(
                "GET", "/youtube/v3/playlistItems", params=params)), network="YouTube",
                permission=METRICS_PERMISSION, what="the channel's uploads")
            older = False
            for item in listing.get("items") or []:
                details = item.get("contentDetails") or {}
                created = parse_iso_time(details.get("videoPublishedAt")
                                         or (item.get("snippet") or {}).get("publishedAt"))
                video_id = str(details.get("videoId") or "")
                if created is None or not video_id:
                    continue
                if created < since:
                    older = True
                    continue
                found.append(RecentPost(video_id, f"https://www.youtube.com/watch?v={video_id}",
                                        created, str((item.get("snippet") or {})
                                                     .get("title") or "")))
            token = listing.get("nextPageToken")
            if older or not token:
                break
            params["pageToken"] = str(token)
        return readings.newest_first(found)

    def fetch_comments(self, remote_id: str, since: datetime | None = None) -> list[Comment]:
        listing = self._json(self._call("GET", "/youtube/v3/commentThreads", params={
            "part": "snippet,replies", "videoId": remote_id, "maxResults": "100",
            "order": "time", "textFormat": "plainText"}))
        comments: list[Comment] = []
        for thread in listing.get("items") or []:
            top = (thread.get("snippet") or {}).get("topLevelComment") or {}
            replies = (thread.get("replies") or {}).get("comments") or []
            for entry in [top, *replies]:
                comment = self._comment(entry, remote_id)
                if since and comment.created_at and comment.created_at < since:
                    continue
                comments.append(comment)
        return comments

    @staticmethod
    def _comment(entry: dict[str, Any], video_id: str) -> Comment:
        snippet = entry.get("snippet") or {}
        comment_id = str(entry.get("id") or "")
        return Comment(
            remote_id=comment_id,
            text=snippet.get("textOriginal") or snippet.get("textDisplay") or "",
            author_id=str((snippet.get("authorChannelId") or {}).get("value") or ""),
            author_name=snippet.get("authorDisplayName") or "",
            created_at=parse_iso_time(snippet.get("publishedAt")),
            parent_id=str(snippet.get("parentId") or ""),
            url=f"{video_url(video_id)}&lc={comment_id}",
            raw=entry,
        )

    def reply(self, remote_id: str, text: str) -> PublishResult:
        """A top-level comment on a video (an 11-character video id) or a reply to a
        comment (any longer id)."""
        if len(remote_id) == 11:
            body = {"snippet": {"videoId": remote_id,
                                "topLevelComment": {"snippet": {"textOriginal": text}}}}
            created = self._json(self._call("POST", "/youtube/v3/commentThreads",
                                            params={"part": "snippet"}, json=body))
            comment_id = str(((created.get("snippet") or {}).get("topLevelComment") or {})
                             .get("id") or created.get("id"))
            return PublishResult(comment_id, f"{video_url(remote_id)}&lc={comment_id}",
                                 raw={"id": comment_id})
        created = self._json(self._call(
            "POST", "/youtube/v3/comments", params={"part": "snippet"},
            json={"snippet": {"parentId": remote_id, "textOriginal": text}}))
        comment_id = str(created.get("id"))
        return PublishResult(comment_id, "", raw={"id": comment_id, "parentId": remote_id})
