"""Bluesky (AT Protocol) over raw XRPC through the HTTP seam.

Exactly once: the post's record key is a TID that Keryx chooses before the first attempt
(`new_idempotency_key`), so a retried createRecord for the same target cannot make a second post;
the PDS refuses the duplicate and `lookup` reads the record back.

Threads: the parts after the first (options["thread"]) and a first comment
(options["first_comment"]) are replies, each to the one before, with record keys derived from the
root's (`follow_up_key`: same timestamp, clock id advanced by the part's number). A retry after a
crash therefore finds the parts already made (getRecord) and creates only the missing ones, in
order. Once the root is out, a failing part does not fail the post: it is reported on the result
(raw["follow_up_error"]), as on X.

Sessions: an app password opens a session (createSession, rate limited to 30 per 5 minutes), whose
access and refresh JWTs are cached in the channel's credentials. An expired access token is
refreshed (refreshSession); only when the refresh is refused is a new session created.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

from keryx.networks import bluesky_metrics
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
)
from keryx.networks.http import HttpSeam, error_message, raise_for_status
from keryx.networks.text import (
    find_hashtags,
    find_mentions,
    find_urls,
    graphemes,
    utf8_length,
    utf8_offset,
)

DEFAULT_SERVICE = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
APP_URL = "https://bsky.app"

# app.bsky.feed.post: text maxGraphemes 300 and maxLength 3000 (UTF-8 bytes).
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
# app.bsky.embed.images: at most 4 images, each blob image/* up to 2,000,000 bytes (1 MB before
# April 2026; @atproto/pds 0.5.35 enforces 2 MB).
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 2_000_000
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
# app.bsky.richtext.facet#tag: the tag is at most 64 graphemes and 640 bytes.
MAX_TAG_GRAPHEMES = 64
MAX_TAG_BYTES = 640

# XRPC error names that mean "this access token is no longer good, refresh it".
_STALE_TOKEN = {"ExpiredToken", "InvalidToken"}
# ... and those that mean the account itself cannot be used any more.
_ACCOUNT_GONE = {"AccountTakedown", "AccountDeactivated", "AccountNotFound", "RepoNotFound"}

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_tid_lock = threading.Lock()
_tid_last = 0
# A TID's clock id has 10 bits: a thread can have at most this many replies after its root.
MAX_FOLLOW_UPS = 1023


def new_tid() -> str:
    """A TID (atproto timestamp identifier): 53 bits of microseconds since the epoch and a
    10-bit random clock id, in 13 characters of base32-sortable. Never repeats in a process."""
    global _tid_last
    with _tid_lock:
        # Two keys in the same microsecond (or a clock step back) would collide: move forward.
        micros = max(time.time_ns() // 1000, _tid_last + 1)
        _tid_last = micros
    return _tid_string((micros << 10) | secrets.randbelow(1024))


def _tid_value(tid: str) -> int:
    if len(tid) != 13 or any(c not in _TID_ALPHABET for c in tid):
        raise ValueError(f"Not a TID: {tid!r}")
    value = 0
    for char in tid:
        value = value * 32 + _TID_ALPHABET.index(char)
    if value >> 63:
        raise ValueError(f"Not a TID (top bit set): {tid!r}")
    return value


def _tid_string(value: int) -> str:
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def follow_up_key(root_key: str, index: int) -> str:
    """The record key of reply `index` (1 = the first part after the root) of the thread whose
    root has the record key `root_key`: the same timestamp with the clock id advanced by
    `index` (mod 1024). new_tid() never gives two keys the same timestamp in one process, so
    no other post's key (nor its parts') can be one of these."""
    if not 1 <= index <= MAX_FOLLOW_UPS:
        raise ValueError(f"A thread has at most {MAX_FOLLOW_UPS} replies (index {index}).")
    value = _tid_value(root_key)
    micros, clock_id = value >> 10, value & 1023
    return _tid_string((micros << 10) | ((clock_id + index) % 1024))


def follow_ups(request: PublishRequest) -> list[str]:
    """The replies a request makes after its root: the thread's parts, then the first comment."""
    texts = [str(part) for part in request.options.get("thread") or []]
    first_comment = request.options.get("first_comment")
    if first_comment:
        texts.append(str(first_comment))
    return texts


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _xrpc_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return body.get("error", "") if isinstance(body, dict) else ""


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _looks_like_handle(value: str) -> bool:
    # A handle is a domain name: at least two labels.
    labels = value.split(".")
    return len(labels) >= 2 and all(labels)


