"""A test-only OAuth 2.0 network, "loopnet": its provider (through the real HTTP seam) and a
tiny HTTP server on 127.0.0.1 acting as its authorization server and API.

The server is strict the way real ones are: the token endpoint checks the client id and secret
(HTTP Basic), the redirect URI, that the code is single-use, and the PKCE code_verifier against
the S256 challenge sent to /authorize; refresh tokens can be revoked. Tests read `server.log`.

The provider is also the contract suite's reference kit (tests/networks/kits/loopnet.py), where
respx stands in for the server.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import uuid
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from keryx.networks import oauth2
from keryx.networks.base import (
    AccountInfo,
    Capabilities,
    ConnectField,
    MediaRules,
    OAuth2Spec,
    Problem,
    ProviderContext,
    PublishRequest,
    PublishResult,
    TokenSet,
)
from keryx.networks.http import HttpSeam
from keryx.networks.text import graphemes
from tests.support.httpserver import LocalServer, QuietHandler

TEXT_LIMIT = 280


class LoopnetProvider:
    network: ClassVar[str] = "loopnet"
    display_name: ClassVar[str] = "Loopnet"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=TEXT_LIMIT, counting="chars", media=MediaRules(max_items=4)
    )
    default_api_base: ClassVar[str] = "https://api.loopnet.test"
    default_oauth_base: ClassVar[str] = "https://auth.loopnet.test"
    oauth: ClassVar[OAuth2Spec] = OAuth2Spec(
        authorize_path="/authorize",
        token_path="/token",
        scopes=("post.write", "profile.read", "offline"),
        client_auth="basic",
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField("page_id", "Page id", store="settings", help="The page to post on."),
    )
    daily_post_cap: ClassVar[int | None] = 3

    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.seam = HttpSeam(timeout=context.timeout, allow_private=context.allow_private)
        self.api = (context.api_base or self.default_api_base).rstrip("/")
        self.oauth_base = (context.oauth_base or self.default_oauth_base).rstrip("/")

    # -- helpers --------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.context.credentials.get('access_token', '')}"}

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.seam.request(method, self.api + path, headers=self._headers(), **kwargs)
        return response.json() if response.content else {}

    # -- the provider interface ------------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems = []
        if graphemes(request.text) > TEXT_LIMIT:
            problems.append(Problem("text_too_long", f"Longer than {TEXT_LIMIT} characters."))
        if len(request.media) > self.capabilities.media.max_items:
            problems.append(Problem("too_many_media", "Too many images.", field="media"))
        return problems

    def verify(self) -> AccountInfo:
        me = self._json("GET", "/me")
        return AccountInfo(remote_id=str(me["id"]), handle=me["username"],
                           display_name=me.get("name", ""))

    @classmethod
    def new_idempotency_key(cls) -> str:
        return uuid.uuid4().hex

    def publish(self, request: PublishRequest) -> PublishResult:
        media_ids = []
        for item in request.media:
            with open(item.path, "rb") as handle:
                files = {"file": (Path(item.path).name, handle.read(), item.mime_type)}
            media_ids.append(self._json("POST", "/media", files=files)["media_id"])
        body = {"text": request.text, "media_ids": media_ids,
                "page_id": self.context.settings.get("page_id", ""),
                "client_ref": request.idempotency_key}
        post = self._json("POST", "/posts", json=body)
        return PublishResult(remote_id=str(post["id"]), url=post["url"])

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        for post in self._json("GET", "/posts")["data"]:
            if post.get("client_ref") == request.idempotency_key:
                return PublishResult(remote_id=str(post["id"]), url=post["url"])
        return None

    def delete(self, remote_id: str) -> None:
        self._json("DELETE", f"/posts/{remote_id}")

    def _token_url(self) -> str:
        return oauth2.endpoint(self.oauth_base, self.oauth.token_path)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        return oauth2.token_request(
            self.seam, self.oauth, self._token_url(),
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
             "code_verifier": code_verifier},
            client_id=self.context.client_id, client_secret=self.context.client_secret,
        )

    def refresh(self) -> TokenSet:
        old = self.context.credentials.get("refresh_token", "")
        return oauth2.token_request(
            self.seam, self.oauth, self._token_url(),
            {"grant_type": "refresh_token", "refresh_token": old},
            client_id=self.context.client_id, client_secret=self.context.client_secret,
            keep_refresh_token=old,
        )


# -------------------------------------------------------------------------------------------------
# The server
# -------------------------------------------------------------------------------------------------


class LoopnetServer(LocalServer):
    """`with LoopnetServer(client_id, client_secret) as server:`; `server.url` is its base."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        server = self

        class Handler(_Handler):
            owner = server

        super().__init__(Handler)
        self.client_id = client_id
        self.client_secret = client_secret
        self.lock = threading.Lock()
        self.log: list[dict[str, Any]] = []
        # code -> {challenge, redirect_uri, user}
        self.codes: dict[str, dict[str, str]] = {}
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        # Send a new refresh token on refresh (rotation) or not (keep the old one).
        self.rotate_refresh = False
        self.account = {"id": "4242", "username": "loopy", "name": "Loopy"}
        self.posts: list[dict[str, Any]] = []
        # The code exchange answers with a refresh token (some networks send none).
        self.code_refresh = True

    def issue_tokens(self, with_refresh: bool = True) -> dict[str, Any]:
        access = "at-" + secrets.token_hex(8)
        self.access_tokens.add(access)
        body: dict[str, Any] = {"access_token": access, "token_type": "bearer",
                                "expires_in": 7200, "scope": "post.write profile.read offline"}
        if with_refresh:
            refresh = "rt-" + secrets.token_hex(8)
            self.refresh_tokens.add(refresh)
            body["refresh_token"] = refresh
        return body

    def authorize(self, query: str) -> str:
        """What the user's browser gets from /authorize after "Allow": the redirect URL."""
        params = {k: v[0] for k, v in parse_qs(query).items()}
        code = "code-" + secrets.token_hex(8)
        with self.lock:
            self.codes[code] = {
                "challenge": params.get("code_challenge", ""),
                "method": params.get("code_challenge_method", ""),
                "redirect_uri": params["redirect_uri"],
                "client_id": params["client_id"],
            }
        return f"{params['redirect_uri']}?code={code}&state={params['state']}"


