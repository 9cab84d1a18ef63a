"""TikTok: the requests the provider sends (creator info first, init, chunked PUTs with
Content-Range, status polling) and how TikTok's documented answers map to the taxonomy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
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
from keryx.networks.tiktok import TikTokProvider, chunk_ranges, plan_chunks
from tests.networks.kits.tiktok import API, KIT, fixture

MB = 1024 * 1024
UPLOAD = "https://open-upload.tiktokapis.com/video/?upload_id=67890&upload_token=Xza123"


def provider(**settings) -> TikTokProvider:
    context = ProviderContext(
        credentials=KIT.credentials(),
        settings={**KIT.channel_settings(), **settings},
        allow_private=("open.tiktokapis.com", "open-upload.tiktokapis.com"),
        client_id="ck-1", client_secret="cs-1",
    )
    p = TikTokProvider(context)
    p.poll_interval = 0.0
    return p


def video(tmp_path: Path, size: int, name: str = "clip.mp4") -> MediaItem:
    path = tmp_path / name
    path.write_bytes(bytes(range(256)) * (size // 256) + b"\x01" * (size % 256))
    return MediaItem(path=str(path), mime_type="video/mp4", size=size)


def photo(name: str = "a.jpg", mime: str = "image/jpeg", size: int = 1000) -> MediaItem:
    return MediaItem(path=f"/media/{name}", mime_type=mime, size=size)


def body(call) -> dict:
    return json.loads(call.request.content)


# -- validation ----------------------------------------------------------------------------


def test_video_caption_counts_utf16_units(tmp_path) -> None:
    clip = video(tmp_path, 1000)
    p = provider()
    # An emoji outside the BMP is two UTF-16 units: 1,100 of them make 2,200 units, the limit.
    assert p.validate(PublishRequest(text="😀" * 1100, media=(clip,))) == []
    problems = p.validate(PublishRequest(text="😀" * 1100 + "a", media=(clip,)))
    assert [x.code for x in problems] == ["too_long"]
    assert problems[0].params == {"length": 2201, "limit": 2200}


def test_photo_post_limits() -> None:
    p = provider()
    ok = PublishRequest(text="d" * 4000, media=(photo(),), options={"title": "t" * 90})
    assert p.validate(ok) == []
    bad = PublishRequest(text="d" * 4001, media=tuple(photo(f"{i}.jpg") for i in range(36)),
                         options={"title": "t" * 91})
    codes = {x.code for x in p.validate(bad)}
    assert codes == {"too_long", "title_too_long", "too_many_media"}


def test_png_mixed_media_and_missing_media_refused(tmp_path) -> None:
    p = provider()
    png = p.validate(PublishRequest(text="x", media=(photo("a.png", "image/png"),)))
    assert png[0].code == "media_type" and "PNG" in png[0].message
    mixed = p.validate(PublishRequest(text="x", media=(photo(), video(tmp_path, 10))))
    assert "mixed_media" in {x.code for x in mixed}
    assert [x.code for x in p.validate(PublishRequest(text="x"))] == ["media_required"]


def test_unaudited_apps_may_only_post_privately() -> None:
    request = PublishRequest(text="x", media=(photo(),),
                             options={"privacy_level": "PUBLIC_TO_EVERYONE"})
    problems = provider().validate(request)
    assert [x.code for x in problems] == ["unaudited_app_private_only"]
    assert "SELF_ONLY" in problems[0].message
    assert provider(audited="yes").validate(request) == []
    # An audited app still cannot use a level the creator does not offer.
    limited = provider(audited="yes", privacy_level_options=["SELF_ONLY"])
    assert [x.code for x in limited.validate(request)] == ["privacy_level"]


def test_photo_posts_need_public_urls() -> None:
    p = provider(media_url_prefix="")
    problems = p.validate(PublishRequest(text="x", media=(photo(),)))
    assert [x.code for x in problems] == ["media_url_required"]
    with_urls = PublishRequest(text="x", media=(photo(),),
                               options={"media_urls": ["https://cdn.example/a.jpg"]})
    assert p.validate(with_urls) == []


# -- chunk plan ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (3 * MB, (3 * MB, 1)),            # under 5 MB: one chunk, the whole file
        (12 * MB, (10 * MB, 1)),          # floor(12/10) = 1: the only chunk takes it all
        (25 * MB, (10 * MB, 2)),
        (20_000 * MB, (20 * MB, 1000)),   # at most 1000 chunks: bigger chunks
    ],
)
def test_plan_chunks(size, expected) -> None:
    assert plan_chunks(size) == expected
    chunk, count = expected
    ranges = chunk_ranges(size, chunk, count)
    assert ranges[0][0] == 0 and ranges[-1][1] == size - 1
    assert all(b[0] == a[1] + 1 for a, b in zip(ranges, ranges[1:], strict=False))
    assert size - ranges[-1][0] <= 128 * MB


# -- publishing ----------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_video_file_upload_in_chunks(respx_mock, tmp_path) -> None:
    clip = video(tmp_path, 25 * MB)
    creator = respx_mock.post(f"{API}/v2/post/publish/creator_info/query/").respond(
        200, json=fixture("creator_info")
    )
    init = respx_mock.post(f"{API}/v2/post/publish/video/init/").respond(
        200, json=fixture("video_init")
    )
    put = respx_mock.put(UPLOAD).mock(side_effect=[httpx.Response(206), httpx.Response(201)])
    status = respx_mock.post(f"{API}/v2/post/publish/status/fetch/").mock(side_effect=[
        httpx.Response(200, json=fixture("status_processing")),
        httpx.Response(200, json=fixture("status_complete")),
    ])
    result = provider().publish(PublishRequest(text="Sunset 🌅 #keryx", media=(clip,),
                                               options={"disable_comment": True}))
    assert result.remote_id == "7360993925536458027"
    assert result.url == "https://www.tiktok.com/@tiktoker/video/7360993925536458027"
    assert creator.called
    sent = init.calls.last.request
    assert sent.headers["Authorization"] == "Bearer act.contract"
    assert body(init.calls.last) == {
        "post_info": {"title": "Sunset 🌅 #keryx", "privacy_level": "SELF_ONLY",
                      "disable_comment": True, "disable_duet": False,
                      # The creator has stitches off: it stays off.
                      "disable_stitch": True},
        "source_info": {"source": "FILE_UPLOAD", "video_size": 25 * MB,
                        "chunk_size": 10 * MB, "total_chunk_count": 2},
    }
    first, last = put.calls[0].request, put.calls[1].request
    assert first.headers["Content-Range"] == f"bytes 0-{10 * MB - 1}/{25 * MB}"
    assert first.headers["Content-Type"] == "video/mp4"
    assert int(first.headers["Content-Length"]) == 10 * MB
    assert last.headers["Content-Range"] == f"bytes {10 * MB}-{25 * MB - 1}/{25 * MB}"
    assert len(last.content) == 15 * MB
    assert first.content + last.content == Path(clip.path).read_bytes()
    assert body(status.calls.last) == {"publish_id": "v_pub_file~v2-1.123456789"}
    assert status.call_count == 2


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_server_error_mid_upload_is_transient(respx_mock, tmp_path) -> None:
    clip = video(tmp_path, 25 * MB)
    respx_mock.post(f"{API}/v2/post/publish/creator_info/query/").respond(
        200, json=fixture("creator_info"))
    respx_mock.post(f"{API}/v2/post/publish/video/init/").respond(200, json=fixture("video_init"))
    put = respx_mock.put(UPLOAD).mock(side_effect=[httpx.Response(206), httpx.Response(500)])
    status = respx_mock.post(f"{API}/v2/post/publish/status/fetch/")
    with pytest.raises(Transient):
        provider().publish(PublishRequest(text="x", media=(clip,)))
    assert put.call_count == 2
    assert not status.called  # nothing was posted: the engine may try again


@respx.mock(assert_all_mocked=True)
def test_video_pull_from_url(respx_mock, tmp_path) -> None:
    respx_mock.post(f"{API}/v2/post/publish/creator_info/query/").respond(
        200, json=fixture("creator_info"))
    init = respx_mock.post(f"{API}/v2/post/publish/video/init/").respond(
        200, json=fixture("video_init_pull"))
    respx_mock.post(f"{API}/v2/post/publish/status/fetch/").respond(
        200, json=fixture("status_complete_private"))
    result = provider().publish(PublishRequest(
        text="x", media=(video(tmp_path, 100),),
        options={"video_url": "https://cdn.keryx.test/media/clip.mp4"},
    ))
    assert body(init.calls.last)["source_info"] == {
        "source": "PULL_FROM_URL", "video_url": "https://cdn.keryx.test/media/clip.mp4"}
    # A private post has no public id: the publish id is what TikTok gives back.
    assert result.remote_id == "v_pub_url~v2.123456789"
    assert result.url == "https://www.tiktok.com/@tiktoker"


@respx.mock(assert_all_mocked=True)
def test_photo_post_request(respx_mock) -> None:
    KIT.route_publish(respx_mock)
    result = provider().publish(PublishRequest(
        text="A description", media=(photo("a.jpg"), photo("b.webp", "image/webp")),
        options={"title": "Two photos"},
    ))
    sent = body(respx_mock.routes[1].calls.last)
    assert sent == {
        "media_type": "PHOTO", "post_mode": "DIRECT_POST",
        "post_info": {"title": "Two photos", "description": "A description",
                      "privacy_level": "SELF_ONLY", "disable_comment": False,
                      "auto_add_music": True},
        "source_info": {"source": "PULL_FROM_URL", "photo_cover_index": 0,
                        "photo_images": ["https://cdn.keryx.test/media/a.jpg",
                                         "https://cdn.keryx.test/media/b.webp"]},
    }
    assert result.url == "https://www.tiktok.com/@tiktoker/photo/7360993925536458027"


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_privacy_level_the_creator_lacks_is_refused_before_init(respx_mock) -> None:
    info = fixture("creator_info")
    info["data"]["privacy_level_options"] = ["PUBLIC_TO_EVERYONE"]
    respx_mock.post(f"{API}/v2/post/publish/creator_info/query/").respond(200, json=info)
    init = respx_mock.post(f"{API}/v2/post/publish/content/init/")
    with pytest.raises(BadContent, match="PUBLIC_TO_EVERYONE, not SELF_ONLY"):
        provider().publish(PublishRequest(text="x", media=(photo(),)))
    assert not init.called


@respx.mock(assert_all_mocked=True)
def test_failed_status_carries_the_reason(respx_mock) -> None:
    respx_mock.post(f"{API}/v2/post/publish/creator_info/query/").respond(
        200, json=fixture("creator_info"))
    respx_mock.post(f"{API}/v2/post/publish/content/init/").respond(
        200, json=fixture("content_init"))
    respx_mock.post(f"{API}/v2/post/publish/status/fetch/").respond(
        200, json=fixture("status_failed"))
    with pytest.raises(BadContent, match="file_format_check_failed"):
        provider().publish(PublishRequest(text="x", media=(photo(),)))


@respx.mock(assert_all_mocked=True)
def test_processing_that_never_ends_is_an_unknown_outcome(respx_mock) -> None:
    respx_mock.post(f"{API}/v2/post/publish/creator_info/query/").respond(
        200, json=fixture("creator_info"))
    respx_mock.post(f"{API}/v2/post/publish/content/init/").respond(
        200, json=fixture("content_init"))
    status = respx_mock.post(f"{API}/v2/post/publish/status/fetch/").respond(
        200, json=fixture("status_processing"))
    p = provider()
    p.poll_timeout = 0.0
    with pytest.raises(OutcomeUnknown, match="still processing") as caught:
        p.publish(PublishRequest(text="x", media=(photo(),)))
    assert status.call_count == 1
    assert caught.value.raw["publish_id"] == "p_pub_url~v2.123456789"


@respx.mock(assert_all_mocked=True)
def test_daily_cap_is_rate_limited(respx_mock) -> None:
    respx_mock.post(f"{API}/v2/post/publish/creator_info/query/").respond(
        200, json=fixture("creator_info"))
    respx_mock.post(f"{API}/v2/post/publish/content/init/").respond(
        403, json=fixture("error_spam_risk_too_many_posts"))
    with pytest.raises(RateLimited) as caught:
        provider().publish(PublishRequest(text="x", media=(photo(),)))
    assert caught.value.retry_after == 3600.0
    assert "daily post cap" in caught.value.message
    assert TikTokProvider.daily_post_cap == 15


@respx.mock(assert_all_mocked=True)
def test_unaudited_refusal_is_bad_content_with_tiktoks_words(respx_mock) -> None:
    respx_mock.post(f"{API}/v2/post/publish/creator_info/query/").respond(
        200, json=fixture("creator_info"))
    respx_mock.post(f"{API}/v2/post/publish/content/init/").respond(
        403, json=fixture("error_unaudited"))
    with pytest.raises(BadContent, match="Unaudited clients can only post to a private"):
        provider().publish(PublishRequest(text="x", media=(photo(),)))


def test_delete_is_not_offered() -> None:
    with pytest.raises(BadContent, match="TikTok app"):
        provider().delete("7360993925536458027")


# -- account, metrics, OAuth ---------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_verify_keeps_creator_options(respx_mock) -> None:
    KIT.route_verify(respx_mock)
    info = provider().verify()
    assert info.remote_id == "723f24d7-e717-40f8-a2b6-cb8464cd23b4"
    assert info.handle == "@tiktoker"
    assert info.settings["privacy_level_options"] == [
        "PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    assert info.settings["max_video_post_duration_sec"] == 300
    user_call = respx_mock.routes[0].calls.last.request
    assert user_call.url.params["fields"] == "open_id,union_id,avatar_url,display_name,username"


@respx.mock(assert_all_mocked=True)
def test_fetch_metrics(respx_mock) -> None:
    route = respx_mock.post(f"{API}/v2/video/query/").respond(200, json=fixture("video_query"))
    metrics = provider().fetch_metrics("7360993925536458027")
    assert (metrics.likes, metrics.comments, metrics.shares, metrics.video_views) == (
        120, 14, 9, 4021)
    request = route.calls.last.request
    assert request.url.params["fields"] == "id,like_count,comment_count,share_count,view_count"
    assert json.loads(request.content) == {"filters": {"video_ids": ["7360993925536458027"]}}


@respx.mock(assert_all_mocked=True)
def test_lookup_skips_videos_older_than_the_schedule(respx_mock) -> None:
    KIT.route_lookup(respx_mock, True)
    request = PublishRequest(text="An older one", media=(photo(),),
                             scheduled_at=datetime.now(UTC))
    assert provider().lookup(request) is None
    found = provider().lookup(PublishRequest(text=KIT.text_ok, media=(photo(),),
                                             scheduled_at=datetime.now(UTC)))
    assert found is not None and found.remote_id == "7360993925536458027"


@respx.mock(assert_all_mocked=True)
def test_exchange_code_uses_client_key(respx_mock) -> None:
    route = respx_mock.post(f"{API}/v2/oauth/token/").respond(200, json=fixture("token"))
    tokens = provider().exchange_code("code-1", "https://keryx.test/cb/", "")
    form = parse_qs(route.calls.last.request.content.decode())
    assert form == {"client_key": ["ck-1"], "client_secret": ["cs-1"], "code": ["code-1"],
                    "grant_type": ["authorization_code"],
                    "redirect_uri": ["https://keryx.test/cb/"]}
    assert tokens.access_token == "act.example12345Example12345Example"
    assert tokens.raw["open_id"] == "afd97af1-b87b-48b9-ac98-410aghda5344"
    assert tokens.expires_at is not None


@respx.mock(assert_all_mocked=True)
def test_refresh_sends_refresh_token_and_refusal_is_auth_expired(respx_mock) -> None:
    route = respx_mock.post(f"{API}/v2/oauth/token/").mock(side_effect=[
        httpx.Response(200, json=fixture("token")),
        httpx.Response(400, json=fixture("token_error")),
    ])
    tokens = provider().refresh()
    form = parse_qs(route.calls.last.request.content.decode())
    assert form["grant_type"] == ["refresh_token"]
    assert form["refresh_token"] == ["rft.contract"]
    assert tokens.refresh_token == "rft.example12345Example12345Example"
    with pytest.raises(AuthExpired, match="Refresh token is invalid"):
        provider().refresh()


def test_authorize_url_names_the_client_key_as_tiktok_wants():
    from urllib.parse import parse_qs, urlsplit

    from keryx.networks import oauth2
    from keryx.networks.tiktok import TikTokProvider

    url = oauth2.authorize_url(
        TikTokProvider.oauth, "https://www.tiktok.com", "abc123",
        "https://keryx.example/channels/oauth/tiktok/callback/", "state-1",
    )
    query = parse_qs(urlsplit(url).query)
    assert query["client_key"] == ["abc123"]
    assert "client_id" not in query
    assert query["scope"] == [
        "user.info.basic,user.info.stats,video.publish,video.upload,video.list"]
