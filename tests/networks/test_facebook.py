"""Facebook Pages: the requests the provider sends to the Graph API (method, URL, headers, form
and multipart fields) and how it reads the documented answers, errors and usage headers.
respx stands in for graph.facebook.com at the HTTP seam; bodies come from the API references
(tests/networks/fixtures/facebook/)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

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
from keryx.networks.facebook import FacebookProvider
from tests.networks.contract import jpeg
from tests.networks.kits.facebook import API, PAGE, fixture

ADMIN = "https://www.facebook.com"


def provider(credentials: dict[str, Any] | None = None,
             settings: dict[str, Any] | None = None) -> FacebookProvider:
    saved: dict[str, Any] = {}
    p = FacebookProvider(ProviderContext(
        credentials=dict(credentials if credentials is not None
                         else {"access_token": "EAAPageToken123",
                               "refresh_token": "EAALongUserToken1"}),
        settings=dict(settings if settings is not None else {"page_id": PAGE}),
        save_credentials=saved.update,
        allow_private=("graph.facebook.com",),
        client_id="app-id-1", client_secret="app-secret-1",
    ))
    p.saved = saved  # type: ignore[attr-defined]
    return p


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode(), keep_blank_values=True)


def multipart(request: httpx.Request) -> dict[str, tuple[str | None, str, bytes]]:
    """name -> (filename, content type, bytes) for each part of a multipart body."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.content)
    parts = {}
    for part in message.iter_parts():
        parts[part.get_param("name", header="content-disposition")] = (
            part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
    return parts


def request(text: str = "Hello Page", media: tuple[MediaItem, ...] = (),
            **options: Any) -> PublishRequest:
    return PublishRequest(text=text, media=media, idempotency_key="k1",
                          scheduled_at=options.pop("scheduled_at", None), options=options)


# -- publishing --------------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_text_with_link_goes_to_the_page_feed(respx_mock) -> None:
    route = respx_mock.post(f"{API}/{PAGE}/feed").respond(200, json=fixture("feed_created"))
    result = provider().publish(request("Our new menu", link="https://example.com/menu"))
    sent = route.calls.last.request
    assert sent.headers["authorization"] == "Bearer EAAPageToken123"
    assert "access_token" not in str(sent.url)  # never in the URL, where logs would keep it
    assert form(sent) == {"message": ["Our new menu"], "link": ["https://example.com/menu"]}
    assert result.remote_id == "1234567890_111222333444555"
    assert result.url == "https://www.facebook.com/1234567890_111222333444555"


@respx.mock(assert_all_mocked=True)
def test_one_photo_is_uploaded_with_caption_and_alt_text(respx_mock, tmp_path) -> None:
    image = jpeg(tmp_path)
    route = respx_mock.post(f"{API}/{PAGE}/photos").respond(200, json=fixture("photo_created"))
    result = provider().publish(request("Caption ☕", (image,)))
    parts = multipart(route.calls.last.request)
    assert parts["source"][0] == "photo.jpg"
    assert parts["source"][1] == "image/jpeg"
    assert parts["source"][2] == (tmp_path / "photo.jpg").read_bytes()
    assert parts["caption"][2].decode() == "Caption ☕"
    assert parts["alt_text_custom"][2].decode() == "An orange square"
    assert "published" not in parts
    # The post, not the photo object, is what the engine keeps.
    assert result.remote_id == "1234567890_666777888999"
    assert result.raw["photo_id"] == "778899001122"


@respx.mock(assert_all_mocked=True)
def test_several_photos_become_one_post_with_attached_media(respx_mock, tmp_path) -> None:
    first, second = jpeg(tmp_path, "a.jpg"), jpeg(tmp_path, "b.jpg")
    photos = respx_mock.post(f"{API}/{PAGE}/photos").mock(side_effect=[
        httpx.Response(200, json={"id": "901"}), httpx.Response(200, json={"id": "902"})])
    feed = respx_mock.post(f"{API}/{PAGE}/feed").respond(200, json=fixture("feed_created"))
    result = provider().publish(request("Two pictures", (first, second)))
    assert photos.call_count == 2
    for call, name in zip(photos.calls, ("a.jpg", "b.jpg"), strict=True):
        parts = multipart(call.request)
        assert parts["published"][2] == b"false"
        assert parts["source"][0] == name
        assert "temporary" not in parts
    assert form(feed.calls.last.request) == {
        "message": ["Two pictures"],
        "attached_media[0]": [json.dumps({"media_fbid": "901"})],
        "attached_media[1]": [json.dumps({"media_fbid": "902"})],
    }
    assert result.raw["photo_ids"] == ["901", "902"]


@respx.mock(assert_all_mocked=True)
def test_video_goes_to_the_videos_edge(respx_mock, tmp_path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    video = MediaItem(str(path), "video/mp4", path.stat().st_size)
    route = respx_mock.post(f"{API}/{PAGE}/videos").respond(200, json=fixture("video_created"))
    result = provider().publish(request("Behind the counter", (video,), title="Our baker"))
    parts = multipart(route.calls.last.request)
    assert parts["description"][2].decode() == "Behind the counter"
    assert parts["title"][2].decode() == "Our baker"
    assert parts["source"][1] == "video/mp4"
    assert result.remote_id == "2233445566778899"
    assert result.url == f"https://www.facebook.com/{PAGE}/videos/2233445566778899/"


@respx.mock(assert_all_mocked=True)
def test_native_schedule_sends_published_false_and_the_time(respx_mock, tmp_path) -> None:
    when = datetime.now(UTC) + timedelta(hours=2)
    feed = respx_mock.post(f"{API}/{PAGE}/feed").respond(200, json=fixture("feed_created"))
    provider().publish(request("Later", scheduled_at=when, native_schedule=True))
    assert form(feed.calls.last.request) == {
        "message": ["Later"], "published": ["false"],
        "scheduled_publish_time": [str(int(when.timestamp()))]}
    # Several photos of a scheduled post are uploaded as temporary.
    photos = respx_mock.post(f"{API}/{PAGE}/photos").respond(200, json={"id": "9"})
    provider().publish(request("Later", (jpeg(tmp_path, "a.jpg"), jpeg(tmp_path, "b.jpg")),
                               scheduled_at=when, native_schedule=True))
    assert multipart(photos.calls.last.request)["temporary"][2] == b"true"


@pytest.mark.parametrize("lead", [timedelta(minutes=5), timedelta(days=31)])
def test_native_schedule_outside_10_minutes_to_30_days_is_refused(lead) -> None:
    req = request("Later", scheduled_at=datetime.now(UTC) + lead, native_schedule=True)
    problems = provider().validate(req)
    assert [p.code for p in problems] == ["schedule_out_of_range"]
    with pytest.raises(BadContent):
        provider().publish(req)  # refused before anything is sent (no route is mocked)


@respx.mock(assert_all_mocked=True)
def test_first_comment_is_posted_as_the_page_and_its_failure_keeps_the_post(respx_mock) -> None:
    respx_mock.post(f"{API}/{PAGE}/feed").respond(200, json=fixture("feed_created"))
    comments = respx_mock.post(f"{API}/1234567890_111222333444555/comments").mock(side_effect=[
        httpx.Response(200, json=fixture("comment_created")),
        httpx.Response(400, json=fixture("error_permission")),
    ])
    ok = provider().publish(request("Post", first_comment="Menu: https://example.com"))
    assert form(comments.calls[0].request) == {"message": ["Menu: https://example.com"]}
    assert ok.raw["first_comment_id"] == "111222333444555_902"
    failed = provider().publish(request("Post", first_comment="Again"))
    assert failed.remote_id == "1234567890_111222333444555"
    assert "hasn't authorized" in failed.raw["follow_up_error"]


# -- errors and rate limits --------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_graph_errors_map_to_the_taxonomy_with_facebooks_words(respx_mock) -> None:
    route = respx_mock.post(f"{API}/{PAGE}/feed")
    route.respond(400, json=fixture("error_token_expired"))
    with pytest.raises(AuthExpired, match="Session has expired"):
        provider().publish(request())
    route.respond(403, json=fixture("error_permission"))
    with pytest.raises(AuthExpired, match="permission is missing.*hasn't authorized"):
        provider().publish(request())
    route.respond(400, json=fixture("error_invalid_parameter"))
    with pytest.raises(BadContent, match="photo couldn't be uploaded"):
        provider().publish(request())
    # A 500 on a POST may have created the post: never retried blindly.
    route.respond(500, json=fixture("error_unknown"))
    with pytest.raises(OutcomeUnknown):
        provider().publish(request())
    # The same answer to a read is simply retried later.
    respx_mock.get(f"{API}/{PAGE}/posts").respond(500, json=fixture("error_unknown"))
    with pytest.raises(Transient) as caught:
        provider().lookup(request())
    assert not isinstance(caught.value, OutcomeUnknown)


@respx.mock(assert_all_mocked=True)
def test_rate_limits_wait_as_long_as_the_usage_headers_say(respx_mock) -> None:
    route = respx_mock.post(f"{API}/{PAGE}/feed")
    buc = json.dumps({PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 9,
                              "total_time": 12, "estimated_time_to_regain_access": 7}]})
    route.respond(400, json=fixture("error_page_rate_limit"),
                  headers={"x-business-use-case-usage": buc})
    with pytest.raises(RateLimited, match="Page request limit reached") as caught:
        provider().publish(request())
    assert caught.value.retry_after == 7 * 60
    app_limit = {"error": {"message": "(#4) Application request limit reached", "code": 4,
                           "type": "OAuthException"}}
    route.respond(400, json=app_limit,
                  headers={"x-app-usage": '{"call_count":100,"total_cputime":40,"total_time":35}'})
    with pytest.raises(RateLimited) as caught:
        provider().publish(request())
    assert caught.value.retry_after == 15 * 60  # the rolling hour; no estimate given