class _Handler(QuietHandler):
    owner: ClassVar[LoopnetServer]
    protocol_version = "HTTP/1.1"

    def _record(self, form: dict[str, str]) -> None:
        with self.owner.lock:
            self.owner.log.append({"method": self.command, "path": self.path, "form": form,
                                   "authorization": self.headers.get("Authorization", "")})

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        self._record({k: v[0] for k, v in parse_qs(parts.query).items()})
        if parts.path == "/authorize":
            # The user clicks "Allow" at once: send the browser back with a code.
            self.send_response(302)
            self.send_header("Location", self.owner.authorize(parts.query))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.owner.access_tokens:
            self.send_json(401, {"error": "invalid_token", "error_description": "Token revoked"})
            return
        if parts.path == "/me":
            self.send_json(200, self.owner.account)
            return
        self.send_json(404, {"error": "not_found"})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode(errors="replace") if length else ""
        path = urlsplit(self.path).path
        if path == "/posts":
            self._record({})
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.owner.access_tokens:
                self.send_json(401, {"error": "invalid_token",
                                 "error_description": "Access token expired"})
                return
            post_id = secrets.token_hex(4)
            with self.owner.lock:
                self.owner.posts.append({"id": post_id, **json.loads(raw or "{}")})
            self.send_json(201, {"id": post_id, "url": f"https://loopnet.test/p/{post_id}"})
            return
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        self._record(form)
        if path != "/token":
            self.send_json(404, {"error": "not_found"})
            return
        owner = self.owner
        expected = "Basic " + base64.b64encode(
            f"{owner.client_id}:{owner.client_secret}".encode()
        ).decode()
        if self.headers.get("Authorization") != expected:
            self.send_json(401, {"error": "invalid_client",
                             "error_description": "Client authentication failed"})
            return
        with owner.lock:
            if form.get("grant_type") == "authorization_code":
                grant = owner.codes.pop(form.get("code", ""), None)
                if grant is None:
                    self.send_json(400, {"error": "invalid_grant",
                                     "error_description": "Unknown or used code"})
                    return
                if grant["redirect_uri"] != form.get("redirect_uri"):
                    self.send_json(400, {"error": "invalid_grant",
                                     "error_description": "redirect_uri mismatch"})
                    return
                verifier = form.get("code_verifier", "")
                if grant["method"] != "S256" or (
                    oauth2.pkce_challenge(verifier) != grant["challenge"]
                ):
                    self.send_json(400, {"error": "invalid_grant",
                                     "error_description": "PKCE verification failed"})
                    return
                self.send_json(200, owner.issue_tokens(with_refresh=owner.code_refresh))
                return
            if form.get("grant_type") == "refresh_token":
                old = form.get("refresh_token", "")
                if old not in owner.refresh_tokens:
                    self.send_json(400, {"error": "invalid_grant",
                                     "error_description": "Refresh token revoked"})
                    return
                if owner.rotate_refresh:
                    owner.refresh_tokens.discard(old)
                self.send_json(200, owner.issue_tokens(with_refresh=owner.rotate_refresh))
                return
        self.send_json(400, {"error": "unsupported_grant_type"})
