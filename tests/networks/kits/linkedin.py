"""Contract kit for LinkedIn (an organisation page): answers from the Posts, Images and OAuth
references (tests/networks/fixtures/linkedin/*.json)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.support.jsonfiles import fixture_loader

API = "https://api.linkedin.com"
OAUTH = "https://www.linkedin.com/oauth/v2"
UPLOADS = "https://www.linkedin.com/dms-uploads"
ORG = "2414183"
POST_URN = "urn:li:share:7250000000000000002"


fixture = fixture_loader("linkedin")


class LinkedInKit:
    network = "linkedin"
    base_url = API
    oauth_base = OAUTH
    hosts = ("www.linkedin.com",)
    text_ok = "We're hiring (2 roles) — #hiring at Keryx_Café! https://example.com/jobs"
    text_too_long = "é" * 2990 + "😀" * 6  # 3,002 UTF-16 code units

    def credentials(self) -> dict[str, Any]:
        return {"access_token": "AQV-old", "refresh_token": "AQW-old",
                "expires_at": datetime.now(UTC).isoformat()}

    def channel_settings(self) -> dict[str, Any]:
        return {"organization_id": ORG, "person_id": "782bbtaQ"}

    def route_verify(self, mock: Any) -> None:
        mock.get(f"{API}/v2/userinfo").respond(200, json=fixture("userinfo"))
        mock.get(f"{API}/rest/organizations/{ORG}").respond(200, json=fixture("organization"))

    def _route_image(self, mock: Any) -> None:
        mock.post(f"{API}/rest/images", params={"action": "initializeUpload"}).respond(
            200, json=fixture("image_initialize"))
        mock.put(url__startswith=UPLOADS).respond(201)

    def route_publish(self, mock: Any) -> None:
        self._route_image(mock)
        mock.post(f"{API}/rest/posts").respond(201, headers={"x-restli-id": POST_URN})

    def route_publish_error(self, mock: Any, kind: str) -> None:
        self._route_image(mock)
        answers = {
            "auth": httpx.Response(401, json=fixture("error_expired")),
            "rate_limit": httpx.Response(429, json=fixture("error_throttle")),
            "server": httpx.Response(500, json=fixture("error_server")),
            "bad_content": httpx.Response(422, json=fixture("error_too_long")),
        }
        mock.post(f"{API}/rest/posts").mock(return_value=answers[kind])

    def route_refresh(self, mock: Any) -> None:
        mock.post(f"{OAUTH}/accessToken").respond(200, json=fixture("token"))

    def route_refresh_refused(self, mock: Any) -> None:
        mock.post(f"{OAUTH}/accessToken").respond(400, json=fixture("token_invalid_grant"))

    def route_lookup(self, mock: Any, found: bool) -> None:
        from keryx.networks.linkedin import escape_commentary

        listing = fixture("posts_by_author")
        if found:
            listing["elements"].insert(0, {
                **listing["elements"][0], "id": POST_URN,
                "createdAt": int(datetime.now(UTC).timestamp() * 1000),
                "commentary": escape_commentary(self.text_ok)})
        mock.get(f"{API}/rest/posts").respond(200, json=listing)


KIT = LinkedInKit()
