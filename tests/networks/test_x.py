"""X provider: twitter-text conformance, the requests it sends (respx at the HTTP seam) and how
it reads X's documented answers."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from keryx.networks import x as xmod
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
from keryx.networks.x import XProvider, comparable, weighted_length
from tests.networks.kits.x import KIT, fixture

API = "https://api.x.com"
SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "specs"
VALIDATE_YML = SPECS / "twitter-text" / "validate.yml"


def provider(credentials: dict[str, Any] | None = None, **settings: Any) -> XProvider:
    context = ProviderContext(
        credentials=credentials or KIT.credentials(),
        settings={**KIT.channel_settings(), **settings},
        timeout=5.0,
        allow_private=("api.x.com", "x.com"),
        api_base=API,
        client_id="client-123",
        client_secret="secret-456",
    )
    return XProvider(context, sleep=lambda seconds: None)


def jpeg(tmp_path: Path, alt: str = "An orange square") -> MediaItem:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 2000)
    return MediaItem(path=str(path), mime_type="image/jpeg", size=2004, alt_text=alt)


def video(tmp_path: Path, size: int) -> MediaItem:
    path = tmp_path / "clip.mp4"
    path.write_bytes(bytes(range(256)) * (size // 256) + b"\x00" * (size % 256))
    return MediaItem(path=str(path), mime_type="video/mp4", size=size)


def sent_json(call: Any) -> Any:
    return json.loads(call.request.content)


# -- twitter-text conformance (validate.yml) ---------------------------------------------------


def _weighted_cases() -> list[Any]:
    if not VALIDATE_YML.exists():
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=f"twitter-text conformance data not found at {VALIDATE_YML}"))]
    import yaml

    tests = yaml.safe_load(VALIDATE_YML.read_text(encoding="utf-8"))["tests"]
    cases = []
    # v3 (emoji sequences weigh 2) is what X counts with; the plain "WeightedTweetsCounterTest"
    # section is the v2 config and does not apply.
    for section in ("WeightedTweetsWithDiscountedEmojiCounterTest",
                    "UnicodeDirectionalMarkerCounterTest"):
        for case in tests[section]:
            cases.append(pytest.param(case, id=f"{section}: {case['description']}"))
    return cases


@pytest.mark.parametrize("case", _weighted_cases())
def test_weighted_length_matches_twitter_text_conformance(case: dict[str, Any]) -> None:
    expected = case["expected"]
    assert weighted_length(case["text"]) == expected["weightedLength"]
    if case["text"] and "\ufffe" not in case["text"] and "\uffff" not in case["text"]:
        # Invalid code points aside, validity is exactly "weighted length within 280".
        problems = provider().validate(PublishRequest(text=case["text"]))
        assert (not any(p.code == "too_long" for p in problems)) == expected["valid"]


def test_weighted_length_rules() -> None:
    assert weighted_length("a" * 280) == 280
    assert weighted_length("の" * 140) == 280
    assert weighted_length("https://example.com/" + "x" * 200) == 23
    assert weighted_length("👩‍👩‍👧") == 2  # a ZWJ family is one emoji
    assert weighted_length("e\u0301") == 1  # NFC: e + combining acute is é


def test_validate_reports_each_problem(tmp_path: Path) -> None:
    gif = tmp_path / "a.gif"
    gif.write_bytes(b"GIF89a")
    request = PublishRequest(
        text="の" * 141,
        media=(jpeg(tmp_path, alt="a" * 1001),
               MediaItem(path=str(gif), mime_type="image/gif", size=16 * 1024 * 1024),
               MediaItem(path=str(gif), mime_type="application/pdf", size=10)),
        options={"thread": ["ok", "b" * 281], "first_comment": "c" * 300},
    )
    problems = provider().validate(request)
    codes = [(p.code, p.field) for p in problems]
    assert ("too_long", "text") in codes
    assert ("too_long", "thread") in codes
    assert ("too_long", "first_comment") in codes
    assert ("mixed_media", "media") in codes
    assert ("media_too_large", "media") in codes
    assert ("media_type", "media") in codes
    assert ("alt_text_too_long", "media") in codes
    too_long = next(p for p in problems if p.field == "text")
    assert too_long.params == {"length": 282, "limit": 280}
    assert provider().validate(PublishRequest(text=KIT.text_ok)) == []
    assert [p.code for p in provider().validate(PublishRequest(text=" "))] == ["empty"]
    # Premium authors: a larger limit set on the channel.
    assert provider(max_weighted_length=25000).validate(PublishRequest(text="a" * 1000)) == []


# -- publishing --------------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_publish_text_and_image_sends_the_documented_requests(
    respx_mock: respx.Router, tmp_path: Path
) -> None:
    upload = respx_mock.post(f"{API}/2/media/upload").respond(
        200, json=fixture("media_upload_image.json"))
    metadata = respx_mock.post(f"{API}/2/media/metadata").respond(
        200, json=fixture("media_metadata.json"))
    create = respx_mock.post(f"{API}/2/tweets").respond(201, json=fixture("post_created.json"))

    result = provider().publish(PublishRequest(text="Hello from Keryx", media=(jpeg(tmp_path),)))

    assert result.remote_id == "1445880548472328192"
    assert result.url == "https://x.com/XDevelopers/status/1445880548472328192"
    request = upload.calls.last.request
    assert request.headers["Authorization"] == "Bearer x-access"
    body = request.content
    assert b'name="media_category"\r\n\r\ntweet_image' in body
    assert b'name="media"; filename="photo.jpg"' in body
    assert b"Content-Type: image/jpeg" in body
    assert sent_json(metadata.calls.last) == {
        "id": "1880028106020515840",
        "metadata": {"alt_text": {"text": "An orange square"}},
    }
    assert sent_json(create.calls.last) == {
        "text": "Hello from Keryx", "media": {"media_ids": ["1880028106020515840"]},
    }


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_thread_and_first_comment_are_a_reply_chain(respx_mock: respx.Router) -> None:
    ids = iter(["100", "101", "102", "103"])
    create = respx_mock.post(f"{API}/2/tweets").mock(
        side_effect=lambda request: httpx.Response(
            201, json={"data": {"id": next(ids), "text": "t"}}))

    result = provider().publish(PublishRequest(
        text="1/3", options={"thread": ["2/3", "3/3"], "first_comment": "Link in here"}))

    bodies = [sent_json(call) for call in create.calls]
    assert bodies == [
        {"text": "1/3"},
        {"text": "2/3", "reply": {"in_reply_to_tweet_id": "100"}},
        {"text": "3/3", "reply": {"in_reply_to_tweet_id": "101"}},
        {"text": "Link in here", "reply": {"in_reply_to_tweet_id": "102"}},
    ]
    assert result.remote_id == "100"
    assert result.raw["replies"] == ["101", "102", "103"]


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_a_failed_follow_up_does_not_fail_the_published_post(respx_mock: respx.Router) -> None:
    respx_mock.post(f"{API}/2/tweets").mock(side_effect=[
        httpx.Response(201, json={"data": {"id": "200", "text": "t"}}),
        httpx.Response(403, json=fixture("error_403_duplicate.json")),
    ])
    result = provider().publish(PublishRequest(text="main", options={"thread": ["again"]}))
    # The main post is out: an error here would make the engine retry and post it twice.
    assert result.remote_id == "200"
    assert result.raw["replies"] == []
    assert "duplicate content" in result.raw["follow_up_error"]


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_video_goes_up_in_chunks_and_waits_for_processing(
    respx_mock: respx.Router, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xmod, "CHUNK_BYTES", 1000)
    clip = video(tmp_path, 2500)
    init = respx_mock.post(f"{API}/2/media/upload/initialize").respond(
        200, json=fixture("media_initialize.json"))
    media_id = "1880028106020515841"
    append = respx_mock.post(f"{API}/2/media/upload/{media_id}/append").respond(
        200, json=fixture("media_append.json"))
    finalize = respx_mock.post(f"{API}/2/media/upload/{media_id}/finalize").respond(
        200, json=fixture("media_finalize_pending.json"))
    status = respx_mock.get(f"{API}/2/media/upload").mock(side_effect=[
        httpx.Response(200, json=fixture("media_status_in_progress.json")),
        httpx.Response(200, json=fixture("media_status_succeeded.json")),
    ])
    create = respx_mock.post(f"{API}/2/tweets").respond(201, json=fixture("post_created.json"))

    provider().publish(PublishRequest(text="clip", media=(clip,)))

    assert sent_json(init.calls.last) == {
        "media_type": "video/mp4", "total_bytes": 2500, "media_category": "tweet_video"}
    data = Path(clip.path).read_bytes()
    assert len(append.calls) == 3
    for index, call in enumerate(append.calls):
        content = call.request.content
        assert f'name="segment_index"\r\n\r\n{index}\r\n'.encode() in content
        assert data[index * 1000:(index + 1) * 1000] in content
    assert finalize.call_count == 1
    assert status.call_count == 2
    assert dict(status.calls.last.request.url.params) == {
        "command": "STATUS", "media_id": media_id}
    assert sent_json(create.calls.last)["media"] == {"media_ids": [media_id]}


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_a_5xx_in_the_middle_of_a_chunked_upload_is_transient_and_posts_nothing(
    respx_mock: respx.Router, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xmod, "CHUNK_BYTES", 1000)
    respx_mock.post(f"{API}/2/media/upload/initialize").respond(
        200, json=fixture("media_initialize.json"))
    append = respx_mock.post(f"{API}/2/media/upload/1880028106020515841/append").mock(
        side_effect=[httpx.Response(200, json=fixture("media_append.json")),
                     httpx.Response(500, json=fixture("error_500.json"))])
    finalize = respx_mock.post(f"{API}/2/media/upload/1880028106020515841/finalize")
    create = respx_mock.post(f"{API}/2/tweets")

    with pytest.raises(Transient) as caught:
        provider().publish(PublishRequest(text="clip", media=(video(tmp_path, 2500),)))

    # An upload is not a post: even a 500 after sending is safe to retry from the start.
    assert type(caught.value) is Transient
    assert "Internal Server Error" in caught.value.message
    assert append.call_count == 2
    assert not finalize.called
    assert not create.called


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_media_processing_failure_is_bad_content_with_xs_reason(
    respx_mock: respx.Router, tmp_path: Path
) -> None:
    media_id = "1880028106020515841"
    respx_mock.post(f"{API}/2/media/upload/initialize").respond(
        200, json=fixture("media_initialize.json"))
    respx_mock.post(f"{API}/2/media/upload/{media_id}/append").respond(
        200, json=fixture("media_append.json"))
    respx_mock.post(f"{API}/2/media/upload/{media_id}/finalize").respond(
        200, json=fixture("media_finalize_pending.json"))
    respx_mock.get(f"{API}/2/media/upload").respond(200, json=fixture("media_status_failed.json"))
    create = respx_mock.post(f"{API}/2/tweets")
    with pytest.raises(BadContent, match="Unsupported video format"):
        provider().publish(PublishRequest(text="clip", media=(video(tmp_path, 10),)))
    assert not create.called


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_media_that_never_finishes_processing_is_transient_after_a_bounded_wait(
    respx_mock: respx.Router, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xmod, "MEDIA_PROCESSING_TIMEOUT", 0.2)
    media_id = "1880028106020515841"
    respx_mock.post(f"{API}/2/media/upload/initialize").respond(
        200, json=fixture("media_initialize.json"))
    respx_mock.post(f"{API}/2/media/upload/{media_id}/append").respond(
        200, json=fixture("media_append.json"))
    respx_mock.post(f"{API}/2/media/upload/{media_id}/finalize").respond(
        200, json=fixture("media_finalize_pending.json"))
    status = respx_mock.get(f"{API}/2/media/upload").respond(
        200, json=fixture("media_status_in_progress.json"))
    create = respx_mock.post(f"{API}/2/tweets")
    slow = XProvider(provider().context, sleep=lambda s: time.sleep(min(s, 0.05)))
    started = time.monotonic()
    with pytest.raises(Transient, match=r"still processing clip\.mp4 \(in_progress, 40%\)"):
        slow.publish(PublishRequest(text="clip", media=(video(tmp_path, 10),)))
    assert time.monotonic() - started < 2
    assert status.call_count >= 2
    assert not create.called


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name", "headers", "error", "message"),
    [
        (401, "error_401.json", {}, AuthExpired, "Unauthorized"),
        (403, "error_403_duplicate.json", {}, BadContent, "duplicate content"),
        (400, "error_400_invalid.json", {}, BadContent, "Tweet text is too long."),
        (503, "error_503.json", {}, Transient, "Service Unavailable"),
        (500, "error_500.json", {}, OutcomeUnknown, "Internal Server Error"),
    ],
)
@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_errors_map_to_the_taxonomy_with_xs_message(
    respx_mock: respx.Router, status: int, name: str, headers: dict[str, str],
    error: type[Exception], message: str,
) -> None:
    respx_mock.post(f"{API}/2/tweets").respond(status, json=fixture(name), headers=headers)
    with pytest.raises(error) as caught:
        provider().publish(PublishRequest(text="hi"))
    assert message in caught.value.message
    assert type(caught.value) is error


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_rate_limit_waits_until_xs_reset(respx_mock: respx.Router) -> None:
    reset = int(time.time()) + 600
    respx_mock.post(f"{API}/2/tweets").respond(429, json=fixture("error_429.json"), headers={
        "x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(reset)})
    with pytest.raises(RateLimited) as caught:
        provider().publish(PublishRequest(text="hi"))
    assert 590 <= caught.value.retry_after <= 600


def test_the_24_hour_user_limit_wins_when_it_ran_out() -> None:
    now = 1_700_000_000.0
    headers = httpx.Headers({
        "x-rate-limit-remaining": "99", "x-rate-limit-reset": str(int(now) + 60),
        "x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": str(int(now) + 7200),
    })
    assert xmod.rate_limit_wait(headers, now) == 7200


# -- OAuth -------------------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_refresh_uses_basic_auth_and_keeps_the_rotated_token(respx_mock: respx.Router) -> None:
    token = respx_mock.post(f"{API}/2/oauth2/token").respond(200, json=fixture("token.json"))
    tokens = provider().refresh()
    request = token.calls.last.request
    expected = base64.b64encode(b"client-123:secret-456").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form == {"grant_type": "refresh_token", "refresh_token": "x-refresh",
                    "client_id": "client-123"}
    assert tokens.access_token == fixture("token.json")["access_token"]
    assert tokens.refresh_token == fixture("token.json")["refresh_token"]
    assert tokens.expires_at is not None and tokens.expires_at > datetime.now(UTC)


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_a_refused_refresh_token_means_reconnect(respx_mock: respx.Router) -> None:
    respx_mock.post(f"{API}/2/oauth2/token").respond(400, json=fixture("token_invalid.json"))
    with pytest.raises(AuthExpired, match="Value passed for the token was invalid"):
        provider().refresh()


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_exchange_code_sends_the_pkce_verifier(respx_mock: respx.Router) -> None:
    token = respx_mock.post(f"{API}/2/oauth2/token").respond(200, json=fixture("token.json"))
    provider(credentials={}).exchange_code("the-code", "https://keryx.test/cb/", "verifier-1")
    form = dict(httpx.QueryParams(token.calls.last.request.content.decode()))
    assert form == {"grant_type": "authorization_code", "code": "the-code",
                    "redirect_uri": "https://keryx.test/cb/", "code_verifier": "verifier-1",
                    "client_id": "client-123"}


def test_oauth_spec_asks_for_the_scopes_publishing_needs() -> None:
    scopes = set(XProvider.oauth.scopes)
    assert {"tweet.read", "tweet.write", "users.read", "media.write",
            "offline.access"} <= scopes
    assert XProvider.oauth.pkce


# -- reconciliation, metrics, comments ---------------------------------------------------------


def test_comparable_ignores_tco_wrapping_and_media_links() -> None:
    assert comparable("Hi &amp; bye https://t.co/aaaa https://t.co/bbbb") == comparable(
        "Hi & bye https://example.com/x")


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_lookup_bounds_the_search_by_the_scheduled_time(
    respx_mock: respx.Router, tmp_path: Path
) -> None:
    KIT.route_lookup(respx_mock, found=True)
    when = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    found = provider().lookup(PublishRequest(
        text=KIT.text_ok, media=(jpeg(tmp_path),), scheduled_at=when))
    assert found is not None and found.remote_id == "1445880548472328192"
    params = respx_mock.calls.last.request.url.params
    assert params["start_time"] == "2026-01-01T11:55:00Z"
    # The same text without the image is another post.
    assert provider().lookup(PublishRequest(text=KIT.text_ok, scheduled_at=when)) is None


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_metrics_comments_reply_hide(respx_mock: respx.Router) -> None:
    post = "1445880548472328192"
    respx_mock.get(f"{API}/2/tweets/{post}").respond(200, json=fixture("post_metrics.json"))
    search = respx_mock.get(f"{API}/2/tweets/search/recent").respond(
        200, json=fixture("search_conversation.json"))
    create = respx_mock.post(f"{API}/2/tweets").respond(201, json=fixture("post_created.json"))
    hide = respx_mock.put(f"{API}/2/tweets/1445880600000000001/hidden").respond(
        200, json=fixture("hidden.json"))
    x = provider()

    metrics = x.fetch_metrics(post)
    # Reposts and quotes are kept apart; no non_public_metrics in the answer: clicks None.
    assert (metrics.likes, metrics.comments, metrics.shares, metrics.quotes, metrics.saves,
            metrics.impressions, metrics.clicks) == (31, 2, 4, 1, 3, 1204, None)

    comments = x.fetch_comments(post, since=datetime(2026, 1, 1, tzinfo=UTC))
    assert search.calls.last.request.url.params["query"] == f"conversation_id:{post}"
    assert search.calls.last.request.url.params["start_time"] == "2026-01-01T00:00:00Z"
    assert [(c.remote_id, c.text, c.author_handle, c.parent_id) for c in comments] == [
        ("1445880600000000001", "Nice one & congrats", "@X", post)]

    x.reply("1445880600000000001", "Thanks!")
    assert sent_json(create.calls.last) == {
        "text": "Thanks!", "reply": {"in_reply_to_tweet_id": "1445880600000000001"}}

    x.hide_comment("1445880600000000001")
    assert sent_json(hide.calls.last) == {"hidden": True}


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_delete_treats_an_already_deleted_post_as_done(respx_mock: respx.Router) -> None:
    route = respx_mock.delete(f"{API}/2/tweets/9").mock(side_effect=[
        httpx.Response(200, json=fixture("deleted.json")),
        httpx.Response(404, json={"title": "Not Found Error", "detail": "Not found"}),
    ])
    provider().delete("9")
    provider().delete("9")
    assert route.call_count == 2