# -- connecting --------------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_verify_with_a_user_token_picks_the_page_and_keeps_its_token(respx_mock) -> None:
    route = respx_mock.get(f"{API}/me/accounts").respond(200, json=fixture("me_accounts"))
    p = provider({"access_token": "EAAUserToken"}, {})
    info = p.verify()
    assert route.calls.last.request.headers["authorization"] == "Bearer EAAUserToken"
    assert info.remote_id == PAGE and info.handle == "keryxcafe"
    assert info.settings["page_id"] == PAGE
    assert [page["id"] for page in info.settings["pages"]] == [PAGE, "5550001111"]
    # The Page token posts; the user token is kept to renew it.
    assert p.saved == {"refresh_token": "EAAUserToken", "access_token": "EAAPageToken123"}
    # A chosen Page is read directly; its token comes back when the token is a user's.
    respx_mock.get(f"{API}/5550001111").respond(200, json={
        "id": "5550001111", "name": "Second Page", "access_token": "EAAOtherPageToken"})
    chosen = provider({"access_token": "EAAUserToken"}, {"page_id": "5550001111"})
    assert chosen.verify().remote_id == "5550001111"
    assert chosen.saved == {"refresh_token": "EAAUserToken", "access_token": "EAAOtherPageToken"}


@respx.mock(assert_all_mocked=True)
def test_verify_with_a_page_token_reads_the_page_itself(respx_mock) -> None:
    respx_mock.get(f"{API}/me/accounts").respond(400, json=fixture("error_page_token_accounts"))
    respx_mock.get(f"{API}/me").respond(200, json={"id": PAGE, "name": "Keryx Café"})
    p = provider({"access_token": "EAAPageToken123"}, {})
    info = p.verify()
    assert info.remote_id == PAGE and info.display_name == "Keryx Café"
    assert p.saved == {}


