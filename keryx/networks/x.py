"""X (Twitter) through API v2, over the HTTP seam.

Credentials: {"access_token", "refresh_token", "expires_at"} from OAuth 2.0 with PKCE.
Settings (learned by verify()): {"user_id", "username"}; optionally "max_weighted_length"
(25000 for Premium authors, whose long posts X accepts; not in X's API docs, so opt-in).

Publishing: images go up in one request (POST /2/media/upload, multipart); GIFs and videos in
chunks (initialize, append, finalize, then the status is polled until processing succeeds).
Alt text is attached with POST /2/media/metadata. The post is POST /2/tweets; a thread
(options["thread"]) and a first comment (options["first_comment"]) are replies chained with
reply.in_reply_to_tweet_id.

X has no idempotency key: an unknown outcome is reconciled by reading the account's recent posts
(lookup()). Uploads are not posts, so a failed upload (even a 5xx half-way through a chunked one)
is Transient: nothing was published and a retry starts the upload again.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
from twitter_text.config import config as twitter_text_config

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
from keryx.networks.counting import twitter_weighted_length
from keryx.networks.http import error_message, parse_retry_after
from keryx.networks.text import find_urls
from keryx.networks.times import parse_iso_time
from keryx.networks.x_inbox import XInbox

MAX_WEIGHTED_LENGTH = 280
# Reading posts and the account needs these scopes (Keryx asks for both at connect).
METRICS_PERMISSION = "tweet.read"
ACCOUNT_PERMISSION = "users.read"
RECENT_PAGES = 10
ALT_TEXT_MAX = 1000
MAX_MEDIA = 4
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
IMAGE_MAX_BYTES = 5 * 1024 * 1024
GIF_MAX_BYTES = 15 * 1024 * 1024
VIDEO_MAX_BYTES = 512 * 1024 * 1024
# APPEND takes at most 5 MB per segment; 4 MiB keeps clear of it.
CHUNK_BYTES = 4 * 1024 * 1024
MEDIA_PROCESSING_TIMEOUT = 300.0
LOOKUP_MARGIN = timedelta(minutes=5)
LOOKUP_PAGES = 5
# twitter-text v3 weighting (config/v3.json). The library ships the same table as its default;
# spelled out so a library update cannot silently change what we count.
TWITTER_TEXT_V3 = {
    **twitter_text_config["version3"],
    "max_weighted_tweet_length": MAX_WEIGHTED_LENGTH,
}

Sleep = Callable[[float], None]


def weighted_length(text: str) -> int:
    """X's length of `text`: twitter-text v3 (NFC, code-point weights, emoji sequences as 2,
    every URL as 23). Emoji newer than the library's table count per code point, which can only
    over-count, never let through a post X would refuse."""
    # The same number as parse_tweet(text, TWITTER_TEXT_V3).weightedLength, about 50x faster.
    return twitter_weighted_length(text, TWITTER_TEXT_V3)


def comparable(text: str) -> str:
    """A text as X shows it back, normalised for matching: X turns every link into a t.co
    link and appends one t.co link per media attachment, and escapes &, < and >."""
    text = html.unescape(text or "")
    for span in reversed(find_urls(text)):
        text = text[: span.start] + "\x00" + text[span.end :]
    words = text.split()
    while words and words[-1] == "\x00":
        words.pop()  # t.co links X appended for media
    return " ".join(words)


def _x_message(response: httpx.Response) -> str:
    """X's own reason: `detail`, or the messages of `errors`, else the title."""
    try:
        body = response.json()
    except ValueError:
        return error_message(response)
    if isinstance(body, dict):
        errors = body.get("errors")
        details = []
        if isinstance(errors, list):
            details = [str(e.get("message") or e.get("detail")) for e in errors
                       if isinstance(e, dict) and (e.get("message") or e.get("detail"))]
        detail = body.get("detail")
        if isinstance(detail, str) and detail and not details:
            return detail
        if details:
            return "; ".join(details)
        for key in ("error_description", "title", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
    return f"HTTP {response.status_code}"


def rate_limit_wait(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Seconds until X's window resets: x-rate-limit-reset is epoch seconds (also the 24-hour
    user limit x-user-limit-24hour-reset when that one ran out)."""
    now = time.time() if now is None else now
    for name in ("x-user-limit-24hour-reset", "x-app-limit-24hour-reset", "x-rate-limit-reset"):
        remaining_name = name.replace("-reset", "-remaining")
        value = headers.get(name)
        if not value:
            continue
        if name != "x-rate-limit-reset" and headers.get(remaining_name, "1") != "0":
            continue
        try:
            return max(0.0, float(value) - now)
        except ValueError:
            continue
    return parse_retry_after(headers, now)


def raise_for_x(response: httpx.Response, *, sent_unsafe: bool) -> None:
    """Map an X error answer to the taxonomy, with X's message."""
    status = response.status_code
    if status < 400:
        return
    message = _x_message(response)
    kw: dict[str, Any] = {"status": status, "raw": _safe_json(response)}
    if status == 429:
        raise RateLimited(message, retry_after=rate_limit_wait(response.headers), **kw)
    if status == 401:
        raise AuthExpired(message, **kw)
    if status == 403:
        lowered = message.lower()
        if "suspended" in lowered or "locked" in lowered:
            raise Disconnected(message, **kw)
        if "oauth" in lowered or "scope" in lowered or "permission" in lowered:
            raise AuthExpired(message, **kw)
        # Duplicate content, a reply not allowed, a forbidden link: the content is refused.
        raise BadContent(message, **kw)
    if status in (404, 410):
        raise Disconnected(message, **kw)
    if 400 <= status < 500:
        raise BadContent(message, **kw)
    if status in (502, 503, 504) or not sent_unsafe:
        raise Transient(message, **kw)
    raise OutcomeUnknown(f"X answered {status}: {message}", **kw)


def _safe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class XProvider(XInbox, BaseProvider):
    network: ClassVar[str] = "x"
    display_name: ClassVar[str] = "X"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=MAX_WEIGHTED_LENGTH,
        counting="twitter",
        media=MediaRules(
            max_items=MAX_MEDIA,
            image_types=IMAGE_TYPES,
            max_image_bytes=IMAGE_MAX_BYTES,
            video_types=VIDEO_TYPES,
            max_video_bytes=VIDEO_MAX_BYTES,
            alt_text=True,
            alt_text_max=ALT_TEXT_MAX,
            mix_images_and_video=False,
            # 1-4 photos, or one GIF, or one video on its own.
            alone=frozenset({"video", "image/gif"}),
            type_max_bytes=(("image/gif", GIF_MAX_BYTES),),
            geometry=base.ImageGeometry(max_side=4096, animated=True,
                                        animated_max_bytes=GIF_MAX_BYTES),
            video=base.VideoRules(min_seconds=0.5, max_seconds=140, codecs=("h264",)),
        ),
        threads=True,
        first_comment=True,
        metrics=True,
        comments=True,
        inbox=True,
        hide_comments=True,
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("weighted", weighted_length, MAX_WEIGHTED_LENGTH,
                                  limit_setting="max_weighted_length"),),
        split_long_text=True,
        preview=base.PreviewRules(link_width=23),
        mentions=base.MentionRules(),
        hashtags_recommended=2,
        metrics_spec=base.MetricsSpec(
            post=frozenset({"likes", "comments", "shares", "quotes", "saves", "impressions",
                            "clicks", "video_views"}),
            channel=frozenset({"followers", "following", "posts"}),
            permission="tweet.read users.read",
            recent_posts=True,
            # The limits are per endpoint and per user token (docs.x.com x-api/fundamentals/
            # rate-limits); the figures below are the lowest of GET /2/tweets/:id and
            # GET /2/users/:id/tweets for a user token, 15-minute windows.
            rate=(base.RateBudget(900, 900.0, scope="channel",
                                  source="https://docs.x.com/x-api/fundamentals/rate-limits"),),
            notes="Link clicks (non_public_metrics) only for posts of the last 30 days; "
                  "reach is not given.",
        ),
    )
    # X publishes no fixed daily post cap for API users (2,400/day is an unverified figure).
    daily_post_cap: ClassVar[int | None] = None
    default_api_base: ClassVar[str] = "https://api.x.com"
    default_oauth_base: ClassVar[str] = "https://x.com"
    oauth: ClassVar[OAuth2Spec] = OAuth2Spec(
        authorize_path="/i/oauth2/authorize",
        token_path="/2/oauth2/token",
        # tweet.moderate.write: hiding replies (PUT /2/tweets/:id/hidden).
        scopes=("tweet.read", "tweet.write", "users.read", "media.write", "offline.access",
                "tweet.moderate.write"),
        pkce=True,
        # A confidential ("Web App") client authenticates with HTTP Basic at the token endpoint.
        client_auth="basic",
        token_on_api_base=True,
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = ()

    def __init__(self, context: ProviderContext, sleep: Sleep = time.sleep) -> None:
        super().__init__(context)
        self._sleep = sleep

    # -- plumbing --------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, safe_to_repeat: bool | None = None,
              **kwargs: Any) -> Any:
        if safe_to_repeat is None:
            safe_to_repeat = method.upper() in {"GET", "HEAD"}
        headers = {**self.bearer_headers(), **kwargs.pop("headers", {})}
        response = self.http.request(method, self.api + path, headers=headers,
                                     safe_to_repeat=safe_to_repeat, check_status=False,
                                     **kwargs)
        raise_for_x(response, sent_unsafe=not safe_to_repeat)
        body = _safe_json(response) if response.content else {}
        if response.content and body is None:
            raise Transient(f"X answered {response.status_code} with something that is not JSON.")
        return body or {}

    # -- validation (pure) -----------------------------------------------------------------

    def _limit(self) -> int:
        return int(self.settings.get("max_weighted_length") or MAX_WEIGHTED_LENGTH)

    def _text_problem(self, text: str, field: str, label: str) -> Problem | None:
        length, limit = weighted_length(text), self._limit()
        if length <= limit:
            return None
        return Problem(
            "too_long",
            f"{label} is {length} characters as X counts them; X allows {limit} (links count "
            "as 23, most emoji and CJK characters as 2).",
            field=field,
            params={"length": length, "limit": limit},
        )

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        problem = self._text_problem(request.text, "text", "The text")
        if problem:
            problems.append(problem)
        if not request.text.strip() and not request.media:
            problems.append(Problem("empty", "An X post needs text or media."))
        for index, part in enumerate(request.options.get("thread") or []):
            problem = self._text_problem(str(part), "thread", f"Thread post {index + 2}")
            if problem:
                problems.append(problem)
            elif not str(part).strip():
                problems.append(Problem("empty", f"Thread post {index + 2} is empty.",
                                        field="thread"))
        first_comment = request.options.get("first_comment")
        if first_comment:
            problem = self._text_problem(str(first_comment), "first_comment", "The first comment")
            if problem:
                problems.append(problem)
        problems.extend(self.media_problems(request.media))
        return problems

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        body = self._call("GET", "/2/users/me", params={"user.fields": "username,name"})
        user = body.get("data") or {}
        if not user.get("id"):
            raise Transient("X's answer does not look like an account.")
        username = str(user.get("username") or "")
        return AccountInfo(
            remote_id=str(user["id"]),
            handle=f"@{username}",
            display_name=str(user.get("name") or username),
            url=f"https://x.com/{username}" if username else "",
            settings={"user_id": str(user["id"]), "username": username},
        )

    def _user_id(self) -> str:
        user_id = self.settings.get("user_id")
        if user_id:
            return str(user_id)
        return self.verify().remote_id

    # -- media -----------------------------------------------------------------------------

    def _upload(self, item: MediaItem) -> str:
        """Upload one file and return its media id, ready to attach."""
        path = Path(item.path)
        if item.mime_type == "image/gif" or item.mime_type in VIDEO_TYPES:
            media_id = self._upload_chunked(item, path)
        else:
            with path.open("rb") as handle:
                body = self._call(
                    "POST", "/2/media/upload",
                    files={"media": (path.name, handle, item.mime_type)},
                    data={"media_category": "tweet_image"},
                    # An upload is not a post: repeating it leaves at most an unused file.
                    safe_to_repeat=True,
                )
            media_id = str((body.get("data") or {}).get("id") or "")
            if not media_id:
                raise Transient("X accepted the upload but returned no media id.")
        if item.alt_text:
            self._call(
                "POST", "/2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}},
                safe_to_repeat=True,
            )
        return media_id

    def _upload_chunked(self, item: MediaItem, path: Path) -> str:
        category = "tweet_gif" if item.mime_type == "image/gif" else "tweet_video"
        size = path.stat().st_size
        init = self._call(
            "POST", "/2/media/upload/initialize",
            json={"media_type": item.mime_type, "total_bytes": size,
                  "media_category": category},
            safe_to_repeat=True,
        )
        media_id = str((init.get("data") or {}).get("id") or "")
        if not media_id:
            raise Transient("X did not open an upload session (no media id).")
        with path.open("rb") as handle:
            index = 0
            while chunk := handle.read(CHUNK_BYTES):
                self._call(
                    "POST", f"/2/media/upload/{media_id}/append",
                    files={"media": (path.name, chunk, "application/octet-stream")},
                    data={"segment_index": str(index)},
                    safe_to_repeat=True,
                )
                index += 1
        final = self._call("POST", f"/2/media/upload/{media_id}/finalize", safe_to_repeat=True)
        self._wait_processed(media_id, (final.get("data") or {}).get("processing_info"),
                             path.name)
        return media_id

    def _wait_processed(self, media_id: str, info: Any, name: str) -> None:
        """Poll STATUS until X has processed the media; bounded, then Transient."""
        deadline = time.monotonic() + MEDIA_PROCESSING_TIMEOUT
        while isinstance(info, dict) and info.get("state") not in (None, "succeeded"):
            state = info.get("state")
            if state == "failed":
                error = info.get("error") or {}
                reason = error.get("message") or error.get("name") or "processing failed"
                raise BadContent(f"X could not process {name}: {reason}", raw=info)
            if time.monotonic() >= deadline:
                raise Transient(
                    f"X is still processing {name} ({state}, "
                    f"{info.get('progress_percent', 0)}%); try again later.", raw=info)
            wait = float(info.get("check_after_secs") or 1)
            self._sleep(min(max(wait, 0.0), max(0.0, deadline - time.monotonic())))
            body = self._call("GET", "/2/media/upload",
                              params={"command": "STATUS", "media_id": media_id})
            info = (body.get("data") or {}).get("processing_info")

    # -- publishing ------------------------------------------------------------------------

    def _post_url(self, post_id: str) -> str:
        username = self.settings.get("username")
        if username:
            return f"https://x.com/{username}/status/{post_id}"
        return f"https://x.com/i/web/status/{post_id}"

    def _create(self, text: str, media_ids: list[str] | None = None,
                reply_to: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {"text": text}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        if reply_to:
            body["reply"] = {"in_reply_to_tweet_id": reply_to}
        data = self._call("POST", "/2/tweets", json=body).get("data") or {}
        if not data.get("id"):
            raise OutcomeUnknown("X answered without the id of the new post.")
        return data

    def publish(self, request: PublishRequest) -> PublishResult:
        media_ids = [self._upload(item) for item in request.media]
        data = self._create(request.text, media_ids)
        post_id = str(data["id"])
        raw: dict[str, Any] = {"id": post_id}
        # The post is out: whatever happens to the follow-ups must not make the engine retry
        # (and post twice). They are reported on the result instead.
        follow_ups = [str(t) for t in request.options.get("thread") or []]
        first_comment = request.options.get("first_comment")
        if first_comment:
            follow_ups.append(str(first_comment))
        if follow_ups:
            replies, error = self._chain(post_id, follow_ups)
            raw["replies"] = replies
            if error:
                raw["follow_up_error"] = error
        return PublishResult(remote_id=post_id, url=self._post_url(post_id),
                             published_at=datetime.now(UTC), raw=raw)

    def _chain(self, parent: str, texts: list[str]) -> tuple[list[str], str]:
        posted: list[str] = []
        for text in texts:
            try:
                parent = str(self._create(text, reply_to=parent)["id"])
            except Exception as exc:  # noqa: BLE001 - reported on the result, see publish()
                return posted, getattr(exc, "message", str(exc))
            posted.append(parent)
        return posted, ""

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The post made for this request among the account's recent posts, else None."""
        params = {"max_results": "100", "tweet.fields": "created_at,text,attachments",
                  "exclude": "retweets,replies"}
        if request.scheduled_at:
            since = request.scheduled_at - LOOKUP_MARGIN
            params["start_time"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        user_id = self._user_id()
        wanted = comparable(request.text)
        for _ in range(LOOKUP_PAGES):
            body = self._call("GET", f"/2/users/{user_id}/tweets", params=params)
            for post in body.get("data") or []:
                if comparable(post.get("text", "")) != wanted:
                    continue
                keys = (post.get("attachments") or {}).get("media_keys") or []
                if len(keys) != len(request.media):
                    continue
                post_id = str(post["id"])
                return PublishResult(remote_id=post_id, url=self._post_url(post_id),
                                     published_at=parse_iso_time(post.get("created_at")),
                                     raw={"id": post_id})
            next_token = (body.get("meta") or {}).get("next_token")
            if not next_token or not request.scheduled_at:
                # Every post in the window was seen (or, without a bound, the newest page).
                return None
            params["pagination_token"] = str(next_token)
        raise Transient("Too many recent posts on X to be sure whether the post went out.")

    def delete(self, remote_id: str) -> None:
        try:
            self._call("DELETE", f"/2/tweets/{remote_id}", safe_to_repeat=True)
        except Disconnected as exc:
            if exc.status == 404:
                return
            raise

    # -- metrics and comments --------------------------------------------------------------

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        """GET /2/tweets/:id with public_metrics (likes, replies, reposts, quotes, bookmarks,
        impressions), non_public_metrics (url_link_clicks; X gives them to the author for
        posts of the last 30 days only, later they are absent) and the attached videos'
        view_count (media public_metrics)."""
        def ask(fields: str) -> Any:
            return readings.read(
                lambda: self._call("GET", f"/2/tweets/{remote_id}", params={
                    "tweet.fields": fields, "expansions": "attachments.media_keys",
                    "media.fields": "type,public_metrics"}),
                network="X", permission=METRICS_PERMISSION, what="the post's counts",
                remote_id=remote_id)

        body = ask("public_metrics,non_public_metrics")
        if isinstance(body, PostGone):
            return body
        if not body.get("data") and any(str(e.get("type", "")).endswith(
                ("not-authorized-for-field", "field-unauthorized"))
                for e in body.get("errors") or []):
            # Non-public metrics refused (older than 30 days): the public ones still come.
            body = ask("public_metrics")
            if isinstance(body, PostGone):
                return body
        data = body.get("data")
        if not data:
            if any(str(e.get("type", "")).endswith("resource-not-found")
                   or e.get("title") == "Not Found Error" for e in body.get("errors") or []):
                return PostGone(remote_id, "X no longer has this post (deleted).")
            raise Transient("X answered without the post.")
        public = data.get("public_metrics") or {}
        private = data.get("non_public_metrics") or {}
        media = (body.get("includes") or {}).get("media") or []
        views = readings.total(*[readings.count((m.get("public_metrics") or {})
                                                .get("view_count"))
                                 for m in media if m.get("type") in ("video", "animated_gif")])
        count = readings.count
        return PostMetrics(
            likes=count(public.get("like_count")),
            comments=count(public.get("reply_count")),
            shares=count(public.get("repost_count", public.get("retweet_count"))),
            quotes=count(public.get("quote_count")),
            saves=count(public.get("bookmark_count")),
            impressions=count(public.get("impression_count",
                                         private.get("impression_count"))),
            clicks=count(private.get("url_link_clicks")),
            video_views=views,
            raw={"public_metrics": public, "non_public_metrics": private},
        )

    def fetch_channel_metrics(self) -> ChannelMetrics:
        """GET /2/users/me?user.fields=public_metrics."""
        body = readings.read_account(
            lambda: self._call("GET", "/2/users/me", params={"user.fields": "public_metrics"}),
            network="X", permission=ACCOUNT_PERMISSION, what="the account's counts")
        m = (body.get("data") or {}).get("public_metrics") or {}
        return ChannelMetrics(
            followers=readings.count(m.get("followers_count")),
            following=readings.count(m.get("following_count")),
            posts=readings.count(m.get("post_count", m.get("tweet_count"))), raw=dict(m))

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        """GET /2/users/:id/tweets without replies and reposts, from `since` (X lists an
        account's 3,200 most recent posts at most), paged with pagination_token."""
        user_id = self.settings.get("user_id") or self.verify().remote_id
        params: dict[str, str] = {
            "exclude": "replies,retweets", "max_results": "100",
            "tweet.fields": "created_at,text",
            "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        found: list[RecentPost] = []
        for _ in range(RECENT_PAGES):
            body = readings.read_account(
                lambda: self._call("GET", f"/2/users/{user_id}/tweets", params=params),
                network="X", permission=METRICS_PERMISSION, what="the account's posts")
            for post in body.get("data") or []:
                created = parse_iso_time(post.get("created_at"))
                if created is None or created < since:
                    continue
                found.append(RecentPost(str(post["id"]), self._post_url(str(post["id"])),
                                        created, html.unescape(post.get("text") or "")))
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
            params["pagination_token"] = str(token)
        return readings.newest_first(found)

    def fetch_comments(self, remote_id: str, since: datetime | None = None) -> list[Comment]:
        """Replies in the post's conversation (recent search: the last 7 days)."""
        params = {
            "query": f"conversation_id:{remote_id}",
            "tweet.fields": "author_id,created_at,conversation_id,referenced_tweets",
            "expansions": "author_id",
            "user.fields": "username,name",
            "max_results": "100",
        }
        if since:
            params["start_time"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = self._call("GET", "/2/tweets/search/recent", params=params)
        users = {u.get("id"): u for u in (body.get("includes") or {}).get("users") or []}
        comments = []
        for post in body.get("data") or []:
            parent = next((r.get("id") for r in post.get("referenced_tweets") or []
                           if r.get("type") == "replied_to"), "")
            author = users.get(post.get("author_id"), {})
            comments.append(Comment(
                remote_id=str(post["id"]),
                text=html.unescape(post.get("text", "")),
                author_id=str(post.get("author_id") or ""),
                author_handle=f"@{author['username']}" if author.get("username") else "",
                author_name=str(author.get("name") or ""),
                created_at=parse_iso_time(post.get("created_at")),
                parent_id=str(parent or ""),
                url=f"https://x.com/i/web/status/{post['id']}",
            ))
        return comments

    def reply(self, remote_id: str, text: str) -> PublishResult:
        data = self._create(text, reply_to=remote_id)
        return PublishResult(remote_id=str(data["id"]), url=self._post_url(str(data["id"])),
                             published_at=datetime.now(UTC))

    # -- OAuth -----------------------------------------------------------------------------

    def _token_url(self) -> str:
        return oauth2.endpoint(self.api, self.oauth.token_path)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        return oauth2.token_request(
            self.http, self.oauth, self._token_url(),
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
             "code_verifier": code_verifier, "client_id": self.context.client_id},
            client_id=self.context.client_id, client_secret=self.context.client_secret,
        )

    def refresh(self) -> TokenSet:
        """X rotates refresh tokens: the answer carries a new one, which must replace the old."""
        old = str(self.credentials.get("refresh_token") or "")
        if not old:
            raise AuthExpired("This X channel has no refresh token; reconnect it.")
        return oauth2.token_request(
            self.http, self.oauth, self._token_url(),
            {"grant_type": "refresh_token", "refresh_token": old,
             "client_id": self.context.client_id},
            client_id=self.context.client_id, client_secret=self.context.client_secret,
            keep_refresh_token=old,
        )
