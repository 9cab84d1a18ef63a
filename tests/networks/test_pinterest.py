"""Pinterest: the Pin requests the provider sends (board, description, title, link, alt text,
base64 image / carousel / registered video) and how the documented answers map."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from keryx.networks.base import (
    BadContent,
    MediaItem,
    ProviderContext,
    PublishRequest,
    RateLimited,
)
from keryx.networks.pinterest import PinterestProvider
from tests.networks.contract import jpeg
from tests.networks.kits.pinterest import API, BOARD, KIT, UPLOAD, fixture


def provider(**settings) -> PinterestProvider:
    merged = {**KIT.channel_settings(), **settings}
    context = ProviderContext(
        credentials=KIT.credentials(), settings={k: v for k, v in merged.items() if v is not None},
        allow_private=("api.pinterest.com", "pinterest-media-upload.s3-accelerate.amazonaws.com"),
        client_id="app-id", client_secret="app-secret",
    )
    p = PinterestProvider(context)
    p.media_poll_interval = 0.0
    return p


def pin_body(route) -> dict:
    return json.loads(route.calls.last.request.content)


def fake(name: str, mime: str = "image/jpeg", size: int = 1000, alt: str = "") -> MediaItem:
    return MediaItem(path=f"/media/{name}", mime_type=mime, size=size, alt_text=alt)


# -- validation ----------------------------------------------------------------------------


def test_validate_limits() -> None:
    p = provider()
    ok = PublishRequest(text="d" * 800, media=(fake("a.jpg", alt="a" * 500),),
                        options={"title": "t" * 100, "link": "https://e.x/" + "p" * 2036})
    assert p.validate(ok) == []
    bad = PublishRequest(
        text="d" * 801,
        media=(fake("a.jpg", alt="a" * 501),) + tuple(fake(f"{i}.png", "image/png")
                                                      for i in range(5)),
        options={"title": "t" * 101, "link": "https://e.x/" + "p" * 2037},
    )
    codes = sorted(x.code for x in p.validate(bad))
    assert codes == ["alt_text_too_long", "link_too_long", "title_too_long", "too_long",
                     "too_many_media"]


def test_validate_board_media_and_types() -> None:
    p = provider(board=None, board_id=None)
    codes = {x.code for x in p.validate(PublishRequest(text="x"))}
    assert codes == {"board_required", "media_required"}
    gif = provider().validate(PublishRequest(text="x", media=(fake("a.gif", "image/gif"),)))
    assert [x.code for x in gif] == ["media_type"]
    mixed = provider().validate(PublishRequest(
        text="x", media=(fake("a.jpg"), fake("v.mp4", "video/mp4"))))
    assert [x.code for x in mixed] == ["mixed_media"]


# -- publishing ----------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_image_pin_request(respx_mock, tmp_path) -> None:
    image = jpeg(tmp_path)
    route = respx_mock.post(f"{API}/pins").respond(201, json=fixture("pin"))
    result = provider().publish(PublishRequest(
        text="Peach salad, recipe at https://cook.example/peach ✨", media=(image,),
        options={"title": "Peach salad"},
    ))
    assert result.remote_id == "813744226420795884"
    assert result.url == "https://www.pinterest.com/pin/813744226420795884/"
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer pina_contract"
    assert pin_body(route) == {
        "board_id": BOARD,
        "description": "Peach salad, recipe at https://cook.example/peach ✨",
        "title": "Peach salad",
        # No explicit link: the first URL in the text is the Pin's destination.
        "link": "https://cook.example/peach",
        "alt_text": "An orange square",
        "media_source": {"source_type": "image_base64", "content_type": "image/jpeg",
                         "data": base64.b64encode(Path(image.path).read_bytes()).decode()},
    }


@respx.mock(assert_all_mocked=True)
def test_carousel_pin(respx_mock, tmp_path) -> None:
    images = tuple(jpeg(tmp_path, f"{i}.jpg") for i in range(3))
    route = respx_mock.post(f"{API}/pins").respond(201, json=fixture("pin"))
    provider().publish(PublishRequest(text="Three", media=images,
                                      options={"link": "https://shop.example/"}))
    source = pin_body(route)["media_source"]
    assert source["source_type"] == "multiple_image_base64"
    assert [item["content_type"] for item in source["items"]] == ["image/jpeg"] * 3
    assert base64.b64decode(source["items"][2]["data"]) == Path(images[2].path).read_bytes()
    assert pin_body(route)["link"] == "https://shop.example/"


@respx.mock(assert_all_mocked=True)
def test_video_pin_registers_uploads_and_polls(respx_mock, tmp_path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"v" * 5000)
    register = respx_mock.post(f"{API}/media").respond(201, json=fixture("media_register"))
    upload = respx_mock.post(UPLOAD).respond(204)
    status = respx_mock.get(f"{API}/media/12345").mock(side_effect=[
        httpx.Response(200, json=fixture("media_processing")),
        httpx.Response(200, json=fixture("media_succeeded")),
    ])
    pins = respx_mock.post(f"{API}/pins").respond(201, json=fixture("pin"))
    provider().publish(PublishRequest(text="A clip", media=(
        MediaItem(path=str(clip), mime_type="video/mp4", size=clip.stat().st_size),)))
    assert json.loads(register.calls.last.request.content) == {"media_type": "video"}
    sent = upload.calls.last.request
    assert "Authorization" not in sent.headers  # S3 takes the signed form, not our token
    form = sent.content
    for key, value in fixture("media_register")["upload_parameters"].items():
        assert f'name="{key}"\r\n\r\n{value}\r\n'.encode() in form
    # S3 reads the fields before the file: the file part comes last.
    assert form.rindex(b'name="file"') > form.rindex(b'name="policy"')
    assert clip.read_bytes() in form
    assert status.call_count == 2
    assert pin_body(pins)["media_source"] == {
        "source_type": "video_id", "media_id": "12345", "cover_image_key_frame_time": 0}


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_video_pinterest_cannot_process_is_bad_content(respx_mock, tmp_path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not really a video")
    respx_mock.post(f"{API}/media").respond(201, json=fixture("media_register"))
    respx_mock.post(UPLOAD).respond(204)
    respx_mock.get(f"{API}/media/12345").respond(200, json=fixture("media_failed"))
    pins = respx_mock.post(f"{API}/pins")
    with pytest.raises(BadContent, match="could not process the video clip.mp4"):
        provider().publish(PublishRequest(text="x", media=(
            MediaItem(path=str(clip), mime_type="video/mp4", size=clip.stat().st_size),)))
    assert not pins.called


@respx.mock(assert_all_mocked=True)
def test_board_given_by_name_is_resolved(respx_mock, tmp_path) -> None:
    respx_mock.get(f"{API}/boards").respond(200, json=fixture("boards"))
    route = respx_mock.post(f"{API}/pins").respond(201, json=fixture("pin"))
    provider(board="Travel", board_id=None).publish(
        PublishRequest(text="x", media=(jpeg(tmp_path),)))
    assert pin_body(route)["board_id"] == "549755885176"


@respx.mock(assert_all_mocked=True)
def test_rate_limit_reads_the_reset_header(respx_mock, tmp_path) -> None:
    KIT.route_publish_error(respx_mock, "rate_limit")
    with pytest.raises(RateLimited) as caught:
        provider().publish(PublishRequest(text="x", media=(jpeg(tmp_path),)))
    assert caught.value.retry_after == 42
    assert "exceeded your rate limit" in caught.value.message


@respx.mock(assert_all_mocked=True)
def test_bad_request_shows_pinterests_message(respx_mock, tmp_path) -> None:
    KIT.route_publish_error(respx_mock, "bad_content")
    with pytest.raises(BadContent, match="Board not found or not accessible"):
        provider().publish(PublishRequest(text="x", media=(jpeg(tmp_path),)))


# -- account, lookup, delete, metrics, OAuth -----------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_verify_lists_boards_and_resolves_the_chosen_one(respx_mock) -> None:
    KIT.route_verify(respx_mock)
    info = provider(board="Travel", board_id=None).verify()
    assert info.handle == "@pinterest"
    assert info.remote_id == "2783136121146311751"
    assert info.settings["boards"] == [{"id": "549755885175", "name": "Summer recipes"},
                                       {"id": "549755885176", "name": "Travel"}]
    assert info.settings["board_id"] == "549755885176"
    with pytest.raises(BadContent, match="no board 'Recipes'"):
        provider(board="Recipes", board_id=None).verify()


@respx.mock(assert_all_mocked=True)
def test_lookup_matches_description_on_the_board(respx_mock, tmp_path) -> None:
    from datetime import UTC, datetime

    KIT.route_lookup(respx_mock, True)
    older = PublishRequest(text="An older Pin", media=(jpeg(tmp_path),),
                           scheduled_at=datetime.now(UTC))
    assert provider().lookup(older) is None  # before the schedule: not ours
    found = provider().lookup(PublishRequest(text=KIT.text_ok, media=(jpeg(tmp_path),),
                                             scheduled_at=datetime.now(UTC)))
    assert found is not None and found.remote_id == "813744226420795884"


@respx.mock(assert_all_mocked=True)
def test_delete_and_already_deleted(respx_mock) -> None:
    route = respx_mock.delete(f"{API}/pins/813744226420795884").mock(side_effect=[
        httpx.Response(204), httpx.Response(404, json={"code": 50, "message": "Pin not found."}),
    ])
    provider().delete("813744226420795884")
    provider().delete("813744226420795884")
    assert route.call_count == 2


@respx.mock(assert_all_mocked=True)
def test_fetch_metrics(respx_mock) -> None:
    route = respx_mock.get(f"{API}/pins/813744226420795884/analytics").respond(
        200, json=fixture("analytics"))
    metrics = provider().fetch_metrics("813744226420795884")
    # Link clicks are OUTBOUND_CLICK (PIN_CLICK opens the Pin and is kept in raw).
    assert (metrics.impressions, metrics.saves, metrics.clicks) == (240, 20, 20)
    assert (metrics.likes, metrics.comments) == (12, 10)
    params = route.calls.last.request.url.params
    assert params["metric_types"].split(",")[:2] == ["IMPRESSION", "SAVE"]
    assert params["start_date"] < params["end_date"]


@respx.mock(assert_all_mocked=True)
def test_exchange_code_with_basic_client_auth(respx_mock) -> None:
    route = respx_mock.post(f"{API}/oauth/token").respond(200, json=fixture("token"))
    tokens = provider().exchange_code("code-1", "https://keryx.test/cb/")
    request = route.calls.last.request
    expected = base64.b64encode(b"app-id:app-secret").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    form = parse_qs(request.content.decode())
    assert form == {"grant_type": ["authorization_code"], "code": ["code-1"],
                    "redirect_uri": ["https://keryx.test/cb/"], "continuous_refresh": ["true"]}
    assert tokens.access_token == "pina_AMAVIIQWAAAA"
    assert tokens.refresh_token == "pinr_AQAAAAAAAAAA"


@respx.mock(assert_all_mocked=True)
def test_refresh_rotates_the_continuous_refresh_token(respx_mock) -> None:
    route = respx_mock.post(f"{API}/oauth/token").respond(200, json=fixture("token_refresh"))
    p = provider()
    tokens = p.refresh()
    form = parse_qs(route.calls.last.request.content.decode())
    assert form["grant_type"] == ["refresh_token"]
    assert form["refresh_token"] == ["pinr_contract"]
    assert tokens.refresh_token == "pinr_AQAAAAAAAAAB"
    assert p.credentials["access_token"] == "pina_AMAVIIQWBBBB"
