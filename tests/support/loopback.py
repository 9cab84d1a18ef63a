"""A test-only network: a tiny HTTP server on 127.0.0.1 that records every request, and the
provider that talks to it through the real HTTP seam.

The server behaves like a network with idempotency keys (a repeated key answers the first
post, the way Mastodon does) and can be told to misbehave: answer the next requests with an
error status, answer slowly, or store a post and then hold the response (so a worker can be
killed while its request is in flight). Tests read `server.requests` and `server.posts`.

Worker subprocesses load the provider through KERYX_EXTRA_PROVIDERS
("loopback=tests.support.loopback:LoopbackProvider"; see keryx.publishing.dispatcher).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from keryx.networks.base import (
    AccountInfo,
    Capabilities,
    MediaRules,
    Problem,
    ProviderContext,
    PublishRequest,
    PublishResult,
)
from keryx.networks.http import HttpSeam, raise_for_status
from tests.support.httpserver import LocalServer, QuietHandler

# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


@dataclass
class Scripted:
    """One canned answer for the next POST: a status, headers and a JSON body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=lambda: {"error": "scripted failure"})
    # Store the post before answering (a 500 after the write: the outcome is unknown).
    store: bool = False


@dataclass
class SeenRequest:
    method: str
    path: str
    key: str
    text: str
    at: float  # time.time() when the request arrived


class LoopbackServer(LocalServer):
    """Run with `with LoopbackServer() as server:`; `server.url` is its base URL."""

    def __init__(self, *, delay: float = 0.0, hold: float = 0.0) -> None:
        server = self

        class Handler(_Handler):
            loopback = server

        # Many publishing threads connect at once: a deep listen queue, no refused connects.
        super().__init__(Handler, backlog=256)
        self.delay = delay  # seconds before every answer (a network that takes its time)
        self.hold = hold  # seconds to hold a POST after storing it (in-flight at a kill)
        self.lock = threading.Lock()
        self.requests: list[SeenRequest] = []
        self.posts: dict[str, dict[str, Any]] = {}  # idempotency key -> post
        self.script: list[Scripted] = []
        self.token = "loopback-token"

    # -- what tests read ----------------------------------------------------------------------

    def posts_seen(self) -> list[SeenRequest]:
        with self.lock:
            return [r for r in self.requests if r.method == "POST"]

    def key_counts(self) -> Counter[str]:
        return Counter(r.key for r in self.posts_seen())

    def fail_next(self, *answers: Scripted) -> None:
        with self.lock:
            self.script.extend(answers)


class _Handler(QuietHandler):
    loopback: ClassVar[LoopbackServer]
    protocol_version = "HTTP/1.1"

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {self.loopback.token}":
            self.send_json(401, {"error": "The access token is invalid"})
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        server = self.loopback
        with server.lock:
            server.requests.append(SeenRequest("GET", self.path, "", "", time.time()))
        if not self._authorised():
            return
        if self.path.startswith("/posts/by-key/"):
            key = self.path.rsplit("/", 1)[-1]
            with server.lock:
                post = server.posts.get(key)
            if post is None:
                self.send_json(404, {"error": "Record not found"})
            else:
                self.send_json(200, post)
            return
        if self.path == "/me":
            self.send_json(200, {"id": "1", "handle": "loop"})
            return
        self.send_json(404, {"error": "Not found"})

    def do_POST(self) -> None:  # noqa: N802
        server = self.loopback
        arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if len(raw) < length:
            return  # the client died mid-request: nothing was received
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            self.send_json(400, {"error": "Malformed JSON"})
            return
        key = self.headers.get("Idempotency-Key", "")
        with server.lock:
            server.requests.append(
                SeenRequest("POST", self.path, key, payload.get("text", ""), arrived)
            )
            scripted = server.script.pop(0) if server.script else None
        if not self._authorised():
            return
        if server.delay:
            time.sleep(server.delay)
        if scripted is not None and not scripted.store:
            self.send_json(scripted.status, scripted.body, scripted.headers)
            return
        with server.lock:
            post = server.posts.get(key) if key else None
            if post is None:
                remote_id = uuid.uuid4().hex[:12]
                post = {
                    "id": remote_id,
                    "url": f"{server.url}/@loop/{remote_id}",
                    "text": payload.get("text", ""),
                    "content_warning": payload.get("content_warning", ""),
                    "media": payload.get("media", []),
                    "created_at": datetime.now(UTC).isoformat(),
                    "key": key,
                }
                server.posts[key or remote_id] = post
        if scripted is not None:
            self.send_json(scripted.status, scripted.body, scripted.headers)
            return
        if server.hold:
            time.sleep(server.hold)
        self.send_json(200, post)


# ---------------------------------------------------------------------------------------------
# The provider
# ---------------------------------------------------------------------------------------------


class LoopbackProvider:
    """Talks to a LoopbackServer. Channel settings: {"url": server.url}; credentials:
    {"access_token": ...}."""

    network: ClassVar[str] = "loopback"
    display_name: ClassVar[str] = "Loopback"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=500,
        counting="chars",
        media=MediaRules(max_items=4),
        content_warning=True,
        idempotent_publish=True,
        connect="access_token",
    )

    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.base = str(context.settings.get("url", "")).rstrip("/")
        self.seam = HttpSeam(timeout=context.timeout, allow_private=context.allow_private)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.context.credentials.get('access_token', '')}"}

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems = []
        limit = self.capabilities.text_limit
        length = len(request.content_warning) + len(request.text)
        if length > limit:
            problems.append(
                Problem("too_long", f"The text is {length} characters; the limit is {limit}.",
                        params={"length": length, "limit": limit})
            )
        if len(request.media) > self.capabilities.media.max_items:
            problems.append(Problem("too_many_media", "At most 4 images.", "media"))
        return problems

    def verify(self) -> AccountInfo:
        body = self.seam.request("GET", f"{self.base}/me", headers=self._headers()).json()
        return AccountInfo(remote_id=body["id"], handle=body["handle"])

    def publish(self, request: PublishRequest) -> PublishResult:
        payload = {
            "text": request.text,
            "content_warning": request.content_warning,
            "media": [{"path": m.path, "alt": m.alt_text} for m in request.media],
        }
        response = self.seam.request(
            "POST", f"{self.base}/posts", json=payload,
            headers={**self._headers(), "Idempotency-Key": request.idempotency_key},
        )
        return _result(response.json())

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        response = self.seam.request(
            "GET", f"{self.base}/posts/by-key/{request.idempotency_key}",
            headers=self._headers(), check_status=False,
        )
        if response.status_code == 404:
            return None
        raise_for_status(response, sent_unsafe=False)
        return _result(response.json())

    def delete(self, remote_id: str) -> None:
        raise NotImplementedError

    @classmethod
    def new_idempotency_key(cls) -> str:
        return uuid.uuid4().hex


def _result(body: dict[str, Any]) -> PublishResult:
    return PublishResult(
        remote_id=str(body["id"]),
        url=body["url"],
        published_at=datetime.fromisoformat(body["created_at"]),
        raw=body,
    )
