"""Pinterest through API v5 (https://api.pinterest.com/v5), through the HTTP seam.

Credentials: {"access_token", "refresh_token", "expires_at"}. Settings: {"board" (the id or the
name given at connect), "board_id", "username", "boards": [{"id", "name"}]}.

A Pin lives on one board. Request shapes follow Pinterest's OpenAPI description (PinCreate,
PinMediaSource*, MediaUpload): one image goes as `image_base64`, 2–5 as `multiple_image_base64`
(a carousel), a video is registered with POST /media, sent to the returned upload URL as a
form upload with the given parameters, polled with GET /media/{id} and referenced by
`video_id`. The post's text is the Pin description; `options["title"]` its title and
`options["link"]` (else the first URL in the text) its destination link.

No idempotency key: lookup() reads the board's newest Pins.
"""

from __future__ import annotations

import base64
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

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
    PublishRequest,
    PublishResult,
    RateLimited,
    TokenSet,
    Transient,
)
from keryx.networks.common import BaseProvider
from keryx.networks.community import ChannelMetrics, PostGone, PostMetrics, RecentPost
from keryx.networks.http import error_message, parse_retry_after, raise_for_status
from keryx.networks.text import find_urls
from keryx.networks.times import parse_iso_time

TITLE_MAX = 100
DESCRIPTION_MAX = 800
LINK_MAX = 2048
ALT_TEXT_MAX = 500
CAROUSEL = (2, 5)
# base64 media sources accept these two content types only (schema ContentType).
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/x-m4v"})
# Third-party guides say 20 MB and 32 MB for images, 1 GB and 2 GB for video: the stricter.
IMAGE_MAX_BYTES = 20 * 1024 * 1024
VIDEO_MAX_BYTES = 1024 * 1024 * 1024
LOOKUP_MARGIN = timedelta(minutes=5)
METRIC_TYPES = "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,TOTAL_COMMENTS,TOTAL_REACTIONS"
RECENT_PAGES = 10


