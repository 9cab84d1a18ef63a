"""Contract kit for Discord webhooks: answers are the documented bodies in
tests/networks/fixtures/discord/ (discord.com/developers/docs: Webhook and Message objects, the
{"message", "code", "errors"} error shape, 429 with retry_after and X-RateLimit-* headers)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.jsonfiles import fixture_loader

API = "https://discord.com/api/v10"
WEBHOOK_ID = "223704706495545344"
TOKEN = "3d89bb7572e0fb30d8128367b3b1b44fecd1726de135cbe28a41f8b2f777c372ba2939e72279b945"
WEBHOOK_URL = f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}"
HOOK = f"{API}/webhooks/{WEBHOOK_ID}/{TOKEN}"
RATE_HEADERS = {
    "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "1.337",
    "X-RateLimit-Bucket": "abcd1234", "Retry-After": "2",
}


fixture = fixture_loader("discord")


class DiscordKit:
    network = "discord"
    base_url = API
    text_ok = "Καλημέρα Discord 👋 https://example.org"
    text_too_long = "x" * 2001
    # A webhook cannot list its channel: lookup() raises CannotReconcile without a known id.
    reconcile = "manual"

    def credentials(self) -> dict[str, Any]:
        return {"webhook_url": WEBHOOK_URL}

    def channel_settings(self) -> dict[str, Any]:
        return {"webhook_id": WEBHOOK_ID, "guild_id": "199737254929760256",
                "channel_id": "199737254929760256"}

    def route_verify(self, mock: Any) -> None:
        mock.get(HOOK).respond(200, json=fixture("webhook"))

    def route_publish(self, mock: Any) -> None:
        mock.post(HOOK, params={"wait": "true"}).respond(200, json=fixture("message_with_files"))

    def route_publish_error(self, mock: Any, kind: str) -> None:
        answers = {
            "auth": httpx.Response(401, json=fixture("error_invalid_token")),
            "rate_limit": httpx.Response(429, headers=RATE_HEADERS,
                                         json=fixture("error_rate_limited")),
            "server": httpx.Response(503, json=fixture("error_server")),
            "bad_content": httpx.Response(400, json=fixture("error_form_body")),
        }
        mock.post(HOOK).mock(return_value=answers[kind])

    route_refresh = None

    def route_lookup(self, mock: Any, found: bool) -> None:
        # Nothing to route without a known message id (see test_discord.py for that case).
        return None


KIT = DiscordKit()
