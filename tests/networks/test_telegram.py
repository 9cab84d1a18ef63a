"""Telegram (Bot API) at the HTTP seam: the requests sent (method, URL, JSON and multipart
bodies) and the documented answers replayed (tests/networks/fixtures/telegram/)."""

from __future__ import annotations

import email.parser
import email.policy
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
from keryx.networks.telegram import (
    TelegramProvider,
    check_bot_token,
    message_url,
    normalize_chat_id,
)
from tests.networks.contract import jpeg
from tests.networks.kits.telegram import BOT, TOKEN, fixture

CHAT = "-1001234567890"


def provider(**settings: Any) -> TelegramProvider:
    return TelegramProvider(ProviderContext(
        credentials={"bot_token": TOKEN},
        settings={"chat_id": CHAT, "chat_username": "keryxnews", **settings},
        timeout=5.0,
        allow_private=("api.telegram.org",),
    ))


def multipart(request: httpx.Request) -> dict[str, Any]:
    """The parts of a multipart/form-data body: name -> str value, or (filename, type, bytes)."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        head + request.content
    )
    parts: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        filename = part.get_filename()
        if filename:
            parts[name] = (filename, part.get_content_type(), payload)
        else:
            parts[name] = payload.decode()
    return parts


def mock() -> respx.MockRouter:
    return respx.mock(assert_all_called=True, assert_all_mocked=True)


def request(text: str = "Hello channel", media: tuple[MediaItem, ...] = (),
            **options: Any) -> PublishRequest:
    return PublishRequest(text=text, media=media, idempotency_key="k", options=options)


# -- connecting -------------------------------------------------------------------------------


def test_verify_checks_bot_chat_and_posting_right() -> None:
    with mock() as router:
        me = router.post(f"{BOT}/getMe").respond(200, json=fixture("getMe"))
        chat = router.post(f"{BOT}/getChat").respond(200, json=fixture("getChat"))
        member = router.post(f"{BOT}/getChatMember").respond(
            200, json=fixture("getChatMember_admin")
        )
        info = provider(chat_id="https://t.me/keryxnews").verify()
    assert me.called
    assert json.loads(chat.calls.last.request.content) == {"chat_id": "@keryxnews"}
    # The rights are asked for the bot itself, in the chat by its numeric id.
    assert json.loads(member.calls.last.request.content) == {
        "chat_id": -1001234567890, "user_id": 7012345678,
    }
    assert info.remote_id == CHAT
    assert info.handle == "@keryxnews"
    assert info.display_name == "Keryx News"
    assert info.url == "https://t.me/keryxnews"
    # The numeric id replaces @name: it survives a renamed channel.
    assert info.settings["chat_id"] == CHAT
    assert info.settings["bot_username"] == "keryx_poster_bot"


def test_verify_refuses_a_bot_that_may_not_post() -> None:
    with mock() as router:
        router.post(f"{BOT}/getMe").respond(200, json=fixture("getMe"))
        router.post(f"{BOT}/getChat").respond(200, json=fixture("getChat"))
        router.post(f"{BOT}/getChatMember").respond(200, json=fixture("getChatMember_no_post"))
        with pytest.raises(Disconnected) as caught:
            provider().verify()
    assert "@keryx_poster_bot" in caught.value.message
    assert "post messages" in caught.value.message


def test_verify_reports_an_unknown_chat() -> None:
    with mock() as router:
        router.post(f"{BOT}/getMe").respond(200, json=fixture("getMe"))
        router.post(f"{BOT}/getChat").respond(400, json=fixture("error_chat_not_found"))
        with pytest.raises(Disconnected, match="chat not found"):
            provider().verify()


@pytest.mark.parametrize("value,expected", [
    ("@keryxnews", "@keryxnews"), ("keryxnews", "@keryxnews"),
    ("https://t.me/keryxnews/", "@keryxnews"), ("-1001234567890", "-1001234567890"),
])
def test_chat_id_forms(value: str, expected: str) -> None:
    assert normalize_chat_id(value) == expected


@pytest.mark.parametrize("value", ["", "@ab", "a b", "https://example.org/x"])
def test_chat_id_rejects_nonsense(value: str) -> None:
    with pytest.raises(ValueError):
        normalize_chat_id(value)


def test_bot_token_format() -> None:
    assert check_bot_token(f" {TOKEN} ") == TOKEN
    with pytest.raises(ValueError):
        check_bot_token("not-a-token")


# -- validation -------------------------------------------------------------------------------


def test_text_is_counted_in_utf16_units(tmp_path) -> None:
    p = provider()
    assert p.validate(request("a" * 4096)) == []
    # 2048 emoji outside the BMP are 4096 UTF-16 units: fits; one more does not.
    assert p.validate(request("😀" * 2048)) == []
    problems = p.validate(request("😀" * 2049))
    assert [x.code for x in problems] == ["text_too_long"]
    assert problems[0].params == {"count": 4098, "limit": 4096}


def test_caption_limit_with_media(tmp_path) -> None:
    image = jpeg(tmp_path)
    p = provider()
    assert p.validate(request("é" * 1024, (image,))) == []
    problems = p.validate(request("é" * 1025, (image,)))
    assert problems[0].code == "text_too_long"
    assert problems[0].params["limit"] == 1024


def test_media_rules(tmp_path) -> None:
    image = jpeg(tmp_path)
    p = provider()
    assert [x.code for x in p.validate(request("x", (image,) * 11))] == ["too_many_media"]
    gif = MediaItem(path="a.gif", mime_type="image/gif", size=10)
    assert [x.code for x in p.validate(request("x", (gif,)))] == ["media_type"]
    huge = MediaItem(path="b.jpg", mime_type="image/jpeg", size=10_000_001, width=10, height=10)
    assert [x.code for x in p.validate(request("x", (huge,)))] == ["media_too_large"]
    thin = MediaItem(path="c.jpg", mime_type="image/jpeg", size=100, width=2100, height=100)
    assert [x.code for x in p.validate(request("x", (thin,)))] == ["media_dimensions"]
    assert [x.code for x in p.validate(request(""))] == ["empty"]


def test_thread_parts_are_checked() -> None:
    problems = provider().validate(request("root", thread=["ok", "", "😀" * 2049]))
    assert [(x.code, x.params["index"]) for x in problems] == [
        ("thread_part_invalid", 1), ("thread_part_invalid", 2),
    ]


# -- publishing -------------------------------------------------------------------------------


def test_text_goes_out_plain_without_parse_mode() -> None:
    text = "<b>not bold</b> *nor this* [link](https://evil.example) #keryx"
    with mock() as router:
        route = router.post(f"{BOT}/sendMessage").respond(200, json=fixture("sendMessage"))
        result = provider().publish(request(text, link_preview=False))
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "chat_id": CHAT, "text": text, "link_preview_options": {"is_disabled": True},
    }
    assert "parse_mode" not in body
    assert result.remote_id == "512"
    assert result.url == "https://t.me/keryxnews/512"
    assert result.published_at is not None and result.published_at.year == 2026


def test_one_photo_is_sent_as_multipart_with_its_caption(tmp_path) -> None:
    image = jpeg(tmp_path)
    with mock() as router:
        route = router.post(f"{BOT}/sendPhoto").respond(200, json=fixture("sendPhoto"))
        result = provider().publish(request("Hello channel", (image,)))
    parts = multipart(route.calls.last.request)
    assert parts["chat_id"] == CHAT
    assert parts["caption"] == "Hello channel"
    filename, mime, content = parts["photo"]
    assert (filename, mime) == ("photo.jpg", "image/jpeg")
    assert content == open(image.path, "rb").read()
    assert "parse_mode" not in parts
    assert result.remote_id == "513"
    assert result.url == "https://t.me/keryxnews/513"


def test_album_puts_the_caption_on_the_first_item(tmp_path) -> None:
    first, second = jpeg(tmp_path, "a.jpg"), jpeg(tmp_path, "b.jpg")
    with mock() as router:
        route = router.post(f"{BOT}/sendMediaGroup").respond(
            200, json=fixture("sendMediaGroup")
        )
        result = provider().publish(request("Album", (first, second)))
    parts = multipart(route.calls.last.request)
    assert json.loads(parts["media"]) == [
        {"type": "photo", "media": "attach://file0", "caption": "Album"},
        {"type": "photo", "media": "attach://file1"},
    ]
    assert parts["file0"][0] == "a.jpg" and parts["file1"][0] == "b.jpg"
    assert result.remote_id == "520,521"
    assert result.url == "https://t.me/keryxnews/520"


def test_thread_replies_chain_on_the_previous_message() -> None:
    answers = []
    for message_id in (512, 600, 601):
        body = fixture("sendMessage")
        body["result"]["message_id"] = message_id
        answers.append(httpx.Response(200, json=body))
    with mock() as router:
        route = router.post(f"{BOT}/sendMessage").mock(side_effect=answers)
        result = provider().publish(request("root", thread=["two", "three"]))
    sent = [json.loads(call.request.content) for call in route.calls]
    assert [s["text"] for s in sent] == ["root", "two", "three"]
    assert "reply_parameters" not in sent[0]
    assert sent[1]["reply_parameters"] == {"message_id": 512}
    assert sent[2]["reply_parameters"] == {"message_id": 600}
    assert result.remote_id == "512,600,601"


def test_a_failed_reply_does_not_fail_the_published_post() -> None:
    with mock() as router:
        router.post(f"{BOT}/sendMessage").mock(side_effect=[
            httpx.Response(200, json=fixture("sendMessage")),
            httpx.Response(429, json=fixture("error_429")),
        ])
        result = provider().publish(request("root", thread=["two"]))
    assert result.remote_id == "512"
    assert "Too Many Requests" in result.raw["follow_up_error"]


def test_private_channel_links_use_t_me_c() -> None:
    assert message_url({"id": -1001234567890}, 7) == "https://t.me/c/1234567890/7"
    assert message_url({"id": -1001234567890, "username": "keryxnews"}, 7) == (
        "https://t.me/keryxnews/7"
    )


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status,name,expected", [
    (401, "error_401", AuthExpired),
    (400, "error_chat_not_found", Disconnected),
    (403, "error_kicked", Disconnected),
    (400, "error_too_long", BadContent),
    (502, "error_502", Transient),
    # A 500 on a send may have posted: never retried blindly.
    (500, "error_500", OutcomeUnknown),
])
def test_errors_are_classified_with_telegrams_words(status, name, expected) -> None:
    with mock() as router:
        router.post(f"{BOT}/sendMessage").respond(status, json=fixture(name))
        with pytest.raises(expected) as caught:
            provider().publish(request())
    assert fixture(name)["description"] in caught.value.message


def test_rate_limit_reads_retry_after_from_parameters() -> None:
    with mock() as router:
        router.post(f"{BOT}/sendMessage").respond(429, json=fixture("error_429"))
        with pytest.raises(RateLimited) as caught:
            provider().publish(request())
    assert caught.value.retry_after == 17


def _everything_said(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc.args) + str(
        getattr(exc, "message", "")
    )


@pytest.mark.parametrize("failure", [
    httpx.ConnectError(f"cannot connect to {BOT}/sendMessage"),
    httpx.ReadTimeout(f"timed out reading {BOT}/sendMessage"),
    httpx.Response(400, json={"ok": False, "error_code": 400,
                              "description": f"Bad Request: wrong URL {BOT}/sendMessage"}),
    httpx.Response(500, text=f"<html>proxy error for {BOT}/sendMessage</html>"),
])
def test_the_bot_token_never_appears_in_errors_or_logs(failure, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with mock() as router:
        route = router.post(f"{BOT}/sendMessage")
        if isinstance(failure, Exception):
            route.mock(side_effect=failure)
        else:
            route.mock(return_value=failure)
        with pytest.raises(Exception) as caught:
            provider().publish(request())
    said = _everything_said(caught.value)
    assert TOKEN not in said
    assert TOKEN.split(":")[1] not in said
    assert TOKEN not in caplog.text
    assert caught.value.__cause__ is None


def test_the_bot_token_is_scrubbed_from_a_failed_thread_reply(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with mock() as router:
        router.post(f"{BOT}/sendMessage").mock(side_effect=[
            httpx.Response(200, json=fixture("sendMessage")),
            httpx.ConnectError(f"refused: {BOT}/sendMessage"),
        ])
        result = provider().publish(request("root", thread=["two"]))
    assert TOKEN not in json.dumps(result.raw)
    assert TOKEN not in caplog.text


# -- reconciling and deleting -------------------------------------------------------------------


def test_lookup_says_honestly_that_it_cannot_tell() -> None:
    with mock():  # no request may leave
        with pytest.raises(CannotReconcile) as caught:
            provider().lookup(request())
    assert caught.value.code == "cannot_reconcile"
    assert not caught.value.retryable
    assert "Check the channel" in caught.value.message


def test_delete_one_message_and_an_album() -> None:
    with mock() as router:
        one = router.post(f"{BOT}/deleteMessage").respond(200, json=fixture("ok_true"))
        many = router.post(f"{BOT}/deleteMessages").respond(200, json=fixture("ok_true"))
        provider().delete("512")
        provider().delete("520,521")
    assert json.loads(one.calls.last.request.content) == {"chat_id": CHAT, "message_id": 512}
    assert json.loads(many.calls.last.request.content) == {
        "chat_id": CHAT, "message_ids": [520, 521],
    }


def test_delete_of_a_gone_message_is_done() -> None:
    with mock() as router:
        router.post(f"{BOT}/deleteMessage").respond(400, json=fixture("error_delete_not_found"))
        provider().delete("512")


# -- the engine with a network that cannot reconcile ------------------------------------------


@pytest.mark.django_db
def test_engine_stops_an_unknown_outcome_for_the_user_to_check(people, settings) -> None:
    """A 500 on sendMessage may have posted. Telegram cannot be asked, so the engine must not
    send again by itself: the target fails with cannot_reconcile; a manual retry then sends."""
    from datetime import timedelta

    from django.utils import timezone

    from keryx.channels.models import Channel
    from keryx.publishing import services
    from keryx.publishing.models import PostTarget, TargetState
    from tests.support.engine import run_due

    settings.ALLOWED_PRIVATE_HOSTS = ["api.telegram.org"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    channel = Channel.objects.create(
        workspace=people.acme, network="telegram", name="Keryx News",
        credentials={"bot_token": TOKEN}, settings={"chat_id": CHAT, "chat_username": "keryxnews"},
    )
    post = services.create_post(workspace=people.acme, author=people.alice, text="Hello channel",
                                channels=[channel], actor="alice@example.com")
    with mock() as router:
        send = router.post(f"{BOT}/sendMessage").mock(side_effect=[
            httpx.Response(500, json=fixture("error_500")),
            httpx.Response(200, json=fixture("sendMessage")),
        ])
        assert run_due() == [TargetState.UNKNOWN]
        # Reconciling: lookup cannot tell, so nothing is sent and the user is asked to check.
        assert run_due(now=timezone.now() + timedelta(minutes=1)) == [TargetState.FAILED]
        target = PostTarget.objects.get(post=post)
        assert target.error_code == "cannot_reconcile"
        assert "Check the channel" in target.error_message
        assert send.call_count == 1
        # Nothing more happens by itself.
        assert run_due(now=timezone.now() + timedelta(days=1)) == []
        # The user saw the post was missing and retries: now it is sent.
        services.retry_target(target, actor="alice@example.com")
        assert run_due(now=timezone.now() + timedelta(minutes=2)) == [TargetState.PUBLISHED]
        assert send.call_count == 2
    target.refresh_from_db()
    assert target.remote_url == "https://t.me/keryxnews/512"