@respx.mock(assert_all_mocked=True)
def test_exchange_code_trades_up_to_a_long_lived_user_token(respx_mock) -> None:
    token = respx_mock.get(f"{API}/oauth/access_token").mock(side_effect=[
        httpx.Response(200, json=fixture("token_short")),
        httpx.Response(200, json=fixture("token_long")),
    ])
    p = provider({}, {})
    tokens = p.exchange_code("code-1", "https://keryx.example/channels/oauth/facebook/callback/",
                             "verifier-1")
    first, second = (dict(call.request.url.params) for call in token.calls)
    assert first == {"client_id": "app-id-1", "client_secret": "app-secret-1",
                     "redirect_uri": "https://keryx.example/channels/oauth/facebook/callback/",
                     "code": "code-1", "code_verifier": "verifier-1"}
    assert second == {"grant_type": "fb_exchange_token", "client_id": "app-id-1",
                      "client_secret": "app-secret-1", "fb_exchange_token": "EAAShortUserToken"}
    assert tokens.access_token == tokens.refresh_token == "EAALongUserToken2"
    assert tokens.expires_at and tokens.expires_at > datetime.now(UTC) + timedelta(days=59)
    token.side_effect = None
    token.return_value = httpx.Response(400, json=fixture("error_code_used"))
    with pytest.raises(AuthExpired, match="authorization code has been used"):
        p.exchange_code("code-1", "https://keryx.example/cb/", "")


@respx.mock(assert_all_mocked=True)
def test_refresh_renews_the_user_token_and_rereads_the_page_token(respx_mock) -> None:
    token = respx_mock.get(f"{API}/oauth/access_token").respond(200, json=fixture("token_long"))
    page = respx_mock.get(f"{API}/{PAGE}").respond(200, json=fixture("page_token"))
    tokens = provider().refresh()
    assert token.calls.last.request.url.params["fb_exchange_token"] == "EAALongUserToken1"
    assert page.calls.last.request.headers["authorization"] == "Bearer EAALongUserToken2"
    assert tokens.access_token == "EAAPageToken456"
    assert tokens.refresh_token == "EAALongUserToken2"
    with pytest.raises(AuthExpired, match="connect the channel again"):
        provider({"access_token": "EAAPageToken123"}).refresh()


