"""YouTube: the resumable upload (session, chunks, resuming after a 5xx without uploading
twice), metadata and its limits, quota errors, Google OAuth, statistics and comments. respx
stands in for www.googleapis.com and oauth2.googleapis.com at the HTTP seam; bodies come from
the Data API v3 references (tests/networks/fixtures/youtube/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from keryx.networks import youtube
from keryx.networks.base import (
    AuthExpired,
    BadContent,
    Disconnected,
    MediaItem,
    OutcomeUnknown,
    ProviderContext,
    PublishRequest,
    RateLimited,
    Transient,
)
from keryx.networks.youtube import (
    CHUNK_UNIT,
    YouTubeProvider,
    default_title,
    seconds_to_pacific_midnight,
    tags_length,
)
from tests.networks.kits.youtube import API, OAUTH, SESSION, UPLOAD, fixture, small_video

VIDEO_ID = "dQw4w9WgXcQ"


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch) -> None:
    monkeypatch.setattr(youtube, "_sleep", lambda seconds: None)


def provider(credentials: dict[str, Any] | None = None,
             settings: dict[str, Any] | None = None) -> YouTubeProvider:
    p = YouTubeProvider(ProviderContext(
        credentials=credentials if credentials is not None else {
            "access_token": "ya29.old", "refresh_token": "1//0gRefresh"},
        settings=settings if settings is not None else {
            "channel_id": "UCkeryx0cafe1234567890ab",
            "uploads_playlist": "UUkeryx0cafe1234567890ab"},
        allow_private=("www.googleapis.com", "oauth2.googleapis.com"),
        oauth_base=OAUTH, client_id="g-client", client_secret="g-secret"))
    p.chunk_size = CHUNK_UNIT
    return p


def fake_video(tmp_path, size: int) -> MediaItem:
    """Bytes with an MP4 header: enough for upload tests, where the content is not probed."""
    path = tmp_path / "big.mp4"
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    path.write_bytes(head + bytes(i % 251 for i in range(size - len(head))))
    return MediaItem(str(path), "video/mp4", size)


def request(media: tuple[MediaItem, ...] = (), text: str = "A description",
            **options: Any) -> PublishRequest:
    options.setdefault("title", "A title")
    return PublishRequest(text=text, media=media, idempotency_key="k",
                          scheduled_at=options.pop("scheduled_at", None), options=options)


def ranges(route: respx.Route) -> list[str]:
    return [c.request.headers["content-range"] for c in route.calls]


# -- the resumable upload ----------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_session_carries_the_metadata_then_chunks_follow(respx_mock, tmp_path) -> None:
    item = fake_video(tmp_path, 2 * CHUNK_UNIT + 1000)
    data = (tmp_path / "big.mp4").read_bytes()
    start = respx_mock.post(UPLOAD).respond(200, headers={"Location": SESSION})
    put = respx_mock.put(UPLOAD).mock(side_effect=[
        httpx.Response(308, headers={"Range": f"bytes=0-{CHUNK_UNIT - 1}"}),
        httpx.Response(308, headers={"Range": f"bytes=0-{2 * CHUNK_UNIT - 1}"}),
        httpx.Response(201, json=fixture("video_inserted")),
    ])
    result = provider().publish(request((item,), text="Bread <3 at dawn".replace("<", ""),
                                        tags=["bread", "sour dough"], privacy="unlisted",
                                        made_for_kids=False))
    sent = start.calls.last.request
    assert dict(sent.url.params) == {"uploadType": "resumable", "part": "snippet,status"}
    assert sent.headers["authorization"] == "Bearer ya29.old"
    assert sent.headers["x-upload-content-length"] == str(item.size)
    assert sent.headers["x-upload-content-type"] == "video/mp4"
    assert json.loads(sent.content) == {
        "snippet": {"title": "A title", "description": "Bread 3 at dawn", "categoryId": "22",
                    "tags": ["bread", "sour dough"]},
        "status": {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": False},
    }
    assert str(put.calls[0].request.url) == SESSION
    size = item.size
    assert ranges(put) == [f"bytes 0-{CHUNK_UNIT - 1}/{size}",
                           f"bytes {CHUNK_UNIT}-{2 * CHUNK_UNIT - 1}/{size}",
                           f"bytes {2 * CHUNK_UNIT}-{size - 1}/{size}"]
    assert b"".join(c.request.content for c in put.calls) == data
    assert result.remote_id == VIDEO_ID
    assert result.url == f"https://www.youtube.com/watch?v={VIDEO_ID}"


@respx.mock(assert_all_mocked=True)
def test_a_5xx_mid_upload_resumes_from_what_youtube_holds(respx_mock, tmp_path) -> None:
    item = fake_video(tmp_path, 3 * CHUNK_UNIT)
    data = (tmp_path / "big.mp4").read_bytes()
    start = respx_mock.post(UPLOAD).respond(200, headers={"Location": SESSION})
    put = respx_mock.put(UPLOAD).mock(side_effect=[
        httpx.Response(308, headers={"Range": f"bytes=0-{CHUNK_UNIT - 1}"}),
        httpx.Response(503, json=fixture("error_backend")),
        # Status query: YouTube kept only part of the failed chunk.
        httpx.Response(308, headers={"Range": f"bytes=0-{CHUNK_UNIT + 99}"}),
        httpx.Response(308, headers={"Range": f"bytes=0-{2 * CHUNK_UNIT + 99}"}),
        httpx.Response(201, json=fixture("video_inserted")),
    ])
    result = provider().publish(request((item,)))
    size = item.size
    assert ranges(put) == [
        f"bytes 0-{CHUNK_UNIT - 1}/{size}",
        f"bytes {CHUNK_UNIT}-{2 * CHUNK_UNIT - 1}/{size}",
        f"bytes */{size}",
        f"bytes {CHUNK_UNIT + 100}-{2 * CHUNK_UNIT + 99}/{size}",
        f"bytes {2 * CHUNK_UNIT + 100}-{size - 1}/{size}",
    ]
    assert put.calls[2].request.content == b""
    assert put.calls[3].request.content == data[CHUNK_UNIT + 100: 2 * CHUNK_UNIT + 100]
    # One session, one video: nothing uploaded twice.
    assert start.call_count == 1
    assert result.remote_id == VIDEO_ID


@respx.mock(assert_all_mocked=True)
def test_a_5xx_on_the_last_chunk_that_completed_returns_the_video(respx_mock, tmp_path) -> None:
    item = fake_video(tmp_path, 1000)
    respx_mock.post(UPLOAD).respond(200, headers={"Location": SESSION})
    put = respx_mock.put(UPLOAD).mock(side_effect=[
        httpx.Response(500, json={"error": {"code": 500, "message": "Backend Error",
                                            "errors": [{"reason": "backendError"}]}}),
        httpx.Response(200, json=fixture("video_inserted")),  # the status query: done
    ])
    assert provider().publish(request((item,))).remote_id == VIDEO_ID
    assert ranges(put) == ["bytes 0-999/1000", "bytes */1000"]


@respx.mock(assert_all_mocked=True)
def test_when_youtube_never_confirms_the_last_chunk_the_outcome_is_unknown(respx_mock,
                                                                           tmp_path) -> None:
    item = fake_video(tmp_path, 1000)
    respx_mock.post(UPLOAD).respond(200, headers={"Location": SESSION})
    put = respx_mock.put(UPLOAD).respond(503, json=fixture("error_backend"))
    with pytest.raises(OutcomeUnknown, match="checks the channel"):
        provider().publish(request((item,)))
    assert put.call_count == 1 + youtube.MAX_RESUMES


@respx.mock(assert_all_mocked=True)
def test_failing_before_the_last_chunk_is_transient(respx_mock, tmp_path) -> None:
    # The second of three chunks never gets through: no video can exist, a retry is safe.
    item = fake_video(tmp_path, 3 * CHUNK_UNIT)
    respx_mock.post(UPLOAD).respond(200, headers={"Location": SESSION})
    respx_mock.put(UPLOAD).mock(side_effect=[
        httpx.Response(308, headers={"Range": f"bytes=0-{CHUNK_UNIT - 1}"}),
        httpx.ConnectError("connection refused"),
        *[httpx.Response(503, json=fixture("error_backend"))] * youtube.MAX_RESUMES,
    ])
    with pytest.raises(Transient) as caught:
        provider().publish(request((item,)))
    assert not isinstance(caught.value, OutcomeUnknown)


@respx.mock(assert_all_mocked=True)
def test_quota_errors_wait_until_midnight_pacific(respx_mock, tmp_path) -> None:
    item = fake_video(tmp_path, 1000)
    start = respx_mock.post(UPLOAD)
    for name in ("error_quota", "error_upload_limit"):
        start.respond(403 if name == "error_quota" else 400, json=fixture(name))
        with pytest.raises(RateLimited) as caught:
            provider().publish(request((item,)))
        assert abs(caught.value.retry_after - seconds_to_pacific_midnight()) < 5
    assert "exceeded your" in str(caught.value) or "exceeded the number" in str(caught.value)


def test_seconds_to_pacific_midnight() -> None:
    # 07:00 UTC on 27 November is 23:00 PST.
    assert seconds_to_pacific_midnight(datetime(2026, 11, 27, 7, 0, tzinfo=UTC)) == 3600
    # Summer time: 06:00 UTC on 1 July is 23:00 PDT.
    assert seconds_to_pacific_midnight(datetime(2026, 7, 1, 6, 0, tzinfo=UTC)) == 3600


@respx.mock(assert_all_mocked=True)
def test_native_schedule_uploads_private_with_publish_at(respx_mock, tmp_path) -> None:
    when = datetime(2026, 12, 24, 8, 30, tzinfo=UTC)
    start = respx_mock.post(UPLOAD).respond(200, headers={"Location": SESSION})
    respx_mock.put(UPLOAD).respond(201, json=fixture("video_inserted"))
    provider().publish(request((fake_video(tmp_path, 1000),), scheduled_at=when,
                               native_schedule=True, privacy="public"))
    assert json.loads(start.calls.last.request.content)["status"] == {
        "privacyStatus": "private", "publishAt": "2026-12-24T08:30:00Z"}


@respx.mock(assert_all_mocked=True)
def test_errors_map_with_youtubes_words(respx_mock, tmp_path) -> None:
    item = fake_video(tmp_path, 1000)
    start = respx_mock.post(UPLOAD)
    start.respond(401, json=fixture("error_auth"))
    with pytest.raises(AuthExpired, match="invalid authentication credentials"):
        provider().publish(request((item,)))
    start.respond(403, json=fixture("error_scope"))
    with pytest.raises(AuthExpired, match="Missing permission: .*insufficient"):
        provider().publish(request((item,)))
    start.respond(401, json=fixture("error_signup"))
    with pytest.raises(Disconnected):
        provider().publish(request((item,)))
    start.respond(400, json=fixture("error_invalid_title"))
    with pytest.raises(BadContent, match="invalid or empty video title"):
        provider().publish(request((item,)))


@respx.mock(assert_all_mocked=True)
def test_first_comment_after_the_upload(respx_mock, tmp_path) -> None:
    respx_mock.post(UPLOAD).respond(200, headers={"Location": SESSION})
    respx_mock.put(UPLOAD).respond(201, json=fixture("video_inserted"))
    threads = respx_mock.post(f"{API}/youtube/v3/commentThreads").respond(
        200, json=fixture("comment_thread_created"))
    result = provider().publish(request((fake_video(tmp_path, 1000),),
                                        first_comment="Recipe in the description"))
    assert json.loads(threads.calls.last.request.content) == {"snippet": {
        "videoId": VIDEO_ID,
        "topLevelComment": {"snippet": {"textOriginal": "Recipe in the description"}}}}
    assert result.raw["first_comment_id"] == "UgzNewThread00000000000000"


# -- validation --------------------------------------------------------------------------------


def test_text_only_is_refused_a_video_is_required() -> None:
    problems = provider().validate(request(()))
    assert [p.code for p in problems] == ["video_required"]
    assert "text-only" in problems[0].message


def test_validate_title_description_tags_and_privacy(tmp_path) -> None:
    item = small_video(tmp_path)
    p = provider()

    def codes(**kw: Any) -> list[str]:
        return [x.code for x in p.validate(request((item,), **kw))]

    assert codes() == []
    assert codes(title="t" * 100) == []
    assert codes(title="t" * 101) == ["title_too_long"]
    assert codes(text="€" * 1666 + "ab") == []  # 4,998 + 2 = 5,000 bytes
    assert codes(text="€" * 1667) == ["too_long"]  # 5,001 bytes, 1,667 characters
    assert codes(text="1 < 2") == ["forbidden_characters"]
    assert codes(title="<b>") == ["forbidden_characters"]
    assert codes(tags=["t" * 250, "u" * 249]) == []  # 250 + 1 comma + 249 = 500
    assert codes(tags=["t" * 250, "u u" + "u" * 245]) == ["tags_too_long"]  # quoted: +2
    assert codes(privacy="friends") == ["privacy"]
    assert codes(native_schedule=True) == ["schedule_missing"]
    image = MediaItem(str(tmp_path / "a.jpg"), "image/jpeg", 100)
    assert [x.code for x in p.validate(request((image,)))] == ["media_type"]
    assert [x.code for x in p.validate(request((item, item)))] == ["too_many_media"]


def test_a_file_that_is_not_a_video_is_refused(tmp_path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("just text")
    problems = provider().validate(request((MediaItem(str(path), "video/mp4", 9),)))
    assert [p.code for p in problems] == ["media_unreadable"]


def test_tags_length_and_default_title() -> None:
    assert tags_length([]) == 0
    assert tags_length(["a", "b c"]) == 1 + 1 + 5
    assert default_title("\n  First line  \nsecond") == "First line"
    long = default_title("word " * 40)
    assert len(long) <= 100 and long.endswith("…")
    req = PublishRequest(text="Title from text\nBody", options={})
    assert YouTubeProvider.title_for(req) == "Title from text"


# -- connecting --------------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_verify_reads_the_channel_and_its_uploads_playlist(respx_mock) -> None:
    route = respx_mock.get(f"{API}/youtube/v3/channels").respond(
        200, json=fixture("channels_mine"))
    info = provider(settings={}).verify()
    assert dict(route.calls.last.request.url.params) == {
        "part": "snippet,contentDetails", "mine": "true"}
    assert info.remote_id == "UCkeryx0cafe1234567890ab" and info.handle == "@keryxcafe"
    assert info.url == "https://www.youtube.com/@keryxcafe"
    assert info.settings["uploads_playlist"] == "UUkeryx0cafe1234567890ab"
    route.respond(200, json=fixture("channels_none"))
    with pytest.raises(Disconnected, match="no YouTube channel"):
        provider(settings={}).verify()


@respx.mock(assert_all_mocked=True)
def test_exchange_and_refresh_against_the_token_endpoint(respx_mock) -> None:
    token = respx_mock.post(f"{OAUTH}/token").respond(200, json=fixture("token_exchanged"))
    tokens = provider({}, {}).exchange_code("4/0code", "https://k.example/cb/", "verif")
    assert parse_qs(token.calls.last.request.content.decode()) == {
        "grant_type": ["authorization_code"], "code": ["4/0code"],
        "redirect_uri": ["https://k.example/cb/"], "code_verifier": ["verif"],
        "client_id": ["g-client"], "client_secret": ["g-secret"]}
    assert tokens.refresh_token == "1//0gRefresh"
    token.respond(200, json=fixture("token_refreshed"))
    refreshed = provider().refresh()
    assert parse_qs(token.calls.last.request.content.decode())["grant_type"] == [
        "refresh_token"]
    # Google does not send a new refresh token: the stored one is kept.
    assert (refreshed.access_token, refreshed.refresh_token) == ("ya29.a0AfB_new",
                                                                 "1//0gRefresh")
    assert refreshed.expires_at and refreshed.expires_at > datetime.now(UTC) + timedelta(
        minutes=59)
    token.respond(400, json=fixture("token_invalid_grant"))
    with pytest.raises(AuthExpired, match="expired or revoked"):
        provider().refresh()


def test_the_authorize_request_asks_for_offline_access_with_pkce() -> None:
    spec = YouTubeProvider.oauth
    assert spec.pkce
    assert spec.extra_authorize_params["access_type"] == "offline"
    assert spec.extra_authorize_params["prompt"] == "consent"
    # Without an override, the token endpoint is Google's.
    plain = YouTubeProvider(ProviderContext(credentials={}))
    assert plain.token_url == "https://oauth2.googleapis.com/token"


# -- reconciliation, metrics, comments ---------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_lookup_reads_the_uploads_playlist(respx_mock, tmp_path) -> None:
    listing = fixture("uploads")
    listing["items"].append({"snippet": {
        "publishedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "title": "A title", "description": "A  description",
        "resourceId": {"kind": "youtube#video", "videoId": VIDEO_ID}}})
    route = respx_mock.get(f"{API}/youtube/v3/playlistItems").respond(200, json=listing)
    found = provider(settings={"channel_id": "UCkeryx0cafe1234567890ab"}).lookup(
        request((), scheduled_at=datetime.now(UTC)))
    assert found is not None and found.remote_id == VIDEO_ID
    # The uploads playlist id follows from the channel id when it was not stored.
    assert route.calls.last.request.url.params["playlistId"] == "UUkeryx0cafe1234567890ab"


@respx.mock(assert_all_mocked=True)
def test_metrics_comments_replies_and_moderation(respx_mock) -> None:
    stats = respx_mock.get(f"{API}/youtube/v3/videos").respond(
        200, json=fixture("video_statistics"))
    metrics = provider().fetch_metrics(VIDEO_ID)
    assert (metrics.video_views, metrics.likes, metrics.comments) == (1523, 87, 12)
    assert metrics.saves is None  # favoriteCount is deprecated (always 0), not a save count
    assert dict(stats.calls.last.request.url.params) == {"part": "statistics", "id": VIDEO_ID}

    respx_mock.get(f"{API}/youtube/v3/commentThreads").respond(
        200, json=fixture("comment_threads"))
    comments = provider().fetch_comments(VIDEO_ID)
    assert [c.text for c in comments] == ["Looks delicious!", "Thank you!"]
    assert comments[1].parent_id == comments[0].remote_id
    assert comments[0].author_id == "UCmaria000000000000000000"
    later = provider().fetch_comments(VIDEO_ID, since=datetime(2026, 11, 27, 5, 5, tzinfo=UTC))
    assert [c.text for c in later] == ["Thank you!"]

    reply = respx_mock.post(f"{API}/youtube/v3/comments").respond(
        200, json=fixture("comment_created"))
    made = provider().reply("UgzTopLevel000000000000000", "Glad you like it")
    assert json.loads(reply.calls.last.request.content) == {"snippet": {
        "parentId": "UgzTopLevel000000000000000", "textOriginal": "Glad you like it"}}
    assert made.remote_id == "UgzTopLevel000000000000000.9xReply0002"

    hide = respx_mock.post(f"{API}/youtube/v3/comments/setModerationStatus").respond(204)
    provider().hide_comment("UgzTopLevel000000000000000")
    assert dict(hide.calls.last.request.url.params) == {
        "id": "UgzTopLevel000000000000000", "moderationStatus": "heldForReview"}
    provider().hide_comment("UgzTopLevel000000000000000", hidden=False)
    assert hide.calls.last.request.url.params["moderationStatus"] == "published"
