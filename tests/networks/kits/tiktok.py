"""Contract kit for TikTok (Content Posting API v2). Answers are the documented bodies in
tests/networks/fixtures/tiktok/. "Text + one image" is a photo post: TikTok pulls the photo from
the channel's public media URL prefix, so no upload host is called."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.jsonfiles import fixture_loader

API = "https://open.tiktokapis.com"
AUTH = "https://www.tiktok.com"


fixture = fixture_loader("tiktok")


class TikTokKit:
    network = "tiktok"
    base_url = API
    oauth_base = AUTH
    hosts = ("open-upload.tiktokapis.com",)
    text_ok = "Hello from Keryx #keryx ✨"
    # Photo posts take a 4,000-unit description; one more is too long.
    text_too_long = "x" * 4001

    def credentials(self) -> dict[str, Any]:
        return {
            "access_token": "act.contract", "refresh_token": "rft.contract",
            "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        }

    def channel_settings(self) -> dict[str, Any]:
        return {"username": "tiktoker", "privacy_level": "SELF_ONLY",
                "media_url_prefix": "https://cdn.keryx.test/media"}

    def route_verify(self, mock: Any) -> None:
        mock.get(f"{API}/v2/user/info/").respond(200, json=fixture("user_info"))
        mock.post(f"{API}/v2/post/publish/creator_info/query/").respond(
            200, json=fixture("creator_info")
        )

    def route_publish(self, mock: Any) -> None:
        mock.post(f"{API}/v2/post/publish/creator_info/query/").respond(
            200, json=fixture("creator_info")
        )
        mock.post(f"{API}/v2/post/publish/content/init/").respond(
            200, json=fixture("content_init")
        )
        mock.post(f"{API}/v2/post/publish/status/fetch/").respond(
            200, json=fixture("status_complete")
        )

    def route_publish_error(self, mock: Any, kind: str) -> None:
        creator = mock.post(f"{API}/v2/post/publish/creator_info/query/")
        if kind == "auth":
            creator.respond(401, json=fixture("error_access_token_invalid"))
            return
        creator.respond(200, json=fixture("creator_info"))
        answers = {
            "rate_limit": httpx.Response(429, json=fixture("error_rate_limit_exceeded")),
            "server": httpx.Response(500, json=fixture("error_internal")),
            "bad_content": httpx.Response(
                400, json=fixture("error_privacy_level_option_mismatch")
            ),
        }
        mock.post(f"{API}/v2/post/publish/content/init/").mock(return_value=answers[kind])

    def route_refresh(self, mock: Any) -> None:
        mock.post(f"{API}/v2/oauth/token/").respond(200, json=fixture("token"))

    def route_refresh_refused(self, mock: Any) -> None:
        mock.post(f"{API}/v2/oauth/token/").respond(400, json=fixture("token_error"))

    def route_lookup(self, mock: Any, found: bool) -> None:
        body = fixture("video_list")
        videos = body["data"]["videos"]
        if found:
            videos[0]["title"] = videos[0]["video_description"] = self.text_ok
            videos[0]["create_time"] = int(time.time())
        else:
            videos.pop(0)
        mock.post(f"{API}/v2/video/list/").respond(200, json=body)


KIT = TikTokKit()
