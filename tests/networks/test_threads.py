"""Threads provider: counting rules, the container -> status -> publish protocol (respx at the
HTTP seam, the documented answers replayed) and the token exchanges."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from keryx.networks.base import (
    AuthExpired,
    BadContent,
    MediaItem,
    ProviderContext,
    PublishRequest,
    RateLimited,
    Transient,
)
from keryx.networks.threads import ThreadsProvider, threads_length
from tests.networks.kits.threads import CONTAINER, KIT, POST, PUBLIC_MEDIA, USER, V, fixture

API = "https://graph.threads.net"


def provider(credentials: dict[str, Any] | None = None, sleep: Any = None) -> ThreadsProvider:
    context = ProviderContext(
        credentials=credentials if credentials is not None else KIT.credentials(),
        settings=KIT.channel_settings(), timeout=5.0,
        allow_private=("graph.threads.net", "threads.net"), api_base=API,
        client_id="app-1", client_secret="app-secret",
    )
    return ThreadsProvider(context, sleep=sleep or (lambda seconds: None))


def image(tmp_path: Path, name: str = "photo.jpg", alt: str = "") -> MediaItem:
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8\xff" + b"\x00" * 100)
    return MediaItem(path=str(path), mime_type="image/jpeg", size=103, alt_text=alt)


def form(call: Any) -> dict[str, str]:
    return dict(httpx.QueryParams(call.request.content.decode()))


mock = respx.mock(assert_all_mocked=True, assert_all_called=False)


# -- counting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "length"), [
    ("hello", 5),
    ("👋", 4),             # one emoji = its UTF-8 bytes
    ("❤️", 6),             # U+2764 U+FE0F: 3 + 3 bytes
    ("👩‍👩‍👧", 18),          # a ZWJ family: 4 + 3 + 4 + 3 + 4
    ("🇬🇷", 8),             # a flag: two regional indicators
    ("Καλημέρα", 8),       # Greek letters are characters, not bytes
    ("e\u0301", 2),        # undocumented unit: code points, the stricter reading
])
def test_threads_length(text: str, length: int) -> None:
    assert threads_length(text) == length


def test_validate_text_links_and_media(tmp_path: Path) -> None:
    assert provider().validate(PublishRequest(text="a" * 496 + "👋")) == []
    too_long = provider().validate(PublishRequest(text=KIT.text_too_long))
    assert [(p.code, p.params) for p in too_long] == [
        ("too_long", {"length": 501, "limit": 500})]
    links = " ".join(f"https://example.com/{i}" for i in range(6))
    assert [p.code for p in provider().validate(PublishRequest(text=links))] == [
        "too_many_links"]
    # The same link twice counts once.
    assert provider().validate(PublishRequest(text=" ".join(["https://a.example"] * 6))) == []
    gif = MediaItem(path=str(tmp_path / "a.gif"), mime_type="image/gif", size=10)
    big = MediaItem(path=str(tmp_path / "b.png"), mime_type="image/png", size=9 * 1024 * 1024)
    problems = provider().validate(PublishRequest(
        text="x", media=(gif, big, image(tmp_path, alt="a" * 1001)),
        options={"thread": ["b" * 501]}))
    assert {(p.code, p.field) for p in problems} == {
        ("media_type", "media"), ("media_too_large", "media"), ("alt_text_too_long", "media"),
        ("too_long", "thread")}


# -- publishing --------------------------------------------------------------------------------


@mock
def test_image_post_creates_polls_and_publishes(respx_mock: respx.Router, tmp_path: Path) -> None:
    create = respx_mock.post(f"{V}/{USER}/threads").respond(200, json=fixture("container.json"))
    status = respx_mock.get(f"{V}/{CONTAINER}").mock(side_effect=[
        httpx.Response(200, json=fixture("container_in_progress.json")),
        httpx.Response(200, json=fixture("container_finished.json")),
    ])
    publish = respx_mock.post(f"{V}/{USER}/threads_publish").respond(
        200, json=fixture("publish.json"))
    respx_mock.get(f"{V}/{POST}").respond(200, json=fixture("permalink.json"))

    result = provider().publish(PublishRequest(
        text="Hello", media=(image(tmp_path, alt="A cat"),),
        options={"media_urls": [PUBLIC_MEDIA]}))

    assert result.remote_id == POST
    assert result.url == "https://www.threads.net/@keryx.app/post/C7abcDEFghi"
    assert form(create.calls.last) == {"media_type": "IMAGE", "image_url": PUBLIC_MEDIA,
                                       "alt_text": "A cat", "text": "Hello"}
    assert create.calls.last.request.url.params["access_token"] == "THQVJlonglivedtoken"
    assert status.call_count == 2
    assert status.calls.last.request.url.params["fields"] == "status,error_message"
    assert form(publish.calls.last) == {"creation_id": CONTAINER}


@mock
def test_carousel_children_then_parent(respx_mock: respx.Router, tmp_path: Path) -> None:
    ids = iter(["c1", "c2", "parent"])
    create = respx_mock.post(f"{V}/{USER}/threads").mock(
        side_effect=lambda request: httpx.Response(200, json={"id": next(ids)}))
    for container in ("c1", "c2", "parent"):
        respx_mock.get(f"{V}/{container}").respond(200, json=fixture("container_finished.json"))
    publish = respx_mock.post(f"{V}/{USER}/threads_publish").respond(
        200, json=fixture("publish.json"))
    respx_mock.get(f"{V}/{POST}").respond(200, json=fixture("permalink.json"))
    video = MediaItem(path=str(tmp_path / "v.mp4"), mime_type="video/mp4", size=100)

    provider().publish(PublishRequest(
        text="Two", media=(image(tmp_path), video),
        options={"media_urls": ["https://k.example/1.jpg", "https://k.example/2.mp4"]}))

    assert [form(call) for call in create.calls] == [
        {"media_type": "IMAGE", "image_url": "https://k.example/1.jpg",
         "is_carousel_item": "true"},
        {"media_type": "VIDEO", "video_url": "https://k.example/2.mp4",
         "is_carousel_item": "true"},
        {"media_type": "CAROUSEL", "children": "c1,c2", "text": "Two"},
    ]
    assert form(publish.calls.last) == {"creation_id": "parent"}


@mock
def test_thread_and_first_comment_reply_to_the_previous_post(respx_mock: respx.Router) -> None:
    containers = iter(["k1", "k2", "k3"])
    posts = iter(["p1", "p2", "p3"])
    create = respx_mock.post(f"{V}/{USER}/threads").mock(
        side_effect=lambda request: httpx.Response(200, json={"id": next(containers)}))
    respx_mock.get(url__regex=rf"{V}/k\d").respond(200, json=fixture("container_finished.json"))
    respx_mock.post(f"{V}/{USER}/threads_publish").mock(
        side_effect=lambda request: httpx.Response(200, json={"id": next(posts)}))
    respx_mock.get(url__regex=rf"{V}/p\d").respond(200, json={"permalink": "https://t/p"})

    result = provider().publish(PublishRequest(
        text="1/2", options={"thread": ["2/2"], "first_comment": "more"}))

    assert [form(call) for call in create.calls] == [
        {"media_type": "TEXT", "text": "1/2"},
        {"media_type": "TEXT", "text": "2/2", "reply_to_id": "p1"},
        {"media_type": "TEXT", "text": "more", "reply_to_id": "p2"},
    ]
    assert result.remote_id == "p1" and result.raw["replies"] == ["p2", "p3"]


@mock
def test_a_failed_container_is_bad_content_with_threads_status(respx_mock: respx.Router) -> None:
    respx_mock.post(f"{V}/{USER}/threads").respond(200, json=fixture("container.json"))
    respx_mock.get(f"{V}/{CONTAINER}").respond(200, json=fixture("container_error.json"))
    publish = respx_mock.post(f"{V}/{USER}/threads_publish")
    with pytest.raises(BadContent, match="FAILED_DOWNLOADING_VIDEO"):
        provider().publish(PublishRequest(text="x"))
    assert not publish.called


@mock
def test_a_container_that_never_finishes_is_transient_after_a_bounded_wait(
    respx_mock: respx.Router, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ThreadsProvider, "container_timeout", 0.2)
    respx_mock.post(f"{V}/{USER}/threads").respond(200, json=fixture("container.json"))
    status = respx_mock.get(f"{V}/{CONTAINER}").respond(
        200, json=fixture("container_in_progress.json"))
    publish = respx_mock.post(f"{V}/{USER}/threads_publish")
    started = time.monotonic()
    with pytest.raises(Transient, match="status IN_PROGRESS"):
        provider(sleep=lambda s: time.sleep(min(s, 0.05))).publish(PublishRequest(text="x"))
    assert time.monotonic() - started < 2
    assert status.call_count >= 2
    assert not publish.called


@mock
def test_an_expired_container_is_transient(respx_mock: respx.Router) -> None:
    respx_mock.post(f"{V}/{USER}/threads").respond(200, json=fixture("container.json"))
    respx_mock.get(f"{V}/{CONTAINER}").respond(200, json=fixture("container_expired.json"))
    with pytest.raises(Transient, match="expired"):
        provider().publish(PublishRequest(text="x"))


def test_media_without_a_public_url_is_refused_before_any_request(tmp_path: Path) -> None:
    with respx.mock(assert_all_mocked=True) as router:
        with pytest.raises(BadContent, match="public URL"):
            provider().publish(PublishRequest(text="x", media=(image(tmp_path),)))
        assert not router.calls


@pytest.mark.parametrize(("kind", "error", "words"), [
    ("auth", AuthExpired, "Session has expired"),
    ("rate_limit", RateLimited, "Application request limit reached"),
    ("server", Transient, "Service temporarily unavailable"),
    ("bad_content", BadContent, "A post can include up to 5 links."),
])
@mock
def test_graph_errors_map_by_code(
    respx_mock: respx.Router, tmp_path: Path, kind: str, error: type[Exception], words: str
) -> None:
    KIT.route_publish_error(respx_mock, kind)
    with pytest.raises(error) as caught:
        provider().publish(PublishRequest(text="x"))
    assert words in caught.value.message
    if kind == "rate_limit":
        assert caught.value.retry_after and caught.value.retry_after > 0


# -- tokens ------------------------------------------------------------------------------------


@mock
def test_code_exchange_trades_for_a_long_lived_token(respx_mock: respx.Router) -> None:
    short = respx_mock.post(f"{API}/oauth/access_token").respond(
        200, json=fixture("token_short.json"))
    long = respx_mock.get(f"{API}/access_token").respond(200, json=fixture("token_long.json"))
    tokens = provider(credentials={}).exchange_code("code-1", "https://k.example/cb/")
    assert form(short.calls.last) == {
        "client_id": "app-1", "client_secret": "app-secret",
        "grant_type": "authorization_code", "redirect_uri": "https://k.example/cb/",
        "code": "code-1"}
    assert dict(long.calls.last.request.url.params) == {
        "grant_type": "th_exchange_token", "client_secret": "app-secret",
        "access_token": "THQVJshortlivedtoken"}
    assert tokens.access_token == tokens.refresh_token == "THQVJlonglivedtoken"
    assert tokens.raw["user_id"] == "1234567"
    assert tokens.expires_at and (tokens.expires_at - datetime.now(UTC)).days >= 59


@mock
def test_refresh_renews_the_long_lived_token(respx_mock: respx.Router) -> None:
    route = respx_mock.get(f"{API}/refresh_access_token").respond(
        200, json=fixture("token_long.json"))
    tokens = provider().refresh()
    assert tokens.access_token == tokens.refresh_token == "THQVJlonglivedtoken"
    assert dict(route.calls.last.request.url.params) == {
        "grant_type": "th_refresh_token", "access_token": "THQVJlonglivedtoken"}


@mock
def test_an_expired_token_cannot_be_refreshed(respx_mock: respx.Router) -> None:
    KIT.route_refresh_refused(respx_mock)
    with pytest.raises(AuthExpired, match="Session has expired"):
        provider().refresh()


# -- lookup, quota, metrics, comments ----------------------------------------------------------


@mock
def test_lookup_quota_metrics_comments_reply_hide(respx_mock: respx.Router) -> None:
    KIT.route_lookup(respx_mock, found=True)
    when = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    found = provider().lookup(PublishRequest(text=KIT.text_ok, scheduled_at=when))
    assert found is not None and found.remote_id == POST
    assert respx_mock.calls.last.request.url.params["since"] == str(
        int(when.timestamp()) - 300)
    assert provider().lookup(PublishRequest(text="never posted")) is None

    respx_mock.get(f"{V}/{USER}/threads_publishing_limit").respond(
        200, json=fixture("publishing_limit.json"))
    assert provider().publishing_quota() == (4, 250)

    respx_mock.get(f"{V}/{POST}/insights").respond(200, json=fixture("insights.json"))
    metrics = provider().fetch_metrics(POST)
    assert (metrics.impressions, metrics.likes, metrics.comments, metrics.shares,
            metrics.quotes, metrics.saves) == (1520, 40, 5, 3, 1, None)

    respx_mock.get(f"{V}/{POST}/conversation").respond(200, json=fixture("conversation.json"))
    comments = provider().fetch_comments(POST, since=datetime(2026, 1, 1, 12, 15, tzinfo=UTC))
    assert [(c.remote_id, c.author_handle, c.parent_id) for c in comments] == [
        ("18050000000000002", "@someone", "18050000000000001")]

    create = respx_mock.post(f"{V}/{USER}/threads").respond(200, json=fixture("container.json"))
    respx_mock.get(f"{V}/{CONTAINER}").respond(200, json=fixture("container_finished.json"))
    respx_mock.post(f"{V}/{USER}/threads_publish").respond(200, json=fixture("publish.json"))
    respx_mock.get(f"{V}/{POST}").respond(200, json=fixture("permalink.json"))
    provider().reply("18050000000000001", "Thank you")
    assert form(create.calls.last) == {"media_type": "TEXT", "text": "Thank you",
                                       "reply_to_id": "18050000000000001"}

    hide = respx_mock.post(f"{V}/18050000000000002/manage_reply").respond(
        200, json=fixture("success.json"))
    provider().hide_comment("18050000000000002")
    assert form(hide.calls.last) == {"hide": "true"}
