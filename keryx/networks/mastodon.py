"""Mastodon (and compatible servers) over its REST API, through the HTTP seam.

Credentials: {"access_token"}. Settings (non-secret, learned at connect time by verify()):
{"instance": base URL, "account_id", "domain", "max_characters", "max_media",
"characters_reserved_per_url", "supported_mime_types", "image_size_limit", "video_size_limit"}.

Exactly once: every status is posted with the target's fixed Idempotency-Key, so a retry of the
same target returns the status the first attempt made. Mastodon keeps those keys for a limited
time only, so reconciliation of an unknown outcome also reads the account's recent statuses
(lookup()).

Threads: the parts after the first (options["thread"]) and a first comment
(options["first_comment"]) are replies, each to the one before (in_reply_to_id), with the
root's visibility, content warning and language, each under its own fixed Idempotency-Key
f"{key}-{n}". Once the root is out, a failing reply does not fail the post: it is reported on the
result (raw["follow_up_error"]), as on X.
"""

from __future__ import annotations

import html
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import regex

from keryx.networks import mastodon_metrics
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    BadContent,
    Capabilities,
    ChannelMetrics,
    Disconnected,
    MediaRules,
    PostGone,
    PostMetrics,
    Problem,
    ProviderContext,
    PublishRequest,
    PublishResult,
    RecentPost,
    Transient,
)
from keryx.networks.http import HttpSeam
from keryx.networks.text import find_mentions, find_urls, graphemes
from keryx.networks.times import parse_iso_time

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_MAX_MEDIA = 4
DEFAULT_URL_LENGTH = 23
ALT_TEXT_MAX = 1500
# Mastodon's defaults (4.x): images up to 16 MB, video up to 99 MB. The instance may say less.
DEFAULT_IMAGE_TYPES = (
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif"
)
DEFAULT_VIDEO_TYPES = ("video/mp4", "video/webm", "video/quicktime")
DEFAULT_IMAGE_LIMIT = 16 * 1024 * 1024
DEFAULT_VIDEO_LIMIT = 99 * 1024 * 1024
OAUTH_SCOPES = "read write"
# A status posted for a request cannot be older than its scheduled time, but clocks differ.
LOOKUP_MARGIN = timedelta(minutes=5)
LOOKUP_PAGES = 5
MEDIA_PROCESSING_TIMEOUT = 120.0
# Mastodon keeps an Idempotency-Key "for up to 1 hour" (API docs); a margin for clock skew.
IDEMPOTENCY_WINDOW = timedelta(minutes=50)


def normalize_instance_url(value: str) -> str:
    """"mastodon.social", "https://mastodon.social/" -> "https://mastodon.social".

    Raises ValueError with a readable reason for anything that is not a server address."""
    value = (value or "").strip()
    if not value:
        raise ValueError("Enter the address of your Mastodon server, e.g. mastodon.social.")
    if "://" not in value:
        value = "https://" + value.lstrip("@/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"}:
        raise ValueError(f"The server address must start with https:// (got {parts.scheme}://).")
    if not parts.hostname or " " in value or "@" in parts.netloc:
        raise ValueError(f"{value!r} is not a server address.")
    if parts.query or parts.fragment or parts.path.strip("/"):
        raise ValueError("Enter only the server address (e.g. https://mastodon.social), no path.")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r} has an invalid port.") from exc
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def mastodon_length(text: str, url_length: int = DEFAULT_URL_LENGTH) -> int:
    """Characters as Mastodon counts them: grapheme clusters, every URL as `url_length`,
    a remote mention @user@domain as @user."""
    pieces: list[tuple[int, int, int]] = []  # (start, end, counted length)
    for span in find_urls(text):
        pieces.append((span.start, span.end, url_length))
    urls = list(pieces)
    for span in find_mentions(text):
        if span.domain and all(span.end <= s or span.start >= e for s, e, _ in urls):
            pieces.append((span.start, span.end, graphemes("@" + span.value)))
    pieces.sort()
    total, cursor = 0, 0
    for start, end, counted in pieces:
        total += graphemes(text[cursor:start]) + counted
        cursor = end
    return total + graphemes(text[cursor:])


