"""Contract kit for Google Business Profile: answers are the documented bodies in
tests/networks/fixtures/google_business/ (My Business API v4 LocalPost and localPosts.list,
Business Information v1 Location, Google's OAuth token endpoint, the google.rpc error shape)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.support.jsonfiles import fixture_loader

API = "https://mybusiness.googleapis.com"
TOKEN_HOST = "https://oauth2.googleapis.com"
ACCOUNT = "112233445566778899001"
LOCATION = "4455667788990011223"
PARENT = f"accounts/{ACCOUNT}/locations/{LOCATION}"
POSTS = f"{API}/v4/{PARENT}/localPosts"
PUBLIC_IMAGE = "https://keryx.example.org/media/public/abc.jpg"


fixture = fixture_loader("google_business")


def local_post(summary: str, created: datetime | None = None, post_id: str = "") -> dict:
    post = copy.deepcopy(fixture("localPost_created"))
    post["summary"] = summary
    if created is not None:
        post["createTime"] = created.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if post_id:
        post["name"] = f"{PARENT}/localPosts/{post_id}"
    return post


class GoogleBusinessKit:
    network = "google_business"
    base_url = API
    oauth_base = TOKEN_HOST
    text_ok = "Νέο μενού από σήμερα ☕ — come and taste it!"
    text_too_long = "x" * 1501

    def credentials(self) -> dict[str, Any]:
        return {"access_token": "ya29.a0AfB_old", "refresh_token": "1//0gFake-refresh-token",
                "expires_at": datetime.now(UTC).isoformat()}

    def channel_settings(self) -> dict[str, Any]:
        return {"account_id": ACCOUNT, "location": PARENT}

    def publish_options(self) -> dict[str, Any]:
        return {"media_urls": [PUBLIC_IMAGE]}

    def route_verify(self, mock: Any) -> None:
        mock.get(f"{API}/v1/locations/{LOCATION}").respond(200, json=fixture("location"))
        mock.get(POSTS).respond(200, json=fixture("localPosts_empty"))

    def route_publish(self, mock: Any) -> None:
        mock.post(POSTS).respond(200, json=local_post(self.text_ok))

    def route_publish_error(self, mock: Any, kind: str) -> None:
        answers = {
            "auth": httpx.Response(401, json=fixture("error_401")),
            "rate_limit": httpx.Response(429, json=fixture("error_429")),
            "server": httpx.Response(503, json=fixture("error_503")),
            "bad_content": httpx.Response(400, json=fixture("error_400")),
        }
        mock.post(POSTS).mock(return_value=answers[kind])

    def route_refresh(self, mock: Any) -> None:
        mock.post(f"{TOKEN_HOST}/token").respond(200, json=fixture("token_refresh"))

    def route_refresh_refused(self, mock: Any) -> None:
        mock.post(f"{TOKEN_HOST}/token").respond(400, json=fixture("error_invalid_grant"))

    def route_lookup(self, mock: Any, found: bool) -> None:
        now = datetime.now(UTC)
        posts = [local_post("Yesterday's special", now, "900")]
        if found:
            posts.insert(0, local_post(self.text_ok, now, "901"))
        mock.get(POSTS).respond(200, json={"localPosts": posts})


KIT = GoogleBusinessKit()
