"""Contract kit for Pinterest (API v5). Answers are built from the examples in Pinterest's
OpenAPI description (tests/networks/fixtures/pinterest/)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.jsonfiles import fixture_loader

API = "https://api.pinterest.com/v5"
AUTH = "https://www.pinterest.com"
UPLOAD = "https://pinterest-media-upload.s3-accelerate.amazonaws.com/"
BOARD = "549755885175"


fixture = fixture_loader("pinterest")


class PinterestKit:
    network = "pinterest"
    base_url = API
    oauth_base = AUTH
    hosts = ("pinterest-media-upload.s3-accelerate.amazonaws.com",)
    text_ok = "Hello from Keryx ✨"
    text_too_long = "x" * 801

    def credentials(self) -> dict[str, Any]:
        return {"access_token": "pina_contract", "refresh_token": "pinr_contract",
                "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()}

    def channel_settings(self) -> dict[str, Any]:
        return {"board": "Summer recipes", "board_id": BOARD, "username": "pinterest"}

    def route_verify(self, mock: Any) -> None:
        mock.get(f"{API}/user_account").respond(200, json=fixture("user_account"))
        mock.get(f"{API}/boards").respond(200, json=fixture("boards"))

    def route_publish(self, mock: Any) -> None:
        mock.post(f"{API}/pins").respond(201, json=fixture("pin"))

    def route_publish_error(self, mock: Any, kind: str) -> None:
        answers = {
            "auth": httpx.Response(401, json=fixture("error_auth")),
            "rate_limit": httpx.Response(
                429, json=fixture("error_rate_limit"),
                headers={"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0",
                         "X-RateLimit-Reset": "42"},
            ),
            "server": httpx.Response(503, json=fixture("error_server")),
            "bad_content": httpx.Response(400, json=fixture("error_bad_request")),
        }
        mock.post(f"{API}/pins").mock(return_value=answers[kind])

    def route_refresh(self, mock: Any) -> None:
        mock.post(f"{API}/oauth/token").respond(200, json=fixture("token_refresh"))

    def route_refresh_refused(self, mock: Any) -> None:
        mock.post(f"{API}/oauth/token").respond(400, json=fixture("error_token_invalid_grant"))

    def route_lookup(self, mock: Any, found: bool) -> None:
        body = fixture("board_pins")
        if found:
            body["items"][0]["created_at"] = datetime.now(UTC).isoformat()
        else:
            body["items"].pop(0)
        mock.get(f"{API}/boards/{BOARD}/pins").respond(200, json=body)


KIT = PinterestKit()