_TAG = regex.compile(r"<[^>]*>")
_BREAK = regex.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", regex.IGNORECASE)


def html_to_text(content: str) -> str:
    """A status's HTML as plain text: Mastodon wraps paragraphs, links mentions and hides
    URL parts in invisible spans, but the text nodes keep every character."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content or "")))


def comparable(text: str) -> str:
    """Normalised for matching a sent text against what the server shows: whitespace collapsed,
    @user@domain reduced to @user (Mastodon renders local-looking mentions)."""
    spans = [s for s in find_mentions(text) if s.domain]
    for span in reversed(spans):
        text = text[: span.start] + "@" + span.value + text[span.end :]
    return " ".join(text.split())


def follow_ups(request: PublishRequest) -> list[str]:
    """The replies a request makes after its root: the thread's parts, then the first comment."""
    texts = [str(part) for part in request.options.get("thread") or []]
    first_comment = request.options.get("first_comment")
    if first_comment:
        texts.append(str(first_comment))
    return texts


class MastodonProvider:
    network: ClassVar[str] = "mastodon"
    display_name: ClassVar[str] = "Mastodon"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=DEFAULT_MAX_CHARACTERS,
        counting="mastodon",
        media=MediaRules(
            max_items=DEFAULT_MAX_MEDIA,
            image_types=frozenset(DEFAULT_IMAGE_TYPES),
            max_image_bytes=DEFAULT_IMAGE_LIMIT,
            video_types=frozenset(DEFAULT_VIDEO_TYPES),
            max_video_bytes=DEFAULT_VIDEO_LIMIT,
            alt_text=True,
            alt_text_max=ALT_TEXT_MAX,
            mix_images_and_video=False,
        ),
        content_warning=True,
        threads=True,
        first_comment=True,
        idempotent_publish=True,
        metrics=True,
        connect="oauth2",
    )

    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.credentials = context.credentials
        self.settings = context.settings
        self.http = HttpSeam(timeout=context.timeout, allow_private=context.allow_private)

    # -- plumbing --------------------------------------------------------------------------

    @property
    def instance(self) -> str:
        instance = self.settings.get("instance")
        if not instance:
            raise Disconnected("This Mastodon channel has no server address; connect it again.")
        return str(instance).rstrip("/")

    def _headers(self) -> dict[str, str]:
        token = self.credentials.get("access_token")
        if not token:
            raise AuthExpired("No access token stored for this Mastodon channel.")
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        response = self.http.request(method, self.instance + path, headers=headers, **kwargs)
        return response

    @staticmethod
    def _json(response: Any) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise Transient(
                f"The server answered {response.status_code} with something that is not JSON."
            ) from exc

    # -- validation (pure) -----------------------------------------------------------------

    def _limits(self) -> dict[str, Any]:
        s = self.settings
        mime = s.get("supported_mime_types") or [*DEFAULT_IMAGE_TYPES, *DEFAULT_VIDEO_TYPES]
        return {
            "max_characters": int(s.get("max_characters") or DEFAULT_MAX_CHARACTERS),
            "max_media": int(s.get("max_media") or DEFAULT_MAX_MEDIA),
            "url_length": int(s.get("characters_reserved_per_url") or DEFAULT_URL_LENGTH),
            "mime_types": set(mime),
            "image_size_limit": int(s.get("image_size_limit") or DEFAULT_IMAGE_LIMIT),
            "video_size_limit": int(s.get("video_size_limit") or DEFAULT_VIDEO_LIMIT),
        }

    def validate(self, request: PublishRequest) -> list[Problem]:
        limits = self._limits()
        problems: list[Problem] = []
        length = mastodon_length(request.text, limits["url_length"]) + mastodon_length(
            request.content_warning, limits["url_length"]
        )
        if length > limits["max_characters"]:
            problems.append(
                Problem(
                    "too_long",
                    f"The text is {length} characters long; this Mastodon server allows "
                    f"{limits['max_characters']} (content warning included, links count as "
                    f"{limits['url_length']}).",
                    params={"length": length, "limit": limits["max_characters"]},
                )
            )
        if not request.text.strip() and not request.media:
            problems.append(Problem("empty", "A Mastodon post needs text or media."))
        problems.extend(self._follow_up_problems(request, limits))
        media = request.media
        if len(media) > limits["max_media"]:
            problems.append(
                Problem(
                    "too_many_media",
                    f"{len(media)} attachments; Mastodon allows at most {limits['max_media']}.",
                    field="media",
                    params={"count": len(media), "limit": limits["max_media"]},
                )
            )
        kinds = {item.mime_type.split("/", 1)[0] for item in media}
        if "video" in kinds and len(media) > 1:
            problems.append(
                Problem(
                    "mixed_media",
                    "Mastodon accepts one video on its own, not together with other media.",
                    field="media",
                )
            )
        for index, item in enumerate(media):
            name = Path(item.path).name or f"#{index + 1}"
            if item.mime_type not in limits["mime_types"]:
                problems.append(
                    Problem(
                        "media_type",
                        f"{name}: this Mastodon server does not accept {item.mime_type or 'this'} "
                        "files.",
                        field="media",
                        params={"index": index, "mime_type": item.mime_type},
                    )
                )
                continue
            limit = (
                limits["video_size_limit"]
                if item.mime_type.startswith("video/")
                else limits["image_size_limit"]
            )
            if item.size > limit:
                problems.append(
                    Problem(
                        "media_too_large",
                        f"{name} is {item.size / 1048576:.1f} MB; this Mastodon server accepts up "
                        f"to {limit / 1048576:.0f} MB.",
                        field="media",
                        params={"index": index, "size": item.size, "limit": limit},
                    )
                )
            alt_length = graphemes(item.alt_text)
            if alt_length > ALT_TEXT_MAX:
                problems.append(
                    Problem(
                        "alt_text_too_long",
                        f"The alt text of {name} is {alt_length} characters; Mastodon allows "
                        f"{ALT_TEXT_MAX}.",
                        field="media",
                        params={"index": index, "length": alt_length, "limit": ALT_TEXT_MAX},
                    )
                )
        return problems

    @staticmethod
    def _follow_up_problems(request: PublishRequest, limits: dict[str, Any]) -> list[Problem]:
        """Each reply of a thread (and the first comment) is a status of its own, under the
        same content warning as the root."""
        problems: list[Problem] = []
        parts = [(str(p), "thread", f"Thread post {i + 2}")
                 for i, p in enumerate(request.options.get("thread") or [])]
        if request.options.get("first_comment"):
            parts.append((str(request.options["first_comment"]), "first_comment",
                          "The first comment"))
        cw = mastodon_length(request.content_warning, limits["url_length"])
        for text, field_name, label in parts:
            length = mastodon_length(text, limits["url_length"]) + cw
            if not text.strip():
                problems.append(Problem("empty", f"{label} is empty.", field=field_name))
            elif length > limits["max_characters"]:
                problems.append(Problem(
                    "too_long",
                    f"{label} is {length} characters long; this Mastodon server allows "
                    f"{limits['max_characters']} (content warning included, links count as "
                    f"{limits['url_length']}).",
                    field=field_name,
                    params={"length": length, "limit": limits["max_characters"]}))
        return problems

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        account = self._json(self._call("GET", "/api/v1/accounts/verify_credentials"))
        if not isinstance(account, dict) or "id" not in account:
            raise Transient("The server's answer does not look like a Mastodon account.")
        settings: dict[str, Any] = {"instance": self.instance, "account_id": str(account["id"])}
        settings.update(self.instance_settings())
        domain = settings.get("domain") or urlsplit(self.instance).netloc
        username = account.get("username") or account.get("acct", "")
        return AccountInfo(
            remote_id=str(account["id"]),
            handle=f"@{username}@{domain}",
            display_name=account.get("display_name") or username,
            url=account.get("url") or "",
            settings=settings,
        )

    def instance_settings(self) -> dict[str, Any]:
        """The server's limits from /api/v2/instance (v1 on servers older than 4.0)."""
        response = self.http.request(
            "GET", self.instance + "/api/v2/instance", check_status=False
        )
        if response.status_code == 404:
            response = self.http.request("GET", self.instance + "/api/v1/instance")
        elif response.status_code >= 400:
            self.http.request("GET", self.instance + "/api/v2/instance")  # raises, classified
        data = self._json(response)
        config = data.get("configuration") or {}
        statuses = config.get("statuses") or {}
        media = config.get("media_attachments") or {}
        domain = data.get("domain") or data.get("uri") or ""
        result: dict[str, Any] = {
            "domain": str(domain),
            "max_characters": int(statuses.get("max_characters") or DEFAULT_MAX_CHARACTERS),
            "max_media": int(statuses.get("max_media_attachments") or DEFAULT_MAX_MEDIA),
            "characters_reserved_per_url": int(
                statuses.get("characters_reserved_per_url") or DEFAULT_URL_LENGTH
            ),
        }
        if media.get("supported_mime_types"):
            result["supported_mime_types"] = list(media["supported_mime_types"])
        for key in ("image_size_limit", "video_size_limit"):
            if media.get(key):
                result[key] = int(media[key])
        return result

    # -- publishing ------------------------------------------------------------------------

    @classmethod
    def new_idempotency_key(cls) -> str:
        return uuid.uuid4().hex

    def _upload(self, item: Any) -> str:
        path = Path(item.path)
        with path.open("rb") as handle:
            # An upload is not a post: repeating it after a timeout leaves at most an unused
            # attachment, which Mastodon deletes by itself. So it is safe to repeat.
            response = self._call(
                "POST",
                "/api/v2/media",
                files={"file": (path.name, handle, item.mime_type)},
                data={"description": item.alt_text} if item.alt_text else {},
                safe_to_repeat=True,
            )
        media = self._json(response)
        media_id = str(media["id"])
        deadline = time.monotonic() + MEDIA_PROCESSING_TIMEOUT
        delay = 0.5
        # 202: accepted, still processing (video, large images); usable once `url` is set.
        while response.status_code == 202 or not media.get("url"):
            if time.monotonic() > deadline:
                raise Transient(f"The server is still processing {path.name}; try again later.")
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
            response = self._call("GET", f"/api/v1/media/{media_id}")
            media = self._json(response)
            if response.status_code == 200 and media.get("url"):
                break
        return media_id

    def publish(self, request: PublishRequest) -> PublishResult:
        if not request.idempotency_key:
            raise ValueError("A Mastodon publish needs the target's idempotency key.")
        media_ids = [self._upload(item) for item in request.media]
        data: dict[str, Any] = {"status": request.text}
        if request.content_warning:
            data["spoiler_text"] = request.content_warning
        if media_ids:
            data["media_ids[]"] = media_ids
        for option in ("visibility", "language", "sensitive"):
            if option in request.options:
                value = request.options[option]
                data[option] = ("true" if value else "false") if isinstance(value, bool) else value
        response = self._call(
            "POST",
            "/api/v1/statuses",
            data=data,
            headers={"Idempotency-Key": request.idempotency_key},
        )
        status = self._json(response)
        result = self._result(status)
        texts = follow_ups(request)
        if not texts:
            return result
        # The root is out: whatever happens to the replies must not make the engine retry
        # the post as failed. They are reported on the result instead.
        replies, error = self._chain(request, status, texts)
        raw: dict[str, Any] = {**result.raw, "replies": replies}
        if error:
            raw["follow_up_error"] = error
        return PublishResult(remote_id=result.remote_id, url=result.url,
                             published_at=result.published_at, raw=raw)

    def _chain(self, request: PublishRequest, root: dict[str, Any],
               texts: list[str]) -> tuple[list[str], str]:
        """Post `texts` as replies, each to the one before. Reply n has the fixed key
        f"{key}-{n}", so a retry gets back the replies already made and adds only the rest."""
        data: dict[str, Any] = {
            # As the root: a public thread stays public, a followers-only one stays so.
            "visibility": root.get("visibility") or request.options.get("visibility") or "",
        }
        if request.content_warning:
            data["spoiler_text"] = request.content_warning
        if request.options.get("language"):
            data["language"] = request.options["language"]
        data = {k: v for k, v in data.items() if v}
        parent = str(root["id"])
        posted: list[str] = []
        for index, text in enumerate(texts, start=1):
            try:
                response = self._call(
                    "POST",
                    "/api/v1/statuses",
                    data={**data, "status": text, "in_reply_to_id": parent},
                    headers={"Idempotency-Key": f"{request.idempotency_key}-{index}"},
                )
                parent = str(self._json(response)["id"])
            except Exception as exc:  # noqa: BLE001 - reported on the result, see publish()
                return posted, getattr(exc, "message", None) or str(exc)
            posted.append(parent)
        return posted, ""

    @staticmethod
    def _result(status: dict[str, Any]) -> PublishResult:
        return PublishResult(
            remote_id=str(status["id"]),
            url=status.get("url") or status.get("uri") or "",
            published_at=parse_iso_time(status.get("created_at")),
            raw={"id": str(status["id"]), "uri": status.get("uri", "")},
        )

    def _account_id(self) -> str:
        account_id = self.settings.get("account_id")
        if account_id:
            return str(account_id)
        account = self._json(self._call("GET", "/api/v1/accounts/verify_credentials"))
        return str(account["id"])

    def _matches(self, status: dict[str, Any], request: PublishRequest) -> bool:
        if comparable(html_to_text(status.get("content", ""))) != comparable(request.text):
            return False
        if comparable(status.get("spoiler_text") or "") != comparable(request.content_warning):
            return False
        return len(status.get("media_attachments") or []) == len(request.media)

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The status made for this request among the account's recent ones, else None.

        Reads back until statuses are older than scheduled_at minus a margin; if that bound
        is not reached within a few pages, it cannot be sure and raises Transient."""
        account_id = self._account_id()
        since = request.scheduled_at - LOOKUP_MARGIN if request.scheduled_at else None
        max_id: str | None = None
        for _ in range(LOOKUP_PAGES):
            params = {"limit": "40", "exclude_reblogs": "true"}
            if max_id:
                params["max_id"] = max_id
            page = self._json(
                self._call("GET", f"/api/v1/accounts/{account_id}/statuses", params=params)
            )
            if not isinstance(page, list):
                raise Transient("The server's list of statuses is not a list.")
            for status in page:
                created = parse_iso_time(status.get("created_at"))
                if since and created and created < since:
                    continue
                if self._matches(status, request):
                    return self._found(status, request)
            oldest = parse_iso_time(page[-1].get("created_at")) if page else None
            if len(page) < 40 or since is None or (oldest and oldest < since):
                # Every status in the window was seen (or, without a bound, the newest page).
                return None
            max_id = str(page[-1]["id"])
        raise Transient("Too many recent statuses to be sure whether the post went out.")

    def _found(self, root: dict[str, Any], request: PublishRequest) -> PublishResult | None:
        """The root found by lookup(), with its replies when the request is a thread.

        A reply still missing makes it None while the server still holds the Idempotency-Keys:
        publish() then gets the root and the replies already made back under their keys and
        posts only the rest. Past that window a second publish would post the root again, so
        the root is the result and the missing replies are reported on it."""
        result = self._result(root)
        texts = follow_ups(request)
        if not texts:
            return result
        context = self._json(self._call("GET", f"/api/v1/statuses/{root['id']}/context"))
        descendants = context.get("descendants") if isinstance(context, dict) else None
        if not isinstance(descendants, list):
            raise Transient("The server's thread of a status is not a list.")
        account_id = str((root.get("account") or {}).get("id") or "")
        replies: list[str] = []
        parent = str(root["id"])
        for text in texts:
            reply = next((s for s in descendants
                          if str(s.get("in_reply_to_id")) == parent
                          and str((s.get("account") or {}).get("id") or "") == account_id
                          and comparable(html_to_text(s.get("content", ""))) == comparable(text)),
                         None)
            if reply is None:
                break
            parent = str(reply["id"])
            replies.append(parent)
        raw: dict[str, Any] = {**result.raw, "replies": replies}
        if len(replies) < len(texts):
            created = parse_iso_time(root.get("created_at"))
            if created is None or datetime.now(UTC) - created < IDEMPOTENCY_WINDOW:
                return None
            raw["follow_up_error"] = (
                f"{len(texts) - len(replies)} of {len(texts)} replies were not posted, and it "
                "is too late to post them without risking a second copy of the post."
            )
        return PublishResult(remote_id=result.remote_id, url=result.url,
                             published_at=result.published_at, raw=raw)

    def delete(self, remote_id: str) -> None:
        try:
            self._call("DELETE", f"/api/v1/statuses/{remote_id}", safe_to_repeat=True)
        except Disconnected as exc:
            if exc.status == 404:
                return  # already gone: deleting is done
            raise

    # -- OAuth (authorization-code flow) ---------------------------------------------------

    normalize_instance = staticmethod(normalize_instance_url)

    @classmethod
    def register_app(
        cls,
        instance: str,
        redirect_uri: str,
        *,
        client_name: str = "Keryx",
        website: str = "",
        timeout: float = 30.0,
        allow_private: tuple[str, ...] = (),
    ) -> dict[str, str]:
        """Register Keryx as an OAuth client on the server: {"client_id", "client_secret"}."""
        http = HttpSeam(timeout=timeout, allow_private=allow_private)
        data = {"client_name": client_name, "redirect_uris": redirect_uri, "scopes": OAUTH_SCOPES}
        if website:
            data["website"] = website
        # Registering twice only leaves an unused app on the server: safe to repeat.
        response = http.request(
            "POST", instance.rstrip("/") + "/api/v1/apps", data=data, safe_to_repeat=True
        )
        body = cls._json(response)
        if not body.get("client_id") or not body.get("client_secret"):
            raise BadContent("The server did not return OAuth client credentials.")
        return {"client_id": body["client_id"], "client_secret": body["client_secret"]}

    @staticmethod
    def authorize_url(instance: str, client_id: str, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": OAUTH_SCOPES,
                "state": state,
            }
        )
        return f"{instance.rstrip('/')}/oauth/authorize?{query}"

    @classmethod
    def exchange_code(
        cls,
        instance: str,
        client: dict[str, str],
        redirect_uri: str,
        code: str,
        *,
        timeout: float = 30.0,
        allow_private: tuple[str, ...] = (),
    ) -> dict[str, str]:
        """Trade an authorization code for credentials: {"access_token"}."""
        http = HttpSeam(timeout=timeout, allow_private=allow_private)
        response = http.request(
            "POST",
            instance.rstrip("/") + "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
                "redirect_uri": redirect_uri,
                "scope": OAUTH_SCOPES,
            },
            # A code works once; a repeated exchange fails cleanly rather than doing harm.
            safe_to_repeat=True,
        )
        token = cls._json(response).get("access_token")
        if not token:
            raise BadContent("The server did not return an access token.")
        return {"access_token": str(token)}

    # -- metrics (keryx.networks.mastodon_metrics) -------------------------------------------

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        return mastodon_metrics.fetch_post_metrics(self._call, remote_id)

    def fetch_channel_metrics(self) -> ChannelMetrics:
        return mastodon_metrics.fetch_channel_metrics(self._call)

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        return mastodon_metrics.list_recent_posts(self._call, self._account_id(), since,
                                                  html_to_text)
