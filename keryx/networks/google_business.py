"""Google Business Profile local posts ("updates") through the My Business API v4, through the seam.

Credentials: {"access_token", "refresh_token", "expires_at"} from Google OAuth 2.0 (scope
business.manage, offline access, PKCE). Settings: {"account_id", "location"} — the location as
Google names it (`accounts/<a>/locations/<l>` or just the location id) — plus, from verify(),
the business's title and Maps link.

Posts: accounts.locations.localPosts.create with summary, topicType (STANDARD, EVENT, OFFER), an
optional callToAction and one photo. Google fetches photos itself from `media[].sourceUrl`, so a
photo needs a public https URL: MediaItem.url (Keryx's signed, expiring link under
KERYX_BASE_URL) or request.options["media_urls"] (see docs/networks/google_business.md).

No idempotency key: lookup() reads the location's recent local posts and matches the summary.
No per-post metrics: localPosts.reportInsights was removed with the move to the Business Profile
Performance API, which reports only location-level daily metrics.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from keryx.networks import base, oauth2
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    BadContent,
    Capabilities,
    ConnectField,
    Disconnected,
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
from keryx.networks.http import parse_retry_after
from keryx.networks.text import utf16_length
from keryx.networks.times import parse_iso_time

DEFAULT_API_BASE = "https://mybusiness.googleapis.com"
# Location details moved to the Business Information API (v1) on its own host. A configured
# KERYX_GOOGLE_BUSINESS_API_BASE (a proxy or a test server) serves both.
INFO_API_BASE = "https://mybusinessbusinessinformation.googleapis.com"
DEFAULT_OAUTH_BASE = "https://accounts.google.com"
# Google's token endpoint is on its own host; under a configured OAuth base it is <base>/token.
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/business.manage"

# summary: 1500 characters (third-party sources; Google's reference gives no figure). Google does
# not say which unit; UTF-16 code units are never fewer than code points: the stricter reading.
SUMMARY_LIMIT = 1500
# Event and offer titles: 58 characters (third-party sources, unverified).
EVENT_TITLE_LIMIT = 58
# One photo per post, JPEG or PNG, at most 5 MB and at least 250 px a side (Google's photo
# guidelines for posts; the media API itself allows larger files, so we keep the stricter figure).
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MIN_PHOTO_SIDE = 250
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
TOPIC_TYPES = frozenset({"STANDARD", "EVENT", "OFFER"})
ACTION_TYPES = frozenset({"BOOK", "ORDER", "SHOP", "LEARN_MORE", "SIGN_UP", "CALL"})
LOOKUP_MARGIN = timedelta(minutes=5)
LOOKUP_PAGES = 5
PAGE_SIZE = 100
# Google's 429s rarely carry Retry-After; its per-minute quotas refill within a minute.
DEFAULT_RETRY_SECONDS = 60.0

_ID = re.compile(r"^\d{1,30}$")


def split_location(account_id: str, location: str) -> tuple[str, str]:
    """(account id, location id) from "123" + "456", "accounts/123" + "locations/456" or
    "" + "accounts/123/locations/456". ValueError with a readable reason otherwise."""
    account_id, location = (account_id or "").strip(), (location or "").strip().strip("/")
    full = re.fullmatch(r"accounts/(\d+)/locations/(\d+)", location)
    if full:
        return full.group(1), full.group(2)
    location = location.removeprefix("locations/")
    account_id = account_id.removeprefix("accounts/")
    if not _ID.match(location):
        raise ValueError(
            "Give the location as Google names it: accounts/<account id>/locations/<location "
            "id>, or its numeric id with --account-id."
        )
    if not _ID.match(account_id):
        raise ValueError("Give the Business Profile account id (the number in accounts/<id>).")
    return account_id, location


def _is_public_https(url: str) -> bool:
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or "." not in host:
        return False
    private = ("localhost", "127.", "10.", "192.168.", "169.254.", "0.")
    return not host.startswith(private) and not host.endswith((".local", ".internal"))


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    # Google sends RFC 3339 with up to nanoseconds; Python takes microseconds.
    return parse_iso_time(re.sub(r"(\.\d{6})\d+", r"\1", value))


def _comparable(text: str) -> str:
    return " ".join((text or "").split())


class GoogleBusinessProvider(BaseProvider):
    network: ClassVar[str] = "google_business"
    display_name: ClassVar[str] = "Google Business Profile"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=SUMMARY_LIMIT,
        counting="utf16",
        media=MediaRules(
            max_items=1,
            image_types=PHOTO_TYPES,
            max_image_bytes=MAX_PHOTO_BYTES,
            alt_text=False,  # local posts have no alt text
            # At least 250 px on the short side.
            geometry=base.ImageGeometry(min_side=MIN_PHOTO_SIDE, max_side=4096),
        ),
        idempotent_publish=False,
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("utf16", utf16_length, SUMMARY_LIMIT),),
    )
    default_api_base: ClassVar[str] = DEFAULT_API_BASE
    default_oauth_base: ClassVar[str] = DEFAULT_OAUTH_BASE
    oauth: ClassVar[OAuth2Spec] = OAuth2Spec(
        authorize_path="/o/oauth2/v2/auth",
        token_path="/token",
        scopes=(SCOPE,),
        pkce=True,
        client_auth="body",
        # offline: a refresh token; consent: Google sends it again on every reconnect (it
        # otherwise sends one only the first time, and a lost one means re-authorising daily).
        extra_authorize_params={
            "access_type": "offline", "prompt": "consent", "include_granted_scopes": "true",
        },
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "account_id", "Account id", store="settings", required=False,
            help="The number in accounts/<id> (not needed when --location is the full name).",
        ),
        ConnectField(
            "location", "Location", store="settings",
            help="accounts/<account id>/locations/<location id>, or the location id.",
        ),
    )
    daily_post_cap: ClassVar[int | None] = None

    def __init__(self, context: ProviderContext) -> None:
        super().__init__(context)
        self.info_base = (context.api_base or INFO_API_BASE).rstrip("/")

    # -- plumbing --------------------------------------------------------------------------

    def _ids(self) -> tuple[str, str]:
        try:
            return split_location(str(self.settings.get("account_id") or ""),
                                  str(self.settings.get("location") or ""))
        except ValueError as exc:
            raise Disconnected(str(exc)) from None

    @property
    def _parent(self) -> str:
        account_id, location_id = self._ids()
        return f"accounts/{account_id}/locations/{location_id}"

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        safe = kwargs.pop("safe_to_repeat", None)
        if safe is None:
            safe = method in ("GET", "DELETE")
        response = self.http.request(method, url, headers=self.bearer_headers(),
                                     safe_to_repeat=safe, check_status=False, **kwargs)
        self._raise_for(response, sent_unsafe=not safe)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise Transient(f"Google answered {response.status_code} without JSON.") from exc

    @staticmethod
    def _raise_for(response: httpx.Response, *, sent_unsafe: bool) -> None:
        status = response.status_code
        if status < 400:
            return
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        message = str(error.get("message") or response.text.strip()[:300] or f"HTTP {status}")
        details = error.get("details") if isinstance(error.get("details"), list) else []
        wait: float | None = None
        extra: list[str] = []
        for detail in details:
            if not isinstance(detail, dict):
                continue
            delay = detail.get("retryDelay")  # google.rpc.RetryInfo: "30s"
            if isinstance(delay, str) and delay.endswith("s"):
                try:
                    wait = float(delay[:-1])
                except ValueError:
                    pass
            for item in detail.get("errorDetails") or detail.get("fieldViolations") or []:
                if isinstance(item, dict) and item.get("message"):
                    where = item.get("field") or ""
                    extra.append(f"{where}: {item['message']}" if where else item["message"])
        if extra:
            message = f"{message} ({'; '.join(extra)})"
        if status == 429:
            if wait is None:
                wait = parse_retry_after(response.headers)
            raise RateLimited(
                message, retry_after=DEFAULT_RETRY_SECONDS if wait is None else wait,
                status=status,
            )
        if status == 401:
            raise AuthExpired(message, status=status)
        if status in (403, 404):
            # 403: not a manager of this location any more, or the API is not enabled for the
            # app's project; 404: the location is gone. Either way the user must act.
            raise Disconnected(message, status=status)
        if status < 500:
            raise BadContent(message, status=status)
        if status in (502, 503, 504) or not sent_unsafe:
            raise Transient(message, status=status)
        raise OutcomeUnknown(f"Google answered {status}: {message}", status=status)

    # -- validation (pure) -----------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        options = request.options
        length = utf16_length(request.text)
        if length > SUMMARY_LIMIT:
            problems.append(Problem(
                "text_too_long",
                f"The text is {length} characters long; a Google Business Profile post allows "
                f"{SUMMARY_LIMIT}.",
                params={"count": length, "limit": SUMMARY_LIMIT},
            ))
        topic = str(options.get("topic_type") or "STANDARD").upper()
        if topic not in TOPIC_TYPES:
            problems.append(Problem(
                "topic_type", f"Unknown post type {topic}; use STANDARD, EVENT or OFFER.",
                field="topic_type",
            ))
        if topic == "STANDARD" and not request.text.strip() and not request.media:
            problems.append(Problem("empty", "A Google Business Profile post needs text or a "
                                             "photo."))
        if topic in ("EVENT", "OFFER"):
            problems.extend(self._event_problems(options.get("event"), topic))
        problems.extend(self._cta_problems(options.get("call_to_action")))
        problems.extend(self.media_problems(request.media))
        problems.extend(self._public_url_problems(request))
        return problems

    @staticmethod
    def _event_problems(event: Any, topic: str) -> list[Problem]:
        if not isinstance(event, dict) or not event.get("title") or not event.get("schedule"):
            return [Problem(
                "event_required",
                f"An {topic.lower()} post needs an event title "
                "and a schedule (start and end).", field="event",
            )]
        title = utf16_length(str(event["title"]))
        if title > EVENT_TITLE_LIMIT:
            return [Problem(
                "event_title_too_long",
                f"The {topic.lower()} title has {title} characters; Google allows "
                f"{EVENT_TITLE_LIMIT}.",
                field="event", params={"count": title, "limit": EVENT_TITLE_LIMIT},
            )]
        return []

    @staticmethod
    def _cta_problems(cta: Any) -> list[Problem]:
        if not cta:
            return []
        action = str(cta.get("actionType") or "").upper() if isinstance(cta, dict) else ""
        if action not in ACTION_TYPES:
            return [Problem(
                "call_to_action",
                "The button must be one of BOOK, ORDER, SHOP, LEARN_MORE, SIGN_UP or CALL.",
                field="call_to_action",
            )]
        url = str(cta.get("url") or "")
        if action != "CALL" and not url.startswith(("https://", "http://")):
            return [Problem(
                "call_to_action",
                f"The {action} button needs a web address (http:// or https://).",
                field="call_to_action",
            )]
        return []

    @staticmethod
    def _public_url_problems(request: PublishRequest) -> list[Problem]:
        """Google fetches each photo itself: it needs a public https address."""
        media = request.media
        problems: list[Problem] = []
        urls = list(request.options.get("media_urls") or [m.url for m in request.media if m.url])
        for index, item in enumerate(media):
            name = Path(item.path).name or f"#{index + 1}"
            url = urls[index] if index < len(urls) else ""
            if not _is_public_https(str(url)):
                problems.append(Problem(
                    "media_not_public",
                    f"Google fetches {name} itself, so it needs a public https address; set "
                    "KERYX_BASE_URL to Keryx's public https address.",
                    field="media", params={"index": index},
                ))
        return problems

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        account_id, location_id = self._ids()
        place = self._call(
            "GET", f"{self.info_base}/v1/locations/{location_id}",
            params={"readMask": "name,title,metadata"},
        )
        # The info API does not prove we may post for the account: list posts to check that.
        self._call("GET", f"{self.api}/v4/{self._parent}/localPosts",
                   params={"pageSize": "1"})
        title = str(place.get("title") or f"Location {location_id}")
        maps = str((place.get("metadata") or {}).get("mapsUri") or "")
        return AccountInfo(
            remote_id=self._parent,
            handle=title,
            display_name=title,
            url=maps,
            settings={"account_id": account_id, "location": self._parent, "title": title,
                      "maps_uri": maps},
        )

    # -- publishing ------------------------------------------------------------------------

    def _body(self, request: PublishRequest) -> dict[str, Any]:
        options = request.options
        topic = str(options.get("topic_type") or "STANDARD").upper()
        body: dict[str, Any] = {"topicType": topic}
        if request.text:
            body["summary"] = request.text
        if options.get("language"):
            body["languageCode"] = str(options["language"])
        cta = options.get("call_to_action")
        if cta:
            body["callToAction"] = {"actionType": str(cta["actionType"]).upper(),
                                    **({"url": cta["url"]} if cta.get("url") else {})}
        if topic in ("EVENT", "OFFER") and options.get("event"):
            body["event"] = options["event"]
        if topic == "OFFER" and options.get("offer"):
            body["offer"] = options["offer"]
        urls = list(options.get("media_urls") or [m.url for m in request.media if m.url])
        if request.media:
            body["media"] = [{"mediaFormat": "PHOTO", "sourceUrl": url}
                             for url in urls[: len(request.media)]]
        return body

    def publish(self, request: PublishRequest) -> PublishResult:
        post = self._call("POST", f"{self.api}/v4/{self._parent}/localPosts",
                          json=self._body(request))
        if not isinstance(post, dict) or not post.get("name"):
            raise OutcomeUnknown("Google accepted the post but did not return it.")
        if post.get("state") == "REJECTED":
            raise BadContent("Google rejected the post (it breaks Google's content policies "
                             "for Business Profile posts).", raw={"name": post["name"]})
        return self._result(post)

    def _result(self, post: dict[str, Any]) -> PublishResult:
        name = str(post["name"])
        return PublishResult(
            remote_id=name.rsplit("/", 1)[-1],
            # searchUrl is the post on Google Search; while Google still processes the post it
            # may be missing, and the business's Maps page is the next best place.
            url=str(post.get("searchUrl") or self.settings.get("maps_uri") or ""),
            published_at=_parse_time(post.get("createTime")),
            raw={"name": name, "state": post.get("state", "")},
        )

    def _matches(self, post: dict[str, Any], request: PublishRequest) -> bool:
        if _comparable(post.get("summary", "")) != _comparable(request.text):
            return False
        topic = str(request.options.get("topic_type") or "STANDARD").upper()
        return str(post.get("topicType") or "STANDARD") == topic

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The local post made for this request among the location's recent ones, else None.

        Reads pages until posts are older than scheduled_at minus a margin (or none are
        left); if that bound is not reached within a few pages it raises Transient."""
        since = request.scheduled_at - LOOKUP_MARGIN if request.scheduled_at else None
        url = f"{self.api}/v4/{self._parent}/localPosts"
        token = ""
        for _ in range(LOOKUP_PAGES):
            params = {"pageSize": str(PAGE_SIZE)}
            if token:
                params["pageToken"] = token
            page = self._call("GET", url, params=params)
            posts = page.get("localPosts") or []
            oldest: datetime | None = None
            for post in posts:
                created = _parse_time(post.get("createTime"))
                if created and (oldest is None or created < oldest):
                    oldest = created
                if since and created and created < since:
                    continue
                if self._matches(post, request):
                    return self._result(post)
            token = str(page.get("nextPageToken") or "")
            if not token or (since and oldest and oldest < since):
                return None
        raise Transient("Too many recent posts to be sure whether the post went out.")

    def delete(self, remote_id: str) -> None:
        try:
            self._call("DELETE", f"{self.api}/v4/{self._parent}/localPosts/{remote_id}")
        except Disconnected as exc:
            if exc.status == 404:
                return  # already gone: deleting is done
            raise

    # -- OAuth -----------------------------------------------------------------------------

    def _token_url(self) -> str:
        if not self.context.oauth_base:
            return GOOGLE_TOKEN_URL
        return oauth2.endpoint(self.oauth_base, self.oauth.token_path)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            data["code_verifier"] = code_verifier
        return oauth2.token_request(
            self.http, self.oauth, self._token_url(), data,
            client_id=self.context.client_id, client_secret=self.context.client_secret,
        )

    def refresh(self) -> TokenSet:
        """Google does not rotate refresh tokens: the answer holds only a new access token,
        and the stored refresh token is kept."""
        old = str(self.credentials.get("refresh_token") or "")
        if not old:
            raise AuthExpired("No refresh token stored; connect Google Business Profile again.")
        return oauth2.token_request(
            self.http, self.oauth, self._token_url(),
            {"grant_type": "refresh_token", "refresh_token": old},
            client_id=self.context.client_id, client_secret=self.context.client_secret,
            keep_refresh_token=old,
        )
