"""Contract kit for the test-only "loopnet" network (tests/support/loopnet.py): the reference
kit a network engineer can copy. Real networks answer with the documented bodies from their
API references (tests/networks/fixtures/<network>/*.json)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.support.loopnet import LoopnetProvider

API = "https://api.loopnet.test"
AUTH = "https://auth.loopnet.test"
KEY = "contract-key-0001"


class LoopnetKit:
    network = "loopnet"
    provider_class = LoopnetProvider
    base_url = API
    oauth_base = AUTH
    idempotency_key = KEY
    text_ok = "Hello from the contract suite ✨"
    text_too_long = "x" * 281

    def credentials(self) -> dict[str, Any]:
        return {"access_token": "at-1", "refresh_token": "rt-1",
                "expires_at": datetime.now(UTC).isoformat()}

    def channel_settings(self) -> dict[str, Any]:
        return {"page_id": "p-9"}

    def route_verify(self, mock: Any) -> None:
        mock.get(f"{API}/me").respond(200, json={"id": "4242", "username": "loopy"})

    def route_publish(self, mock: Any) -> None:
        mock.post(f"{API}/media").respond(200, json={"media_id": "m-1"})
        mock.post(f"{API}/posts").respond(
            201, json={"id": "p-1", "url": "https://loopnet.test/p-1"}
        )

    def route_publish_error(self, mock: Any, kind: str) -> None:
        mock.post(f"{API}/media").respond(200, json={"media_id": "m-1"})
        answers = {
            "auth": httpx.Response(401, json={"error": "invalid_token",
                                              "error_description": "Token expired"}),
            "rate_limit": httpx.Response(429, headers={"Retry-After": "30"},
                                         json={"message": "Daily post limit reached"}),
            "server": httpx.Response(503, json={"message": "Over capacity"}),
            "bad_content": httpx.Response(400, json={"message": "Duplicate post"}),
        }
        mock.post(f"{API}/posts").mock(return_value=answers[kind])

    def route_refresh(self, mock: Any) -> None:
        # No refresh_token in the answer: the provider keeps the one it had.
        mock.post(f"{AUTH}/token").respond(
            200, json={"access_token": "at-2", "expires_in": 3600, "token_type": "bearer"}
        )

    def route_refresh_refused(self, mock: Any) -> None:
        mock.post(f"{AUTH}/token").respond(
            400, json={"error": "invalid_grant", "error_description": "Refresh token revoked"}
        )

    def route_lookup(self, mock: Any, found: bool) -> None:
        posts = [{"id": "p-0", "url": "https://loopnet.test/p-0", "client_ref": "other"}]
        if found:
            posts.append({"id": "p-1", "url": "https://loopnet.test/p-1", "client_ref": KEY})
        mock.get(f"{API}/posts").respond(200, json={"data": posts})


KIT = LoopnetKit()
