"""X's kit for the shared contract suite: documented API v2 answers replayed with respx."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.support.jsonfiles import fixture_loader

API = "https://api.x.com"


fixture = fixture_loader("x")


class XKit:
    network = "x"
    base_url = API
    oauth_base = "https://x.com"
    text_ok = "Hello from Keryx https://example.com/a/rather/long/path/that/counts/as/23"
    # 141 two-weight characters: 282 > 280 as twitter-text counts, though only 141 graphemes.
    text_too_long = "の" * 141

    def credentials(self) -> dict[str, Any]:
        return {"access_token": "x-access", "refresh_token": "x-refresh"}

    def channel_settings(self) -> dict[str, Any]:
        return {"user_id": "2244994945", "username": "XDevelopers"}

    def route_verify(self, respx_mock: Any) -> None:
        respx_mock.get(f"{API}/2/users/me").respond(200, json=fixture("users_me.json"))

    def _route_media(self, respx_mock: Any) -> None:
        respx_mock.post(f"{API}/2/media/upload").respond(
            200, json=fixture("media_upload_image.json"))
        respx_mock.post(f"{API}/2/media/metadata").respond(
            200, json=fixture("media_metadata.json"))

    def route_publish(self, respx_mock: Any) -> None:
        self._route_media(respx_mock)
        respx_mock.post(f"{API}/2/tweets").respond(201, json=fixture("post_created.json"))

    def route_publish_error(self, respx_mock: Any, kind: str) -> None:
        self._route_media(respx_mock)
        if kind == "auth":
            response = httpx.Response(401, json=fixture("error_401.json"))
        elif kind == "rate_limit":
            reset = str(int(time.time()) + 900)
            response = httpx.Response(429, json=fixture("error_429.json"), headers={
                "x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": reset})
        elif kind == "server":
            response = httpx.Response(503, json=fixture("error_503.json"))
        else:
            response = httpx.Response(403, json=fixture("error_403_duplicate.json"))
        respx_mock.post(f"{API}/2/tweets").mock(return_value=response)

    def route_refresh(self, respx_mock: Any) -> None:
        respx_mock.post(f"{API}/2/oauth2/token").respond(200, json=fixture("token.json"))

    def route_refresh_refused(self, respx_mock: Any) -> None:
        respx_mock.post(f"{API}/2/oauth2/token").respond(400, json=fixture("token_invalid.json"))

    def route_lookup(self, respx_mock: Any, found: bool) -> None:
        body = fixture("user_posts.json")
        if found:
            # X shows the text back with its links wrapped and one t.co link per media item.
            body["data"][0]["text"] = (
                "Hello from Keryx https://t.co/Qm3dFv8Lx2 https://t.co/abc123XYZ0")
        else:
            body["data"] = body["data"][1:]
        respx_mock.get(f"{API}/2/users/2244994945/tweets").respond(200, json=body)


KIT = XKit()