class BlueskyProvider:
    network: ClassVar[str] = "bluesky"
    display_name: ClassVar[str] = "Bluesky"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=MAX_GRAPHEMES,
        counting="bluesky",
        media=MediaRules(
            max_items=MAX_IMAGES,
            image_types=IMAGE_TYPES,
            max_image_bytes=MAX_IMAGE_BYTES,
            alt_text=True,
            alt_text_max=None,
        ),
        requires_text_or_media=True,
        threads=True,
        first_comment=True,
        idempotent_publish=True,
        metrics=True,
        connect="app_password",
    )
    # Capabilities has one text limit; Bluesky has a second one, in bytes.
    text_max_bytes: ClassVar[int] = MAX_BYTES

    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.credentials: dict[str, Any] = dict(context.credentials)
        service = (
            self.credentials.get("service")
            or context.settings.get("service")
            or DEFAULT_SERVICE
        )
        self.service = str(service).rstrip("/")
        self.http = HttpSeam(timeout=context.timeout, allow_private=context.allow_private)

    # -----------------------------------------------------------------------------------------
    # Validation (pure)
    # -----------------------------------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        text = request.text
        count, size = graphemes(text), utf8_length(text)
        if not text.strip() and not request.media:
            problems.append(Problem("empty", "Write some text or attach an image."))
        if count > MAX_GRAPHEMES:
            problems.append(
                Problem(
                    "text_too_long",
                    f"Bluesky allows {MAX_GRAPHEMES} characters; this text has {count}.",
                    params={"limit": MAX_GRAPHEMES, "count": count},
                )
            )
        if size > MAX_BYTES:
            problems.append(
                Problem(
                    "text_too_many_bytes",
                    f"Bluesky allows {MAX_BYTES} bytes of text (UTF-8); this text has {size}.",
                    params={"limit": MAX_BYTES, "count": size},
                )
            )
        problems.extend(self._follow_up_problems(request))
        if len(request.media) > MAX_IMAGES:
            problems.append(
                Problem(
                    "too_many_media",
                    f"Bluesky allows {MAX_IMAGES} images per post; this post has "
                    f"{len(request.media)}.",
                    field="media",
                    params={"limit": MAX_IMAGES, "count": len(request.media)},
                )
            )
        for index, item in enumerate(request.media):
            params = {"index": index, "path": os.path.basename(item.path)}
            if item.mime_type not in IMAGE_TYPES:
                problems.append(
                    Problem(
                        "media_type",
                        f"Bluesky accepts JPEG, PNG, WebP and GIF images, not {item.mime_type}.",
                        field="media",
                        params={**params, "type": item.mime_type},
                    )
                )
            if item.size > MAX_IMAGE_BYTES:
                problems.append(
                    Problem(
                        "media_too_large",
                        f"Bluesky images may be up to {MAX_IMAGE_BYTES:,} bytes; this one has "
                        f"{item.size:,}.",
                        field="media",
                        params={**params, "limit": MAX_IMAGE_BYTES, "size": item.size},
                    )
                )
        return problems

    @staticmethod
    def _follow_up_problems(request: PublishRequest) -> list[Problem]:
        """Each reply of a thread (and the first comment) is a post of its own, with the same
        limits as the root."""
        problems: list[Problem] = []
        parts = [(str(p), "thread", f"Thread post {i + 2}")
                 for i, p in enumerate(request.options.get("thread") or [])]
        if request.options.get("first_comment"):
            parts.append((str(request.options["first_comment"]), "first_comment",
                          "The first comment"))
        if len(parts) > MAX_FOLLOW_UPS:
            problems.append(Problem(
                "thread_too_long",
                f"Keryx posts at most {MAX_FOLLOW_UPS} replies in a Bluesky thread; this one "
                f"has {len(parts)}.",
                field="thread", params={"limit": MAX_FOLLOW_UPS, "count": len(parts)}))
        for text, field_name, label in parts:
            count, size = graphemes(text), utf8_length(text)
            if not text.strip():
                problems.append(Problem("empty", f"{label} is empty.", field=field_name))
            if count > MAX_GRAPHEMES:
                problems.append(Problem(
                    "text_too_long",
                    f"{label}: Bluesky allows {MAX_GRAPHEMES} characters; it has {count}.",
                    field=field_name, params={"limit": MAX_GRAPHEMES, "count": count}))
            if size > MAX_BYTES:
                problems.append(Problem(
                    "text_too_many_bytes",
                    f"{label}: Bluesky allows {MAX_BYTES} bytes of text (UTF-8); it has {size}.",
                    field=field_name, params={"limit": MAX_BYTES, "count": size}))
        return problems

    # -----------------------------------------------------------------------------------------
    # Sessions
    # -----------------------------------------------------------------------------------------

    def _url(self, nsid: str) -> str:
        return f"{self.service}/xrpc/{nsid}"

    @property
    def _identifier(self) -> str:
        return str(self.credentials.get("identifier") or self.credentials.get("handle") or "")

    def _save(self, session: dict[str, Any]) -> None:
        update = {
            "access_jwt": session["accessJwt"],
            "refresh_jwt": session["refreshJwt"],
            "did": session["did"],
            "handle": session.get("handle", self.credentials.get("handle", "")),
        }
        self.credentials.update(update)
        if self.context.save_credentials is not None:
            self.context.save_credentials(update)

    def _create_session(self) -> dict[str, Any]:
        if not self._identifier or not self.credentials.get("app_password"):
            raise AuthExpired("A Bluesky handle and an app password are needed.")
        response = self.http.request(
            "POST",
            self._url("com.atproto.server.createSession"),
            json={
                "identifier": self._identifier,
                "password": self.credentials["app_password"],
            },
            # No record is written: a repeated login is harmless (only rate limited).
            safe_to_repeat=True,
            check_status=False,
        )
        if response.status_code in (400, 401):
            error = _xrpc_error(response)
            if error in _ACCOUNT_GONE:
                raise Disconnected(error_message(response), status=response.status_code)
            # "Invalid identifier or password", "AuthFactorTokenRequired", ...
            raise AuthExpired(error_message(response), status=response.status_code)
        raise_for_status(response, sent_unsafe=False)
        session = response.json()
        self._save(session)
        return session

    def _refresh_session(self) -> dict[str, Any]:
        refresh_jwt = self.credentials.get("refresh_jwt")
        if refresh_jwt:
            response = self.http.request(
                "POST",
                self._url("com.atproto.server.refreshSession"),
                headers={"Authorization": f"Bearer {refresh_jwt}"},
                safe_to_repeat=True,
                check_status=False,
            )
            if response.status_code < 400:
                session = response.json()
                self._save(session)
                return session
            if _xrpc_error(response) in _ACCOUNT_GONE:
                raise Disconnected(error_message(response), status=response.status_code)
            if response.status_code not in (400, 401):
                raise_for_status(response, sent_unsafe=False)
        # No refresh token, or it was refused (expired, revoked): log in again.
        return self._create_session()

    def _ensure_session(self) -> None:
        if not self.credentials.get("access_jwt") or not self.credentials.get("did"):
            self._refresh_session()

    @property
    def did(self) -> str:
        self._ensure_session()
        return str(self.credentials["did"])

    def _call(
        self,
        method: str,
        nsid: str,
        *,
        safe_to_repeat: bool | None = None,
        check_status: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """An authenticated XRPC call. A stale access token is refreshed once and the call sent
        again: the PDS refused the first one before acting on it, so repeating it is safe."""
        self._ensure_session()
        extra_headers = kwargs.pop("headers", {})
        for attempt in range(2):
            headers = {**extra_headers, "Authorization": f"Bearer {self.credentials['access_jwt']}"}
            response = self.http.request(
                method,
                self._url(nsid),
                headers=headers,
                safe_to_repeat=safe_to_repeat,
                check_status=False,
                **kwargs,
            )
            error = _xrpc_error(response) if response.status_code in (400, 401) else ""
            if error in _STALE_TOKEN:
                if attempt == 0:
                    self._refresh_session()
                    continue
                raise AuthExpired(error_message(response), status=response.status_code)
            if error in _ACCOUNT_GONE:
                raise Disconnected(error_message(response), status=response.status_code)
            break
        if check_status:
            raise_for_status(response, sent_unsafe=not (safe_to_repeat or method == "GET"))
        return response

    # -----------------------------------------------------------------------------------------
    # Provider interface
    # -----------------------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        if self.credentials.get("access_jwt"):
            session = self._call("GET", "com.atproto.server.getSession").json()
        else:
            session = self._create_session()
        handle = session.get("handle", "")
        return AccountInfo(
            remote_id=session["did"],
            handle=handle,
            display_name=handle,
            url=f"{APP_URL}/profile/{handle}",
            settings={"service": self.service},
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        # The PDS stores whatever bytes it is sent under the declared type, so a text file
        # named photo.png would become a broken image post: check the files' own signatures.
        problems = self.validate(request) or _content_problems(request)
        if problems:
            raise BadContent("; ".join(p.message for p in problems), problems=problems)
        rkey = request.idempotency_key or self.new_idempotency_key()
        record: dict[str, Any] = {"$type": POST_COLLECTION, "text": request.text,
                                  "createdAt": _now()}
        facets = self._facets(request.text)
        if facets:
            record["facets"] = facets
        if request.media:
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [self._image(item) for item in request.media],
            }
        elif request.options.get("external"):
            # A link card (the client builds it on Bluesky); images take precedence.
            record["embed"] = self._external(request.options["external"])
        langs = request.options.get("langs")
        if langs:
            record["langs"] = list(langs)[:3]
        root, existed = self._put(rkey, record)
        result = self._result(root["uri"], root["cid"], root["createdAt"])
        texts = follow_ups(request)
        if not texts:
            return result
        # The root is out: whatever happens to the replies must not make the engine retry
        # the post as failed. They are reported on the result instead.
        raw: dict[str, Any] = dict(result.raw)
        replies, error = self._chain(rkey, root, texts, langs=record.get("langs"),
                                     look_first=existed)
        raw["replies"] = replies
        if error:
            raw["follow_up_error"] = error
        return PublishResult(remote_id=result.remote_id, url=result.url,
                             published_at=result.published_at, raw=raw)

    def _put(self, rkey: str, record: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create the record under its own key, or find it made by an earlier attempt.
        Returns ({"uri", "cid", "createdAt"}, whether it already existed)."""
        response = self._call(
            "POST",
            "com.atproto.repo.createRecord",
            json={
                "repo": self.did,
                "collection": POST_COLLECTION,
                "rkey": rkey,
                "record": record,
                "validate": True,
            },
            # A timeout still says OutcomeUnknown: the engine reconciles with lookup() first.
            safe_to_repeat=False,
            check_status=False,
        )
        if response.status_code == 400 or response.status_code >= 500:
            # The PDS answers a record key that is already taken with a 500 (a unique constraint
            # in its database), so any failure may mean "an earlier attempt got through".
            existing = self._get(rkey)
            if existing is not None:
                return existing, True
            # The record certainly does not exist, and the record key makes a retry safe.
            raise_for_status(response, sent_unsafe=False)
        raise_for_status(response, sent_unsafe=True)
        body = response.json()
        return {"uri": body["uri"], "cid": body.get("cid", ""),
                "createdAt": record["createdAt"]}, False

    def _get(self, rkey: str) -> dict[str, Any] | None:
        """Our post with this record key ({"uri", "cid", "createdAt", "text"}), or None."""
        response = self.http.request(
            "GET",
            self._url("com.atproto.repo.getRecord"),
            params={"repo": self.did, "collection": POST_COLLECTION, "rkey": rkey},
            check_status=False,
        )
        if response.status_code == 400 and _xrpc_error(response) == "RecordNotFound":
            return None
        raise_for_status(response, sent_unsafe=False)
        body = response.json()
        value = body.get("value") or {}
        return {"uri": body["uri"], "cid": body.get("cid", ""),
                "createdAt": value.get("createdAt"), "text": value.get("text", "")}

    def _chain(self, root_key: str, root: dict[str, Any], texts: list[str], *,
               langs: list[str] | None, look_first: bool) -> tuple[list[str], str]:
        """Post `texts` as replies, each to the one before. With `look_first` (the root was
        already there: a retry) each part is first looked up under its key, until one is
        missing; parts are made in order, so every later one is missing too."""
        root_ref = {"uri": root["uri"], "cid": root["cid"]}
        parent = root_ref
        posted: list[str] = []
        for index, text in enumerate(texts, start=1):
            key = follow_up_key(root_key, index)
            try:
                found = self._get(key) if look_first else None
                if found is None:
                    look_first = False
                    record: dict[str, Any] = {
                        "$type": POST_COLLECTION, "text": text, "createdAt": _now(),
                        "reply": {"root": root_ref, "parent": parent},
                    }
                    facets = self._facets(text)
                    if facets:
                        record["facets"] = facets
                    if langs:
                        record["langs"] = list(langs)
                    found, _ = self._put(key, record)
            except Exception as exc:  # noqa: BLE001 - reported on the result, see publish()
                return posted, getattr(exc, "message", None) or str(exc)
            parent = {"uri": found["uri"], "cid": found["cid"]}
            posted.append(found["uri"])
        return posted, ""

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The post made for this request, else None. For a thread, None also when a reply is
        still missing: publish() then finds the root and the replies already made under their
        keys and creates only the rest."""
        if not request.idempotency_key:
            return None
        root = self._get(request.idempotency_key)
        if root is None:
            return None
        result = self._result(root["uri"], root["cid"], root["createdAt"])
        texts = follow_ups(request)
        if not texts:
            return result
        replies = []
        for index in range(1, len(texts) + 1):
            found = self._get(follow_up_key(request.idempotency_key, index))
            if found is None:
                return None
            replies.append(found["uri"])
        return PublishResult(remote_id=result.remote_id, url=result.url,
                             published_at=result.published_at,
                             raw={**result.raw, "replies": replies})

    def delete(self, remote_id: str) -> None:
        repo, collection, rkey = _split_uri(remote_id)
        self._call(
            "POST",
            "com.atproto.repo.deleteRecord",
            json={"repo": repo, "collection": collection, "rkey": rkey},
            # Deleting an already deleted record is a no-op on the PDS.
            safe_to_repeat=True,
        )

    @classmethod
    def new_idempotency_key(cls) -> str:
        return new_tid()

    # -----------------------------------------------------------------------------------------
    # Helpers
    # -----------------------------------------------------------------------------------------

    def _result(self, uri: str, cid: str, created_at: str | None) -> PublishResult:
        _, _, rkey = _split_uri(uri)
        handle = self.credentials.get("handle") or self.credentials.get("did")
        return PublishResult(
            remote_id=uri,
            url=f"{APP_URL}/profile/{handle}/post/{rkey}",
            published_at=_parse_time(created_at),
            raw={"uri": uri, "cid": cid},
        )

    def _image(self, item: Any) -> dict[str, Any]:
        data = Path(item.path).read_bytes()
        response = self._call(
            "POST",
            "com.atproto.repo.uploadBlob",
            content=data,
            headers={"Content-Type": item.mime_type},
            # Blobs are content-addressed: uploading the same bytes twice stores one blob.
            safe_to_repeat=True,
        )
        image: dict[str, Any] = {"image": response.json()["blob"], "alt": item.alt_text or ""}
        if item.width and item.height:
            image["aspectRatio"] = {"width": int(item.width), "height": int(item.height)}
        return image

    def _external(self, card: dict[str, Any]) -> dict[str, Any]:
        """app.bsky.embed.external from {"uri", "title", "description", "thumb_path",
        "thumb_mime"}; the thumbnail (at most 1,000,000 bytes, per the lexicon) is uploaded as a
        blob, and left out if it is missing or too large rather than failing the post."""
        external: dict[str, Any] = {
            "uri": str(card["uri"]),
            "title": str(card.get("title") or ""),
            "description": str(card.get("description") or ""),
        }
        path = card.get("thumb_path")
        if path and os.path.exists(path) and os.path.getsize(path) <= 1_000_000:
            response = self._call(
                "POST",
                "com.atproto.repo.uploadBlob",
                content=Path(path).read_bytes(),
                headers={"Content-Type": str(card.get("thumb_mime") or "image/jpeg")},
                safe_to_repeat=True,
            )
            external["thumb"] = response.json()["blob"]
        return {"$type": "app.bsky.embed.external", "external": external}

    def _resolve_handle(self, handle: str) -> str | None:
        response = self.http.request(
            "GET",
            self._url("com.atproto.identity.resolveHandle"),
            params={"handle": handle},
            check_status=False,
        )
        if response.status_code == 400:
            return None  # No such account: the mention stays plain text.
        raise_for_status(response, sent_unsafe=False)
        did = response.json().get("did")
        return did if isinstance(did, str) else None

    def _facets(self, text: str) -> list[dict[str, Any]]:
        """Rich text the server does not detect: links, mentions and hashtags, each indexed by
        UTF-8 byte offsets (byteStart inclusive, byteEnd exclusive)."""
        facets: list[tuple[int, dict[str, Any]]] = []

        def add(start: int, end: int, feature: dict[str, Any]) -> None:
            index = {"byteStart": utf8_offset(text, start), "byteEnd": utf8_offset(text, end)}
            facets.append((start, {"index": index, "features": [feature]}))

        for span in find_urls(text):
            add(span.start, span.end, {"$type": "app.bsky.richtext.facet#link", "uri": span.value})
        resolved: dict[str, str | None] = {}
        for span in find_mentions(text):
            # "@user@instance" is a fediverse address, not a Bluesky handle.
            if span.domain or not _looks_like_handle(span.value):
                continue
            handle = span.value.lower()
            if handle not in resolved:
                resolved[handle] = self._resolve_handle(handle)
            did = resolved[handle]
            if did:
                add(span.start, span.end, {"$type": "app.bsky.richtext.facet#mention", "did": did})
        for span in find_hashtags(text):
            tag = span.value
            if graphemes(tag) > MAX_TAG_GRAPHEMES or utf8_length(tag) > MAX_TAG_BYTES:
                continue  # The lexicon would refuse the whole post; the word stays plain text.
            add(span.start, span.end, {"$type": "app.bsky.richtext.facet#tag", "tag": tag})
        return [facet for _, facet in sorted(facets, key=lambda pair: pair[0])]

    # -- metrics (keryx.networks.bluesky_metrics) --------------------------------------------

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        return bluesky_metrics.fetch_post_metrics(self._call, remote_id)

    def fetch_channel_metrics(self) -> ChannelMetrics:
        return bluesky_metrics.fetch_channel_metrics(self._call, self.did)

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        return bluesky_metrics.list_recent_posts(
            self._call, self.did, str(self.credentials.get("handle") or ""), since)


def _signature_matches(mime_type: str, head: bytes) -> bool:
    if mime_type == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if mime_type == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if mime_type == "image/gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if mime_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return False


def _content_problems(request: PublishRequest) -> list[Problem]:
    """Media whose bytes are not what their type says (or that cannot be read)."""
    problems = []
    for index, item in enumerate(request.media):
        params = {"index": index, "path": os.path.basename(item.path), "type": item.mime_type}
        try:
            with open(item.path, "rb") as handle:
                head = handle.read(16)
        except OSError:
            problems.append(
                Problem("media_missing", "The media file cannot be read.", "media", params)
            )
            continue
        if not _signature_matches(item.mime_type, head):
            problems.append(
                Problem(
                    "media_content",
                    f"The file is not a valid {item.mime_type} image.",
                    "media",
                    params,
                )
            )
    return problems


def _split_uri(uri: str) -> tuple[str, str, str]:
    """at://did/collection/rkey -> (did, collection, rkey)."""
    if not uri.startswith("at://"):
        raise ValueError(f"Not an at:// URI: {uri!r}")
    parts = uri[len("at://") :].split("/")
    if len(parts) != 3:
        raise ValueError(f"Not a record URI: {uri!r}")
    return parts[0], parts[1], parts[2]
