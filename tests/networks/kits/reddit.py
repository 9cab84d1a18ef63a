"""Contract kit for Reddit. "Text + one image" is an image submission: a media lease, the
form upload to Reddit's S3 bucket, POST /api/submit kind=image (answered without the post id)
and the account's newest submissions, where the provider finds it. Bodies in
tests/networks/fixtures/reddit/."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.jsonfiles import fixture_loader

API = "https://oauth.reddit.com"
AUTH = "https://www.reddit.com"
S3 = "https://reddit-uploaded-media.s3-accelerate.amazonaws.com"


fixture = fixture_loader("reddit")


class RedditKit:
    network = "reddit"
    base_url = API
    oauth_base = AUTH
    hosts = ("reddit-uploaded-media.s3-accelerate.amazonaws.com",)
    text_ok = "Hello from Keryx ✨"
    text_too_long = "x" * 301  # the title, Reddit's tightest limit

    def credentials(self) -> dict[str, Any]:
        return {"access_token": "reddit-at", "refresh_token": "reddit-rt",
                "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}

    def channel_settings(self) -> dict[str, Any]:
        return {"subreddit": "r/selfhosted", "username": "keryx_bot"}

    def submitted(self, found: bool) -> dict[str, Any]:
        body = fixture("submitted")
        children = body["data"]["children"]
        if found:
            children[0]["data"]["created_utc"] = time.time()
        else:
            children.pop(0)
        return body

    def route_verify(self, mock: Any) -> None:
        mock.get(f"{API}/api/v1/me").respond(200, json=fixture("me"))

    def route_upload(self, mock: Any) -> None:
        mock.post(f"{API}/api/media/asset.json").respond(200, json=fixture("asset_lease"))
        mock.post(S3).respond(201, text="<PostResponse><Location>"
                              f"{S3}/rte_images%2Fabc123</Location></PostResponse>")

    def route_publish(self, mock: Any) -> None:
        self.route_upload(mock)
        mock.post(f"{API}/api/submit").respond(200, json=fixture("submit_image"))
        mock.get(f"{API}/user/keryx_bot/submitted").respond(200, json=self.submitted(True))

    def route_publish_error(self, mock: Any, kind: str) -> None:
        if kind == "auth":
            mock.post(f"{API}/api/media/asset.json").respond(401, json=fixture("error_401"))
            return
        self.route_upload(mock)
        answers = {
            "rate_limit": httpx.Response(200, json=fixture("submit_ratelimit")),
            "server": httpx.Response(500, json=fixture("error_500")),
            "bad_content": httpx.Response(200, json=fixture("submit_flair_required")),
        }
        mock.post(f"{API}/api/submit").mock(return_value=answers[kind])

    def route_refresh(self, mock: Any) -> None:
        mock.post(f"{AUTH}/api/v1/access_token").respond(200, json=fixture("token_refresh"))

    def route_refresh_refused(self, mock: Any) -> None:
        mock.post(f"{AUTH}/api/v1/access_token").respond(
            400, json=fixture("token_invalid_grant"))

    def route_lookup(self, mock: Any, found: bool) -> None:
        mock.get(f"{API}/user/keryx_bot/submitted").respond(200, json=self.submitted(found))


KIT = RedditKit()
