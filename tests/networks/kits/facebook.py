"""Contract kit for Facebook Pages: the Graph API answers from the Pages API and Graph API
error-handling references (tests/networks/fixtures/facebook/*.json)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.support.jsonfiles import fixture_loader

API = "https://graph.facebook.com/v23.0"
PAGE = "1234567890"
# What Meta sends with a Page-level throttle: the business-use-case usage, estimate in minutes.
BUC_HEADER = json.dumps({PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 12,
                                 "total_time": 18, "estimated_time_to_regain_access": 7}]})


fixture = fixture_loader("facebook")


class FacebookKit:
    network = "facebook"
    base_url = API
    oauth_base = "https://www.facebook.com"
    text_ok = "Fresh bread at Keryx Café today ☕ — come by! https://example.com/menu"
    text_too_long = "a" * 63207

    def credentials(self) -> dict[str, Any]:
        return {"access_token": "EAAPageToken123", "refresh_token": "EAALongUserToken1",
                "expires_at": datetime.now(UTC).isoformat()}

    def channel_settings(self) -> dict[str, Any]:
        return {"page_id": PAGE}

    def route_verify(self, mock: Any) -> None:
        mock.get(f"{API}/me/accounts").respond(200, json=fixture("me_accounts"))

    def route_publish(self, mock: Any) -> None:
        mock.post(f"{API}/{PAGE}/photos").respond(200, json=fixture("photo_created"))

    def route_publish_error(self, mock: Any, kind: str) -> None:
        answers = {
            "auth": httpx.Response(400, json=fixture("error_token_expired")),
            "rate_limit": httpx.Response(
                400, json=fixture("error_page_rate_limit"),
                headers={"x-business-use-case-usage": BUC_HEADER}),
            "server": httpx.Response(500, json=fixture("error_unknown")),
            "bad_content": httpx.Response(400, json=fixture("error_invalid_parameter")),
        }
        mock.post(f"{API}/{PAGE}/photos").mock(return_value=answers[kind])

    def route_refresh(self, mock: Any) -> None:
        mock.get(f"{API}/oauth/access_token").respond(200, json=fixture("token_long"))
        mock.get(f"{API}/{PAGE}").respond(200, json=fixture("page_token"))

    def route_refresh_refused(self, mock: Any) -> None:
        mock.get(f"{API}/oauth/access_token").respond(400, json=fixture("error_token_expired"))

    def route_lookup(self, mock: Any, found: bool) -> None:
        listing = fixture("page_posts")
        if found:
            listing["data"].insert(0, {
                "id": f"{PAGE}_666777888999", "message": self.text_ok,
                "created_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "permalink_url": f"https://www.facebook.com/{PAGE}/posts/666777888999"})
        mock.get(f"{API}/{PAGE}/posts").respond(200, json=listing)


KIT = FacebookKit()
