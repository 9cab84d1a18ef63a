"""Instagram provider (Instagram API with Instagram Login): caption rules, the publishing quota
check, container -> status_code -> media_publish (respx at the HTTP seam, documented answers
replayed), first comment, tokens; and the shared Graph API error/usage parsing (networks/meta)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from keryx.networks import instagram as igmod
from keryx.networks import meta
from keryx.networks.base import (
    AuthExpired,
    BadContent,
    MediaItem,
    OutcomeUnknown,
    ProviderContext,
    PublishRequest,
    RateLimited,
    Transient,
)
from keryx.networks.instagram import InstagramProvider
from tests.networks.kits.instagram import CONTAINER, KIT, POST, PUBLIC_MEDIA, USER, V, fixture

API = "https://graph.instagram.com"
mock = respx.mock(assert_all_mocked=True, assert_all_called=False)


def provider(credentials: dict[str, Any] | None = None, sleep: Any = None,
             oauth_base: str = "") -> InstagramProvider:
    context = ProviderContext(
        credentials=credentials if credentials is not None else KIT.credentials(),
        settings=KIT.channel_settings(), timeout=5.0,
        allow_private=("graph.instagram.com", "api.instagram.com"), api_base=API,
        oauth_base=oauth_base, client_id="ig-app", client_secret="ig-secret",
    )
    return InstagramProvider(context, sleep=sleep or (lambda seconds: None))


def image(tmp_path: Path, name: str = "photo.jpg", alt: str = "", w: int = 1080,
          h: int = 1080) -> MediaItem:
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8\xff" + b"\x00" * 100)
    return MediaItem(path=str(path), mime_type="image/jpeg", size=103, alt_text=alt,
                     width=w, height=h)


def form(call: Any) -> dict[str, str]:
    return dict(httpx.QueryParams(call.request.content.decode()))


def route_ready(respx_mock: respx.Router, limit: str = "publishing_limit.json") -> Any:
    return respx_mock.get(f"{V}/{USER}/content_publishing_limit").respond(
        200, json=fixture(limit))


# -- validation --------------------------------------------------------------------------------


def test_validate_caption_tags_mentions_and_media(tmp_path: Path) -> None:
    one = (image(tmp_path),)
    assert provider().validate(PublishRequest(text=KIT.text_ok, media=one)) == []
    # 2199 letters + one emoji of two UTF-16 units = 2201.
    problems = provider().validate(PublishRequest(text="a" * 2199 + "😀", media=one))
    assert [(p.code, p.params) for p in problems] == [
        ("too_long", {"length": 2201, "limit": 2200})]
    tags = " ".join(f"#t{i}" for i in range(31))
    mentions = " ".join(f"@u{i}" for i in range(21))
    codes = [p.code for p in provider().validate(PublishRequest(text=f"{tags} {mentions}",
                                                                media=one))]
    assert codes == ["too_many_hashtags", "too_many_mentions"]
    assert [p.code for p in provider().validate(PublishRequest(text="just text"))] == [
        "media_required"]
    png = MediaItem(path=str(tmp_path / "a.png"), mime_type="image/png", size=10)
    wide = image(tmp_path, "wide.jpg", w=2000, h=1000)
    problems = provider().validate(PublishRequest(
        text="x", media=(png, wide, image(tmp_path, alt="a" * 1001), *([one[0]] * 8))))
    assert {p.code for p in problems} == {
        "too_many_media", "media_type", "aspect_ratio", "alt_text_too_long"}


# -- publishing --------------------------------------------------------------------------------


@mock
def test_image_post_checks_quota_polls_publishes_and_comments(
    respx_mock: respx.Router, tmp_path: Path
) -> None:
    quota = route_ready(respx_mock)
    create = respx_mock.post(f"{V}/{USER}/media").respond(200, json=fixture("container.json"))
    status = respx_mock.get(f"{V}/{CONTAINER}").mock(side_effect=[
        httpx.Response(200, json=fixture("container_in_progress.json")),
        httpx.Response(200, json=fixture("container_finished.json")),
    ])
    publish = respx_mock.post(f"{V}/{USER}/media_publish").respond(
        200, json=fixture("media_publish.json"))
    respx_mock.get(f"{V}/{POST}").respond(200, json=fixture("permalink.json"))
    comment = respx_mock.post(f"{V}/{POST}/comments").respond(
        200, json=fixture("comment_created.json"))

    result = provider().publish(PublishRequest(
        text="Fresh coffee", media=(image(tmp_path, alt="A cup"),),
        options={"media_urls": [PUBLIC_MEDIA], "first_comment": "#coffee #morning"}))

    assert (result.remote_id, result.url) == (POST, "https://www.instagram.com/p/C9xYzAbCdEf/")
    assert quota.calls.last.request.url.params["fields"] == "quota_usage,config"
    assert form(create.calls.last) == {"image_url": PUBLIC_MEDIA, "alt_text": "A cup",
                                       "caption": "Fresh coffee"}
    assert create.calls.last.request.url.params["access_token"] == "IGQVJlonglived"
    assert status.call_count == 2
    assert status.calls.last.request.url.params["fields"] == "status_code,status"
    assert form(publish.calls.last) == {"creation_id": CONTAINER}
    assert form(comment.calls.last) == {"message": "#coffee #morning"}
    assert result.raw["first_comment_id"] == "17870913679156914"


@mock
def test_carousel_and_reel_containers(respx_mock: respx.Router, tmp_path: Path) -> None:
    route_ready(respx_mock)
    ids = iter(["c1", "c2", "parent", "reel"])
    create = respx_mock.post(f"{V}/{USER}/media").mock(
        side_effect=lambda request: httpx.Response(200, json={"id": next(ids)}))
    respx_mock.get(path__regex=r"^/v23.0/(c1|c2|parent|reel)$").respond(
        200, json=fixture("container_finished.json"))
    respx_mock.post(f"{V}/{USER}/media_publish").respond(200, json=fixture("media_publish.json"))
    respx_mock.get(f"{V}/{POST}").respond(200, json=fixture("permalink.json"))
    clip = MediaItem(path=str(tmp_path / "v.mp4"), mime_type="video/mp4", size=100)
    urls = ["https://k.example/1.jpg", "https://k.example/2.mp4"]

    provider().publish(PublishRequest(text="Two", media=(image(tmp_path), clip),
                                      options={"media_urls": urls}))
    provider().publish(PublishRequest(text="Reel", media=(clip,),
                                      options={"media_urls": urls[1:]}))

    assert [form(call) for call in create.calls] == [
        {"image_url": urls[0], "is_carousel_item": "true"},
        {"media_type": "VIDEO", "video_url": urls[1], "is_carousel_item": "true"},
        {"media_type": "CAROUSEL", "children": "c1,c2", "caption": "Two"},
        {"media_type": "REELS", "video_url": urls[1], "caption": "Reel"},
    ]


@mock
def test_a_full_daily_quota_is_rate_limited_before_any_container(
    respx_mock: respx.Router, tmp_path: Path
) -> None:
    route_ready(respx_mock, "publishing_limit_full.json")
    create = respx_mock.post(f"{V}/{USER}/media")
    with pytest.raises(RateLimited, match="50 of its 50") as caught:
        provider().publish(PublishRequest(text="x", media=(image(tmp_path),),
                                          options={"media_urls": [PUBLIC_MEDIA]}))
    assert caught.value.retry_after == igmod.QUOTA_WAIT
    assert not create.called
    assert InstagramProvider.daily_post_cap == 50


@mock
def test_a_container_error_is_bad_content_with_instagrams_status(
    respx_mock: respx.Router, tmp_path: Path
) -> None:
    route_ready(respx_mock)
    respx_mock.post(f"{V}/{USER}/media").respond(200, json=fixture("container.json"))
    respx_mock.get(f"{V}/{CONTAINER}").respond(200, json=fixture("container_error.json"))
    publish = respx_mock.post(f"{V}/{USER}/media_publish")
    with pytest.raises(BadContent, match=r"aspect ratio is not supported \(2207009\)"):
        provider().publish(PublishRequest(text="x", media=(image(tmp_path),),
                                          options={"media_urls": [PUBLIC_MEDIA]}))
    assert not publish.called


@mock
def test_a_container_that_never_finishes_is_transient_after_a_bounded_wait(
    respx_mock: respx.Router, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(InstagramProvider, "container_timeout", 0.2)
    route_ready(respx_mock)
    respx_mock.post(f"{V}/{USER}/media").respond(200, json=fixture("container.json"))
    status = respx_mock.get(f"{V}/{CONTAINER}").respond(
        200, json=fixture("container_in_progress.json"))
    publish = respx_mock.post(f"{V}/{USER}/media_publish")
    started = time.monotonic()
    with pytest.raises(Transient, match="status IN_PROGRESS: In Progress"):
        provider(sleep=lambda s: time.sleep(min(s, 0.05))).publish(PublishRequest(
            text="x", media=(image(tmp_path),), options={"media_urls": [PUBLIC_MEDIA]}))
    assert time.monotonic() - started < 2
    assert status.call_count >= 2
    assert not publish.called


@mock
def test_an_expired_container_is_transient(respx_mock: respx.Router, tmp_path: Path) -> None:
    route_ready(respx_mock)
    respx_mock.post(f"{V}/{USER}/media").respond(200, json=fixture("container.json"))
    respx_mock.get(f"{V}/{CONTAINER}").respond(200, json=fixture("container_expired.json"))
    with pytest.raises(Transient, match="not published within 24 hours"):
        provider().publish(PublishRequest(text="x", media=(image(tmp_path),),
                                          options={"media_urls": [PUBLIC_MEDIA]}))


@pytest.mark.parametrize(("kind", "error", "words"), [
    ("auth", AuthExpired, "Session has expired"),
    ("rate_limit", RateLimited, "exceeded the rate limit"),
    ("server", Transient, "Service temporarily unavailable"),
    ("bad_content", BadContent, "Too many hashtags: The caption contains more than 30"),
])
@mock
def test_graph_errors_map_by_code(respx_mock: respx.Router, tmp_path: Path, kind: str,
                                  error: type[Exception], words: str) -> None:
    KIT.route_publish_error(respx_mock, kind)
    with pytest.raises(error) as caught:
        provider().publish(PublishRequest(text="x", media=(image(tmp_path),),
                                          options={"media_urls": [PUBLIC_MEDIA]}))
    assert words in caught.value.message
    if kind == "rate_limit":
        # estimated_time_to_regain_access is in minutes.
        assert caught.value.retry_after == 12 * 60


@mock
def test_a_failed_first_comment_keeps_the_published_post(
    respx_mock: respx.Router, tmp_path: Path
) -> None:
    KIT.route_publish(respx_mock)
    respx_mock.post(f"{V}/{POST}/comments").respond(503, json=fixture("error_unavailable.json"))
    result = provider().publish(PublishRequest(
        text="x", media=(image(tmp_path),),
        options={"media_urls": [PUBLIC_MEDIA], "first_comment": "hi"}))
    assert result.remote_id == POST
    assert result.raw["follow_up_error"] == "Service temporarily unavailable"


# -- account and tokens ------------------------------------------------------------------------


@mock
def test_verify_refuses_personal_accounts(respx_mock: respx.Router) -> None:
    respx_mock.get(f"{V}/me").mock(side_effect=[
        httpx.Response(200, json=fixture("me.json")),
        httpx.Response(200, json=fixture("me_personal.json")),
    ])
    info = provider().verify()
    assert (info.remote_id, info.handle) == (USER, "@keryx.cafe")
    assert info.settings["account_type"] == "BUSINESS"
    with pytest.raises(BadContent, match="Business or Creator"):
        provider().verify()


@mock
def test_code_exchange_uses_the_token_host_then_a_long_lived_token(
    respx_mock: respx.Router
) -> None:
    short = respx_mock.post("https://api.instagram.com/oauth/access_token").respond(
        200, json=fixture("token_short.json"))
    long = respx_mock.get(f"{API}/access_token").respond(200, json=fixture("token_long.json"))
    tokens = provider(credentials={}).exchange_code("code-9", "https://k.example/cb/")
    assert form(short.calls.last) == {
        "client_id": "ig-app", "client_secret": "ig-secret",
        "grant_type": "authorization_code", "redirect_uri": "https://k.example/cb/",
        "code": "code-9"}
    assert dict(long.calls.last.request.url.params) == {
        "grant_type": "ig_exchange_token", "client_secret": "ig-secret",
        "access_token": "IGQVJshortlived"}
    assert tokens.access_token == tokens.refresh_token == "IGQVJlonglived"
    assert tokens.raw["user_id"] == USER
    assert tokens.expires_at and (tokens.expires_at - datetime.now(UTC)).days >= 59


@mock
def test_a_bad_code_and_an_expired_token_mean_reconnect(respx_mock: respx.Router) -> None:
    respx_mock.post("https://api.instagram.com/oauth/access_token").respond(
        400, json=fixture("token_code_invalid.json"))
    with pytest.raises(AuthExpired, match="Invalid authorization code"):
        provider(credentials={}).exchange_code("used", "https://k.example/cb/")
    KIT.route_refresh_refused(respx_mock)
    with pytest.raises(AuthExpired, match="Session has expired"):
        provider().refresh()


@mock
def test_refresh_renews_the_long_lived_token(respx_mock: respx.Router) -> None:
    route = respx_mock.get(f"{API}/refresh_access_token").respond(
        200, json=fixture("token_long.json"))
    tokens = provider().refresh()
    assert tokens.access_token == tokens.refresh_token == "IGQVJlonglived"
    assert dict(route.calls.last.request.url.params) == {
        "grant_type": "ig_refresh_token", "access_token": "IGQVJlonglived"}


# -- lookup, metrics, comments -----------------------------------------------------------------


@mock
def test_lookup_metrics_comments_reply_hide(respx_mock: respx.Router, tmp_path: Path) -> None:
    KIT.route_lookup(respx_mock, found=True)
    found = provider().lookup(PublishRequest(text=KIT.text_ok,
                                             scheduled_at=datetime(2098, 12, 31, tzinfo=UTC)))
    assert found is not None and found.remote_id == POST
    # Posted before the scheduled time (minus a margin) cannot be this request's post.
    assert provider().lookup(PublishRequest(
        text=KIT.text_ok, scheduled_at=datetime(2099, 6, 1, tzinfo=UTC))) is None

    respx_mock.get(f"{V}/{POST}/insights").respond(200, json=fixture("insights.json"))
    m = provider().fetch_metrics(POST)
    assert (m.reach, m.likes, m.comments, m.shares, m.saves, m.impressions) == (
        812, 64, 7, 3, 9, 1430)
    assert (m.clicks, m.video_views, m.quotes) == (None, None, None)

    respx_mock.get(f"{V}/{POST}/comments").respond(200, json=fixture("comments.json"))
    comments = provider().fetch_comments(POST)
    assert [(c.remote_id, c.author_handle, c.parent_id) for c in comments] == [
        ("17858893269000001", "@a.customer", POST),
        ("17858893269000002", "@keryx.cafe", "17858893269000001")]

    reply = respx_mock.post(f"{V}/17858893269000001/replies").respond(
        200, json=fixture("comment_created.json"))
    assert provider().reply("17858893269000001", "Thanks!").remote_id == "17870913679156914"
    assert form(reply.calls.last) == {"message": "Thanks!"}

    hide = respx_mock.post(f"{V}/17858893269000001").respond(200, json=fixture("success.json"))
    provider().hide_comment("17858893269000001")
    assert form(hide.calls.last) == {"hide": "true"}


# -- networks/meta: Graph API error body and usage headers -------------------------------------


def _graph(status: int, error: dict[str, Any], headers: dict[str, str] | None = None):
    return httpx.Response(status, json={"error": error}, headers=headers or {})


@pytest.mark.parametrize(("response", "expected"), [
    (_graph(400, {"message": "Session has expired", "code": 190, "error_subcode": 463}),
     AuthExpired),
    (_graph(400, {"message": "User has not authorized application", "code": 190,
                  "error_subcode": 458}), AuthExpired),
    (_graph(403, {"message": "(#10) Permission denied", "code": 10}), AuthExpired),
    (_graph(400, {"message": "User request limit reached", "code": 17}), RateLimited),
    (_graph(400, {"message": "Application does not have the capability", "code": 9,
                  "error_subcode": 2207042}), RateLimited),
    (_graph(400, {"message": "Media ID is not available", "code": 9007,
                  "error_subcode": 2207027}), Transient),
    (_graph(500, {"message": "An unknown error occurred", "code": 1,
                  "is_transient": True}), OutcomeUnknown),
    (_graph(400, {"message": "Invalid parameter", "code": 100}), BadContent),
    (httpx.Response(502, text="Bad Gateway"), Transient),
])
def test_meta_error_codes_map_to_the_taxonomy(response: httpx.Response, expected: type) -> None:
    with pytest.raises(expected) as caught:
        meta.raise_for_graph(response, sent_unsafe=True)
    assert type(caught.value) is expected


def test_meta_usage_headers() -> None:
    headers = httpx.Headers({
        "x-app-usage": json.dumps({"call_count": 96, "total_cputime": 10, "total_time": 20}),
        "x-business-use-case-usage": json.dumps({"1": [
            {"type": "instagram", "call_count": 40, "total_cputime": 5, "total_time": 7,
             "estimated_time_to_regain_access": 0}]}),
    })
    assert meta.usage(headers) == {"app": 96.0, "business": 40.0}
    assert meta.near_limit(headers)
    assert not meta.near_limit(headers, threshold=97)
    assert meta.retry_after(httpx.Headers({"retry-after": "30"})) == 30
    assert meta.retry_after(httpx.Headers({})) == meta.DEFAULT_THROTTLE_WAIT