# -- reconciliation ----------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_lookup_reads_scheduled_posts_for_a_natively_scheduled_request(respx_mock) -> None:
    when = datetime.now(UTC) + timedelta(hours=1)
    route = respx_mock.get(f"{API}/{PAGE}/scheduled_posts").respond(200, json={"data": [
        {"id": f"{PAGE}_77", "message": "Later  post", "created_time":
         datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")}]})
    found = provider().lookup(request("Later post", scheduled_at=when, native_schedule=True))
    assert found is not None and found.remote_id == f"{PAGE}_77"
    assert route.calls.last.request.url.params["fields"] == "id,message,created_time"


# -- validation --------------------------------------------------------------------------------


def test_validate_media_rules(tmp_path) -> None:
    p = provider()
    big = MediaItem(str(tmp_path / "big.jpg"), "image/jpeg", 10 * 1024 * 1024)
    assert [x.code for x in p.validate(request("x", (big,)))] == ["media_too_large"]
    just_under = MediaItem(str(tmp_path / "ok.jpg"), "image/jpeg", 10 * 1024 * 1024 - 1)
    assert p.validate(request("x", (just_under,))) == []
    video = MediaItem(str(tmp_path / "v.mp4"), "video/mp4", 1000)
    assert "mixed_media" in [x.code for x in p.validate(request("x", (video, just_under)))]
    eleven = tuple(just_under for _ in range(11))
    assert [x.code for x in p.validate(request("x", eleven))] == ["too_many_media"]
    assert [x.code for x in p.validate(request("   "))] == ["empty"]
    assert p.validate(request("", link="https://example.com")) == []


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="needs ffprobe (Debian ffmpeg)")
def test_validate_reads_the_video_with_ffprobe(tmp_path) -> None:
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"this is a text file, not a video")
    problems = provider().validate(request("x", (MediaItem(str(fake), "video/mp4", 32),)))
    assert [p.code for p in problems] == ["media_unreadable"]
    real = tmp_path / "real.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=duration=1:size=64x64:rate=5", "-pix_fmt", "yuv420p", str(real)],
                   check=True, timeout=60)
    ok = MediaItem(str(real), "video/mp4", real.stat().st_size)
    assert provider().validate(request("x", (ok,))) == []


# -- metrics and comments ----------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_metrics_comments_reply_and_hide(respx_mock) -> None:
    post = "1234567890_111222333444555"
    respx_mock.get(f"{API}/{post}").respond(200, json=fixture("post_counts"))
    insights = respx_mock.get(f"{API}/{post}/insights").respond(
        200, json=fixture("post_insights"))
    metrics = provider().fetch_metrics(post)
    assert (metrics.likes, metrics.comments, metrics.shares) == (42, 7, 3)
    assert (metrics.impressions, metrics.reach, metrics.clicks) == (1500, 1200, 85)
    assert insights.calls.last.request.url.params["metric"] == (
        "post_impressions,post_impressions_unique,post_clicks")

    listing = respx_mock.get(f"{API}/{post}/comments").respond(200, json=fixture("comments"))
    comments = provider().fetch_comments(post, since=datetime(2026, 11, 27, 4, 11, tzinfo=UTC))
    assert listing.calls.last.request.url.params["since"] == str(
        int(datetime(2026, 11, 27, 4, 11, tzinfo=UTC).timestamp()))
    assert [c.remote_id for c in comments] == ["111222333444555_901"]
    assert comments[0].parent_id == "111222333444555_900"
    assert comments[0].author_name == "Keryx Café"

    reply = respx_mock.post(f"{API}/111222333444555_900/comments").respond(
        200, json=fixture("comment_created"))
    assert provider().reply("111222333444555_900", "Thank you!").remote_id == (
        "111222333444555_902")
    assert form(reply.calls.last.request) == {"message": ["Thank you!"]}

    hide = respx_mock.post(f"{API}/111222333444555_900").respond(200, json=fixture("success"))
    provider().hide_comment("111222333444555_900")
    assert form(hide.calls.last.request) == {"is_hidden": ["true"]}
    provider().hide_comment("111222333444555_900", hidden=False)
    assert form(hide.calls.last.request) == {"is_hidden": ["false"]}
