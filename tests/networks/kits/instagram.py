"""Instagram's kit for the shared contract suite: documented Instagram API (Instagram Login)
answers replayed with respx."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.jsonfiles import fixture_loader

API = "https://graph.instagram.com"
V = f"{API}/v23.0"
USER = "17841400008460056"
CONTAINER = "17889455560051444"
POST = "17920238422030506"
PUBLIC_MEDIA = "https://keryx.example.org/media/public/photo.jpg"


fixture = fixture_loader("instagram")


class InstagramKit:
    network = "instagram"
    base_url = API
    oauth_base = "https://api.instagram.com"
    text_ok = "Hello from Keryx ☕ #coffee @a.friend"
    text_too_long = "a" * 2200 + "☕"

    def credentials(self) -> dict[str, Any]:
        return {"access_token": "IGQVJlonglived", "refresh_token": "IGQVJlonglived"}

    def channel_settings(self) -> dict[str, Any]:
        return {"user_id": USER, "username": "keryx.cafe", "account_type": "BUSINESS"}

    def publish_options(self) -> dict[str, Any]:
        # Instagram downloads the image itself, from a public URL.
        return {"media_urls": [PUBLIC_MEDIA]}

    def route_verify(self, respx_mock: Any) -> None:
        respx_mock.get(f"{V}/me").respond(200, json=fixture("me.json"))

    def _route_container(self, respx_mock: Any) -> None:
        respx_mock.get(f"{V}/{USER}/content_publishing_limit").respond(
            200, json=fixture("publishing_limit.json"))
        respx_mock.post(f"{V}/{USER}/media").respond(200, json=fixture("container.json"))
        respx_mock.get(f"{V}/{CONTAINER}").respond(200, json=fixture("container_finished.json"))

    def route_publish(self, respx_mock: Any) -> None:
        self._route_container(respx_mock)
        respx_mock.post(f"{V}/{USER}/media_publish").respond(
            200, json=fixture("media_publish.json"))
        respx_mock.get(f"{V}/{POST}").respond(200, json=fixture("permalink.json"))

    def route_publish_error(self, respx_mock: Any, kind: str) -> None:
        self._route_container(respx_mock)
        if kind == "auth":
            response = httpx.Response(400, json=fixture("error_expired_token.json"))
        elif kind == "rate_limit":
            response = httpx.Response(400, json=fixture("error_rate_limit.json"), headers={
                "x-business-use-case-usage": json.dumps({USER: [{
                    "type": "instagram", "call_count": 100, "total_cputime": 20,
                    "total_time": 30, "estimated_time_to_regain_access": 12}]})})
        elif kind == "server":
            response = httpx.Response(503, json=fixture("error_unavailable.json"))
        else:
            response = httpx.Response(400, json=fixture("error_bad_caption.json"))
        respx_mock.post(f"{V}/{USER}/media_publish").mock(return_value=response)

    def route_refresh(self, respx_mock: Any) -> None:
        respx_mock.get(f"{API}/refresh_access_token").respond(200, json=fixture("token_long.json"))

    def route_refresh_refused(self, respx_mock: Any) -> None:
        respx_mock.get(f"{API}/refresh_access_token").respond(
            400, json=fixture("error_expired_token.json"))

    def route_lookup(self, respx_mock: Any, found: bool) -> None:
        body = fixture("user_media.json")
        if found:
            body["data"][0]["caption"] = self.text_ok
            body["data"][0]["timestamp"] = "2099-01-01T00:00:00+0000"
        else:
            body["data"] = body["data"][1:]
        respx_mock.get(f"{V}/{USER}/media").respond(200, json=body)


KIT = InstagramKit()
