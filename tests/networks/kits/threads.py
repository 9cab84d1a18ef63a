"""Threads' kit for the shared contract suite: documented Threads API answers via respx."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.jsonfiles import fixture_loader

API = "https://graph.threads.net"
V = f"{API}/v1.0"
USER = "1234567"
CONTAINER = "17889615691921648"
POST = "18012345678901234"
PUBLIC_MEDIA = "https://keryx.example.org/media/public/photo.jpg"


fixture = fixture_loader("threads")


class ThreadsKit:
    network = "threads"
    base_url = API
    oauth_base = "https://threads.net"
    text_ok = "Hello from Keryx 👋 https://example.com"
    # 496 letters + one 4-byte emoji = 500 would fit; 497 + emoji is 501.
    text_too_long = "a" * 497 + "👋"

    def credentials(self) -> dict[str, Any]:
        return {"access_token": "THQVJlonglivedtoken", "refresh_token": "THQVJlonglivedtoken"}

    def channel_settings(self) -> dict[str, Any]:
        return {"user_id": USER, "username": "keryx.app"}

    def publish_options(self) -> dict[str, Any]:
        # Threads downloads the image itself, from a public URL.
        return {"media_urls": [PUBLIC_MEDIA]}

    def route_verify(self, respx_mock: Any) -> None:
        respx_mock.get(f"{V}/me").respond(200, json=fixture("me.json"))

    def _route_container(self, respx_mock: Any) -> None:
        respx_mock.post(f"{V}/{USER}/threads").respond(200, json=fixture("container.json"))
        respx_mock.get(f"{V}/{CONTAINER}").respond(200, json=fixture("container_finished.json"))

    def route_publish(self, respx_mock: Any) -> None:
        self._route_container(respx_mock)
        respx_mock.post(f"{V}/{USER}/threads_publish").respond(200, json=fixture("publish.json"))
        respx_mock.get(f"{V}/{POST}").respond(200, json=fixture("permalink.json"))

    def route_publish_error(self, respx_mock: Any, kind: str) -> None:
        self._route_container(respx_mock)
        if kind == "auth":
            response = httpx.Response(400, json=fixture("error_expired_token.json"))
        elif kind == "rate_limit":
            response = httpx.Response(400, json=fixture("error_rate_limit.json"), headers={
                "x-app-usage": '{"call_count":100,"total_cputime":12,"total_time":20}'})
        elif kind == "server":
            response = httpx.Response(503, json=fixture("error_unavailable.json"))
        else:
            response = httpx.Response(400, json=fixture("error_invalid_parameter.json"))
        respx_mock.post(f"{V}/{USER}/threads_publish").mock(return_value=response)

    def route_refresh(self, respx_mock: Any) -> None:
        respx_mock.get(f"{API}/refresh_access_token").respond(200, json=fixture("token_long.json"))

    def route_refresh_refused(self, respx_mock: Any) -> None:
        respx_mock.get(f"{API}/refresh_access_token").respond(
            400, json=fixture("error_expired_token.json"))

    def route_lookup(self, respx_mock: Any, found: bool) -> None:
        body = fixture("user_threads.json")
        if found:
            body["data"][0]["text"] = self.text_ok
        else:
            body["data"] = body["data"][1:]
        respx_mock.get(f"{V}/{USER}/threads").respond(200, json=body)


KIT = ThreadsKit()
