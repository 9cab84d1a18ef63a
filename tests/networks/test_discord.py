"""Discord webhooks at the HTTP seam: the requests sent (JSON and multipart payload_json +
files[n]) and the documented answers replayed (tests/networks/fixtures/discord/)."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

import httpx
import pytest
import respx

from keryx.networks.base import (
    AuthExpired,
    BadContent,
    CannotReconcile,
    Disconnected,
    MediaItem,
    OutcomeUnknown,
    ProviderContext,
    PublishRequest,
    RateLimited,
    Transient,
)
from keryx.networks.discord import (
    DiscordProvider,
    embeds_length,
    mask_webhook_url,
    parse_webhook_url,
)
from tests.networks.contract import jpeg
from tests.networks.kits.discord import (
    HOOK,
    RATE_HEADERS,
    TOKEN,
    WEBHOOK_ID,
    WEBHOOK_URL,
    fixture,
)
from tests.networks.test_telegram import multipart

GUILD = CHANNEL = "199737254929760256"


def provider() -> DiscordProvider:
    return DiscordProvider(ProviderContext(
        credentials={"webhook_url": WEBHOOK_URL},
        settings={"webhook_id": WEBHOOK_ID, "guild_id": GUILD, "channel_id": CHANNEL},
        timeout=5.0,
        allow_private=("discord.com",),
    ))


def mock() -> respx.MockRouter:
    return respx.mock(assert_all_called=True, assert_all_mocked=True)


def request(text: str = "Hello Discord", media: tuple[MediaItem, ...] = (),
            **options: Any) -> PublishRequest:
    return PublishRequest(text=text, media=media, idempotency_key="k", options=options)


# -- the webhook URL --------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    WEBHOOK_URL, WEBHOOK_URL + "/", f"https://discordapp.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}",
    f"https://canary.discord.com/api/v10/webhooks/{WEBHOOK_ID}/{TOKEN}",
])
def test_webhook_urls_accepted(url: str) -> None:
    assert parse_webhook_url(url) == (WEBHOOK_ID, TOKEN)


@pytest.mark.parametrize("url", [
    "", "https://discord.com/channels/1/2", f"http://discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}",
    f"https://evil.example/api/webhooks/{WEBHOOK_ID}/{TOKEN}",
    f"https://discord.com.evil.example/api/webhooks/{WEBHOOK_ID}/{TOKEN}",
])
def test_webhook_urls_refused(url: str) -> None:
    with pytest.raises(ValueError, match="webhook URL"):
        parse_webhook_url(url)


def test_the_webhook_url_is_only_shown_masked() -> None:
    masked = mask_webhook_url(WEBHOOK_URL)
    assert TOKEN not in masked
    assert WEBHOOK_ID in masked


def test_verify_reads_the_webhook_and_keeps_no_token() -> None:
    with mock() as router:
        route = router.get(HOOK).respond(200, json=fixture("webhook"))
        info = provider().verify()
    assert route.calls.last.request.method == "GET"
    assert info.remote_id == WEBHOOK_ID
    assert info.handle == "Keryx"
    assert info.url == f"https://discord.com/channels/{GUILD}/{CHANNEL}"
    assert info.settings == {"webhook_id": WEBHOOK_ID, "guild_id": GUILD,
                             "channel_id": CHANNEL, "webhook_name": "Keryx"}
    assert fixture("webhook")["token"] not in json.dumps(info.settings)


def test_verify_of_a_deleted_webhook_disconnects() -> None:
    with mock() as router:
        router.get(HOOK).respond(404, json=fixture("error_unknown_webhook"))
        with pytest.raises(Disconnected, match="Unknown Webhook"):
            provider().verify()


# -- validation -------------------------------------------------------------------------------


def test_limits(tmp_path) -> None:
    p = provider()
    assert p.validate(request("x" * 2000)) == []
    assert [x.code for x in p.validate(request("x" * 2001))] == ["text_too_long"]
    # UTF-16 units: 1000 emoji are 2000 units (fits); 1001 are not.
    assert p.validate(request("😀" * 1000)) == []
    assert p.validate(request("😀" * 1001))[0].params == {"count": 2002, "limit": 2000}
    image = jpeg(tmp_path)
    assert [x.code for x in p.validate(request("x", (image,) * 11))] == ["too_many_media"]
    big = MediaItem(path="v.mp4", mime_type="video/mp4", size=11 * 1024 * 1024)
    assert [x.code for x in p.validate(request("x", (big,)))] == ["media_too_large"]
    alt = MediaItem(path="a.jpg", mime_type="image/jpeg", size=10, alt_text="a" * 1025)
    assert [x.code for x in p.validate(request("x", (alt,)))] == ["alt_text_too_long"]
    assert [x.code for x in p.validate(request(" "))] == ["empty"]


def test_embed_limits() -> None:
    embeds = [{"title": "t" * 256, "description": "d" * 4000}, {"description": "d" * 1745}]
    assert embeds_length(embeds) == 6001
    codes = [x.code for x in provider().validate(request("x", embeds=embeds))]
    assert codes == ["embeds_too_long"]
    codes = [x.code for x in provider().validate(request("x", embeds=[{"title": "t" * 257}]))]
    assert codes == ["embed_field_too_long"]
    assert provider().validate(request("", embeds=[{"title": "only an embed"}])) == []


# -- publishing -------------------------------------------------------------------------------


def test_text_is_posted_as_json_with_wait() -> None:
    with mock() as router:
        route = router.post(HOOK, params={"wait": "true"}).respond(200, json=fixture("message"))
        result = provider().publish(request("Hello @everyone"))
    sent = route.calls.last.request
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.content) == {
        "content": "Hello @everyone",
        # @everyone is not pinged unless asked for.
        "allowed_mentions": {"parse": ["users", "roles"]},
    }
    assert result.remote_id == "1457000000000000001"
    assert result.url == f"https://discord.com/channels/{GUILD}/{CHANNEL}/1457000000000000001"
    assert result.published_at is not None


def test_mention_everyone_and_thread_options() -> None:
    with mock() as router:
        route = router.post(HOOK).respond(200, json=fixture("message"))
        provider().publish(request("x", mention_everyone=True, thread_id="42",
                                   username="News", suppress_embeds=True))
    sent = route.calls.last.request
    assert sent.url.params["thread_id"] == "42" and sent.url.params["wait"] == "true"
    body = json.loads(sent.content)
    assert body["allowed_mentions"] == {"parse": ["users", "roles", "everyone"]}
    assert body["username"] == "News"
    assert body["flags"] == 4


def test_files_go_as_payload_json_and_files_n_with_alt_text(tmp_path) -> None:
    first = jpeg(tmp_path, "photo.jpg")
    second = MediaItem(path=str(tmp_path / "b.png"), mime_type="image/png", size=4)
    (tmp_path / "b.png").write_bytes(b"\x89PNG")
    with mock() as router:
        route = router.post(HOOK, params={"wait": "true"}).respond(
            200, json=fixture("message_with_files")
        )
        result = provider().publish(request("Hello Discord", (first, second)))
    parts = multipart(route.calls.last.request)
    payload = json.loads(parts["payload_json"])
    assert payload["content"] == "Hello Discord"
    assert payload["attachments"] == [
        {"id": 0, "filename": "photo.jpg", "description": "An orange square"},
        {"id": 1, "filename": "b.png"},
    ]
    assert parts["files[0]"][:2] == ("photo.jpg", "image/jpeg")
    assert parts["files[0]"][2] == open(first.path, "rb").read()
    assert parts["files[1]"] == ("b.png", "image/png", b"\x89PNG")
    assert result.remote_id == "1457000000000000002"


def test_a_message_in_a_thread_keeps_the_thread_in_its_id() -> None:
    message = fixture("message")
    message["channel_id"] = "777"
    with mock() as router:
        router.post(HOOK).respond(200, json=message)
        result = provider().publish(request("x", thread_id="777"))
        delete = router.delete(f"{HOOK}/messages/1457000000000000001").respond(204)
        provider().delete(result.remote_id)
    assert result.remote_id == "777/1457000000000000001"
    assert result.url.endswith("/777/1457000000000000001")
    assert delete.calls.last.request.url.params["thread_id"] == "777"


# -- errors -----------------------------------------------------------------------------------


def test_rate_limit_uses_the_bodys_float_retry_after() -> None:
    with mock() as router:
        router.post(HOOK).respond(429, headers=RATE_HEADERS, json=fixture("error_rate_limited"))
        with pytest.raises(RateLimited) as caught:
            provider().publish(request())
    assert caught.value.retry_after == 1.337


def test_global_rate_limit_is_said() -> None:
    with mock() as router:
        router.post(HOOK).respond(429, json=fixture("error_global_rate_limited"))
        with pytest.raises(RateLimited) as caught:
            provider().publish(request())
    assert caught.value.retry_after == 64.57
    assert "global" in caught.value.message


def test_rate_limit_without_body_reads_the_headers() -> None:
    with mock() as router:
        router.post(HOOK).respond(429, headers={"Retry-After": "7"}, text="slow down")
        with pytest.raises(RateLimited) as caught:
            provider().publish(request())
    assert caught.value.retry_after == 7


@pytest.mark.parametrize("status,name,expected,words", [
    (401, "error_invalid_token", AuthExpired, "Invalid Webhook Token"),
    (404, "error_unknown_webhook", Disconnected, "Unknown Webhook"),
    (400, "error_form_body", BadContent, "content: Must be 2000 or fewer in length."),
    (503, "error_server", Transient, "Internal Server Error"),
    (500, "error_server", OutcomeUnknown, "Internal Server Error"),
])
def test_errors_are_classified_with_discords_words(status, name, expected, words) -> None:
    with mock() as router:
        router.post(HOOK).respond(status, json=fixture(name))
        with pytest.raises(expected) as caught:
            provider().publish(request())
    assert words in caught.value.message


@pytest.mark.parametrize("failure", [
    httpx.ConnectError(f"cannot connect to {HOOK}"),
    httpx.Response(400, text=f"bad request for {HOOK}"),
    httpx.Response(404, json={"message": f"Unknown Webhook {WEBHOOK_URL}", "code": 10015}),
])
def test_the_webhook_token_never_appears_in_errors(failure, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with mock() as router:
        route = router.post(HOOK)
        if isinstance(failure, Exception):
            route.mock(side_effect=failure)
        else:
            route.mock(return_value=failure)
        with pytest.raises(Exception) as caught:
            provider().publish(request())
    said = "".join(traceback.format_exception(caught.value)) + repr(caught.value.args)
    assert TOKEN not in said
    assert TOKEN not in caplog.text


# -- reconciling and deleting -------------------------------------------------------------------


def test_lookup_without_a_known_id_cannot_tell() -> None:
    with mock():
        with pytest.raises(CannotReconcile, match="Check the channel"):
            provider().lookup(request())


def test_lookup_by_a_known_id() -> None:
    url = f"{HOOK}/messages/1457000000000000001"
    with mock() as router:
        router.get(url).respond(200, json=fixture("message"))
        found = provider().lookup(request(remote_id="1457000000000000001"))
    assert found is not None and found.remote_id == "1457000000000000001"
    with mock() as router:
        router.get(url).respond(404, json=fixture("error_unknown_message"))
        assert provider().lookup(request(remote_id="1457000000000000001")) is None
    with mock() as router:
        router.get(url).respond(404, json=fixture("error_unknown_webhook"))
        with pytest.raises(Disconnected):
            provider().lookup(request(remote_id="1457000000000000001"))


def test_delete() -> None:
    url = f"{HOOK}/messages/1457000000000000001"
    with mock() as router:
        route = router.delete(url).respond(204)
        provider().delete("1457000000000000001")
    assert route.called
    with mock() as router:
        router.delete(url).respond(404, json=fixture("error_unknown_message"))
        provider().delete("1457000000000000001")  # already gone: done