class PinterestProvider(BaseProvider):
    network: ClassVar[str] = "pinterest"
    display_name: ClassVar[str] = "Pinterest"
    default_api_base: ClassVar[str] = "https://api.pinterest.com/v5"
    default_oauth_base: ClassVar[str] = "https://www.pinterest.com"
    daily_post_cap: ClassVar[int | None] = None
    oauth: ClassVar[OAuth2Spec] = OAuth2Spec(
        authorize_path="/oauth/",
        token_path="/oauth/token",
        scopes=("boards:read", "pins:read", "pins:write", "user_accounts:read"),
        # Pinterest's authorization-code flow has no PKCE; the client authenticates with Basic.
        pkce=False,
        scope_separator=",",
        client_auth="basic",
        token_on_api_base=True,
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "board", "Board", store="settings",
            help="The board Pins go to: its id, or its name as shown on Pinterest.",
        ),
    )
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=DESCRIPTION_MAX,
        counting="chars",
        media=MediaRules(
            max_items=CAROUSEL[1],
            image_types=IMAGE_TYPES,
            max_image_bytes=IMAGE_MAX_BYTES,
            video_types=VIDEO_TYPES,
            max_video_bytes=VIDEO_MAX_BYTES,
            alt_text=True,
            alt_text_max=ALT_TEXT_MAX,
            mix_images_and_video=False,
            min_items=1,
            alone=frozenset({"video"}),
            geometry=base.ImageGeometry(max_side=4096),
        ),
        metrics=True,
        # API v5 has no endpoint to read or write Pin comments.
        comments=False,
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("characters", len, DESCRIPTION_MAX),),
        extras=base.RequestExtras(link_option="link"),
        mentions=base.MentionRules(),
        metrics_spec=base.MetricsSpec(
            post=frozenset({"likes", "comments", "saves", "impressions", "clicks",
                            "video_views"}),
            channel=frozenset({"followers", "following", "posts"}),
            permission="pins:read, user_accounts:read",
            recent_posts=True,
            # Trial apps: 1,000 calls a day for the whole app; Standard: per user per app
            # limits by category (org_analytics, org_read), told by X-RateLimit-* headers.
            rate=(base.RateBudget(1000, 86400.0, scope="app",
                                  source="https://developers.pinterest.com/docs/reference/"
                                         "rate-limits/ (trial access)"),),
            notes="Impressions, saves, link clicks and video views over the last 90 days "
                  "(the API keeps no more); reactions and comments are lifetime totals.",
        ),
    )

    media_poll_interval: float = 2.0
    media_poll_timeout: float = 300.0

    # -- plumbing --------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, safe: bool | None = None,
              **kwargs: Any) -> httpx.Response:
        if safe is None:
            safe = method in {"GET", "DELETE"}
        response = self.http.request(method, self.api + path, headers=self.bearer_headers(),
                                     safe_to_repeat=safe, check_status=False, **kwargs)
        self._check(response, safe=safe)
        return response

    @staticmethod
    def _check(response: httpx.Response, *, safe: bool) -> None:
        """Pinterest errors are {"code": int, "message": str}; rate limits carry
        X-RateLimit-* headers (and Retry-After on some categories)."""
        status = response.status_code
        if status < 400:
            return
        message = f"Pinterest: {error_message(response)}"
        if status == 429:
            wait = parse_retry_after(response.headers)
            raise RateLimited(message, retry_after=60.0 if wait is None else wait, status=status)
        if status == 401:
            raise AuthExpired(message, status=status)
        if status == 403:
            # Pinterest answers 403 for a board or Pin this account may not use, and for a
            # missing scope: both need the user, not a retry.
            raise Disconnected(message, status=status)
        if status in (404, 410):
            raise Disconnected(message, status=status)
        if status < 500:
            raise BadContent(message, status=status)
        if status in (502, 503, 504) or safe:
            raise Transient(message, status=status)
        # A 500 on a create may have stored the Pin before failing.
        raise OutcomeUnknown(message, status=status)

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise Transient(
                f"Pinterest answered {response.status_code} with something that is not JSON."
            ) from exc

    # -- validation (pure) -----------------------------------------------------------------

    def _link(self, request: PublishRequest) -> str:
        # A Pin's description links nothing; its one destination is `link`. Without an
        # explicit one, the first URL in the text is the natural destination.
        link = request.options.get("link")
        if link:
            return str(link)
        urls = find_urls(request.text)
        return urls[0].value if urls else ""

    def _configured_board(self, request: PublishRequest) -> str:
        return str(
            request.options.get("board_id") or self.settings.get("board_id")
            or self.settings.get("board") or ""
        ).strip()

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        text_length = len(request.text)
        if text_length > DESCRIPTION_MAX:
            problems.append(Problem(
                "too_long", f"The Pin description is {text_length} characters; Pinterest "
                f"allows {DESCRIPTION_MAX}.", params={"length": text_length,
                                                      "limit": DESCRIPTION_MAX},
            ))
        title = str(request.options.get("title") or "")
        if len(title) > TITLE_MAX:
            problems.append(Problem(
                "title_too_long", f"The Pin title is {len(title)} characters; Pinterest "
                f"allows {TITLE_MAX}.", field="title",
                params={"length": len(title), "limit": TITLE_MAX},
            ))
        link = self._link(request)
        if len(link) > LINK_MAX:
            problems.append(Problem(
                "link_too_long", f"The Pin link is {len(link)} characters; Pinterest allows "
                f"{LINK_MAX}.", field="link", params={"length": len(link), "limit": LINK_MAX},
            ))
        if not self._configured_board(request):
            problems.append(Problem(
                "board_required", "Choose the Pinterest board this channel pins to.",
                field="options",
            ))
        problems.extend(self.media_problems(request.media))
        return problems

    # -- account ---------------------------------------------------------------------------

    def boards(self) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        params: dict[str, str] = {"page_size": "100"}
        for _ in range(10):
            page = self._json(self._call("GET", "/boards", params=params))
            for board in page.get("items") or []:
                found.append({"id": str(board["id"]), "name": str(board.get("name") or "")})
            if not page.get("bookmark"):
                break
            params["bookmark"] = str(page["bookmark"])
        return found

    def verify(self) -> AccountInfo:
        account = self._json(self._call("GET", "/user_account"))
        username = str(account.get("username") or "")
        if not username:
            raise Transient("Pinterest's answer does not describe an account.")
        boards = self.boards()
        settings: dict[str, Any] = {"username": username, "boards": boards}
        wanted = str(self.settings.get("board_id") or self.settings.get("board") or "").strip()
        if wanted:
            match = next((b for b in boards if wanted in (b["id"], b["name"])), None)
            if match is None:
                raise BadContent(
                    f"Pinterest: no board {wanted!r} on @{username}; boards: "
                    + ", ".join(b["name"] for b in boards)
                )
            settings.update(board_id=match["id"], board_name=match["name"])
        return AccountInfo(
            remote_id=str(account.get("id") or username),
            handle=f"@{username}",
            display_name=str(account.get("business_name") or username),
            url=f"https://www.pinterest.com/{username}/",
            settings=settings,
        )

    def _board_id(self, request: PublishRequest) -> str:
        board = self._configured_board(request)
        if board.isdecimal():
            return board
        match = next((b for b in self.boards() if b["name"] == board), None)
        if match is None:
            raise BadContent(f"Pinterest: this account has no board named {board!r}.")
        return match["id"]

    # -- publishing ------------------------------------------------------------------------

    @staticmethod
    def _base64(item: MediaItem) -> str:
        return base64.b64encode(Path(item.path).read_bytes()).decode("ascii")

    def _media_source(self, media: tuple[MediaItem, ...]) -> dict[str, Any]:
        if media[0].mime_type.startswith("video/"):
            media_id = self._upload_video(media[0])
            return {"source_type": "video_id", "media_id": media_id,
                    "cover_image_key_frame_time": 0}
        if len(media) == 1:
            return {"source_type": "image_base64", "content_type": media[0].mime_type,
                    "data": self._base64(media[0])}
        return {"source_type": "multiple_image_base64",
                "items": [{"content_type": m.mime_type, "data": self._base64(m)} for m in media]}

    def _upload_video(self, item: MediaItem) -> str:
        # Registering media creates nothing visible: safe to repeat.
        registered = self._json(self._call("POST", "/media", json={"media_type": "video"},
                                           safe=True))
        media_id = str(registered["media_id"])
        upload_url = str(registered.get("upload_url") or "")
        fields = {k: str(v) for k, v in (registered.get("upload_parameters") or {}).items()}
        if not upload_url:
            raise Transient("Pinterest did not return an upload URL for the video.")
        path = Path(item.path)
        with path.open("rb") as handle:
            # S3 form upload: the signed fields first, the file last; no bearer token here.
            response = self.http.request(
                "POST", upload_url, data=fields, safe_to_repeat=True, check_status=False,
                files={"file": (path.name, handle, item.mime_type)},
            )
        if response.status_code >= 400:
            raise_for_status(response, sent_unsafe=False)
        deadline = time.monotonic() + self.media_poll_timeout
        while True:
            media = self._json(self._call("GET", f"/media/{media_id}"))
            status = media.get("status")
            if status == "succeeded":
                return media_id
            if status == "failed":
                raise BadContent(f"Pinterest could not process the video {path.name}.")
            if time.monotonic() + self.media_poll_interval > deadline:
                # Nothing was pinned yet: another attempt is safe.
                raise Transient(f"Pinterest is still processing the video {path.name}.")
            time.sleep(self.media_poll_interval)

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.validate(request)
        if problems:
            raise BadContent(problems[0].message, problems=problems)
        body: dict[str, Any] = {
            "board_id": self._board_id(request),
            "description": request.text,
            "media_source": self._media_source(request.media),
        }
        if request.options.get("title"):
            body["title"] = str(request.options["title"])
        link = self._link(request)
        if link:
            body["link"] = link
        alt_text = next((m.alt_text for m in request.media if m.alt_text), "")
        if alt_text:
            body["alt_text"] = alt_text
        if request.options.get("board_section_id"):
            body["board_section_id"] = str(request.options["board_section_id"])
        pin = self._json(self._call("POST", "/pins", json=body))
        return self._result(pin)

    @staticmethod
    def _result(pin: dict[str, Any]) -> PublishResult:
        pin_id = str(pin["id"])
        return PublishResult(
            remote_id=pin_id,
            url=f"https://www.pinterest.com/pin/{pin_id}/",
            published_at=parse_iso_time(pin.get("created_at")),
            raw={"id": pin_id, "board_id": str(pin.get("board_id") or "")},
        )

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The Pin on the board whose description is the request's text, among the newest."""
        board_id = self._board_id(request)
        since = request.scheduled_at - LOOKUP_MARGIN if request.scheduled_at else None
        wanted = " ".join(request.text.split())
        page = self._json(self._call("GET", f"/boards/{board_id}/pins",
                                     params={"page_size": "50"}))
        for pin in page.get("items") or []:
            created = parse_iso_time(pin.get("created_at"))
            if since and created and created < since:
                continue
            if " ".join(str(pin.get("description") or "").split()) == wanted:
                return self._result(pin)
        return None

    def delete(self, remote_id: str) -> None:
        try:
            self._call("DELETE", f"/pins/{remote_id}")
        except Disconnected as exc:
            if exc.status == 404:
                return
            raise

    # -- metrics ---------------------------------------------------------------------------

    def _read(self, fn: Any, what: str, permission: str = "pins:read",
              remote_id: str = "") -> Any:
        return readings.read(fn, network="Pinterest", permission=permission, what=what,
                             remote_id=remote_id)

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        """GET /pins/{pin_id}/analytics over the last 90 days (the API's limit): IMPRESSION,
        SAVE, OUTBOUND_CLICK (link clicks; PIN_CLICK, opening the Pin, kept in raw),
        VIDEO_MRC_VIEW for video Pins, and the lifetime TOTAL_REACTIONS / TOTAL_COMMENTS.
        An image Pin refuses the video metric: asked again without it."""
        today = date.today()
        params = {
            "start_date": (today - timedelta(days=89)).isoformat(),
            "end_date": today.isoformat(),
            "metric_types": f"{METRIC_TYPES},VIDEO_MRC_VIEW",
            "app_types": "ALL",
        }

        def ask() -> Any:
            return self._json(self._call("GET", f"/pins/{remote_id}/analytics", params=params))

        try:
            data = self._read(ask, "the Pin's analytics", remote_id=remote_id)
        except BadContent:
            params["metric_types"] = METRIC_TYPES
            data = self._read(ask, "the Pin's analytics", remote_id=remote_id)
        if isinstance(data, PostGone):
            return data
        block = (data.get("all") or next(iter(data.values()), {})) if isinstance(
            data, dict) and data else {}
        summary = block.get("summary_metrics") or {}
        lifetime = block.get("lifetime_metrics") or {}
        count = readings.count
        return PostMetrics(
            likes=count(lifetime.get("TOTAL_REACTIONS", summary.get("TOTAL_REACTIONS"))),
            comments=count(lifetime.get("TOTAL_COMMENTS", summary.get("TOTAL_COMMENTS"))),
            saves=count(summary.get("SAVE")),
            impressions=count(summary.get("IMPRESSION")),
            clicks=count(summary.get("OUTBOUND_CLICK")),
            video_views=count(summary.get("VIDEO_MRC_VIEW")),
            raw={"summary_metrics": summary, "lifetime_metrics": lifetime},
        )

    def fetch_channel_metrics(self) -> ChannelMetrics:
        """GET /user_account: follower_count, following_count, pin_count."""
        account = self._read(lambda: self._json(self._call("GET", "/user_account")),
                             "the account's counts", "user_accounts:read")
        return ChannelMetrics(followers=readings.count(account.get("follower_count")),
                              following=readings.count(account.get("following_count")),
                              posts=readings.count(account.get("pin_count")),
                              raw={k: account.get(k) for k in (
                                  "follower_count", "following_count", "pin_count",
                                  "monthly_views") if k in account})

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        """GET /pins (the account's own Pins), paged with `bookmark`; Pins saved from others
        (is_owner false) left out."""
        params: dict[str, str] = {"page_size": "100"}
        found: list[RecentPost] = []
        for _ in range(RECENT_PAGES):
            body = self._read(lambda: self._json(self._call("GET", "/pins", params=params)),
                              "the account's Pins")
            for pin in body.get("items") or []:
                created = parse_iso_time(pin.get("created_at"))
                if created is None or created < since or pin.get("is_owner") is False:
                    continue
                found.append(RecentPost(
                    str(pin["id"]), f"https://www.pinterest.com/pin/{pin['id']}/", created,
                    str(pin.get("description") or pin.get("title") or "")))
            bookmark = body.get("bookmark")
            if not bookmark:
                break
            params["bookmark"] = str(bookmark)
        return readings.newest_first(found)

    # -- OAuth -----------------------------------------------------------------------------

    def _token_url(self) -> str:
        return oauth2.endpoint(self.api, self.oauth.token_path)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str = "") -> TokenSet:
        return oauth2.token_request(
            self.http, self.oauth, self._token_url(),
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
             # Apps created before 2025-09-25 must ask for continuous refresh tokens.
             "continuous_refresh": "true"},
            client_id=self.context.client_id, client_secret=self.context.client_secret,
        )

    def refresh(self) -> TokenSet:
        refresh_token = str(self.credentials.get("refresh_token") or "")
        if not refresh_token:
            raise AuthExpired("No refresh token stored for this Pinterest channel; reconnect it.")
        tokens = oauth2.token_request(
            self.http, self.oauth, self._token_url(),
            {"grant_type": "refresh_token", "refresh_token": refresh_token,
             "continuous_refresh": "true"},
            client_id=self.context.client_id, client_secret=self.context.client_secret,
            keep_refresh_token=refresh_token,
        )
        self.credentials.update(tokens.as_credentials())
        return tokens
