"""Contract kit for Telegram (Bot API): answers are the documented bodies in
tests/networks/fixtures/telegram/ (core.telegram.org/bots/api: Message, ChatMemberAdministrator,
the {"ok": false, "error_code", "description", "parameters"} error shape)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.jsonfiles import fixture_loader

API = "https://api.telegram.org"
TOKEN = "7012345678:AAFakeTokenForTestsOnly_abcdefghijklmn"
BOT = f"{API}/bot{TOKEN}"


fixture = fixture_loader("telegram")


class TelegramKit:
    network = "telegram"
    base_url = API
    text_ok = "Καλημέρα κανάλι 👋 #keryx https://example.org"
    # With an image the text is a caption: 1024 UTF-16 units. 513 astral emoji are 1026.
    text_too_long = "😀" * 513
    # Telegram bots cannot read a channel back: lookup() raises CannotReconcile.
    reconcile = "manual"

    def credentials(self) -> dict[str, Any]:
        return {"bot_token": TOKEN}

    def channel_settings(self) -> dict[str, Any]:
        return {"chat_id": "-1001234567890", "chat_username": "keryxnews"}

    def route_verify(self, mock: Any) -> None:
        mock.post(f"{BOT}/getMe").respond(200, json=fixture("getMe"))
        mock.post(f"{BOT}/getChat").respond(200, json=fixture("getChat"))
        mock.post(f"{BOT}/getChatMember").respond(200, json=fixture("getChatMember_admin"))

    def route_publish(self, mock: Any) -> None:
        mock.post(f"{BOT}/sendPhoto").respond(200, json=fixture("sendPhoto"))

    def route_publish_error(self, mock: Any, kind: str) -> None:
        answers = {
            "auth": httpx.Response(401, json=fixture("error_401")),
            "rate_limit": httpx.Response(429, json=fixture("error_429")),
            "server": httpx.Response(502, json=fixture("error_502")),
            "bad_content": httpx.Response(400, json=fixture("error_too_long")),
        }
        mock.post(f"{BOT}/sendPhoto").mock(return_value=answers[kind])

    route_refresh = None

    def route_lookup(self, mock: Any, found: bool) -> None:
        # Nothing to route: no Bot API method lists a channel's posts.
        return None


KIT = TelegramKit()
