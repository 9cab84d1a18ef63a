"""LinkedIn: `little` commentary escaping (table-driven), the requests the provider sends to the
Posts/Images/Videos/Documents/Social Actions APIs, and how it reads the documented answers.
respx stands in for api.linkedin.com and the upload host at the HTTP seam; bodies come from the
API references (tests/networks/fixtures/linkedin/)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, unquote

import httpx
import pytest
import respx

from keryx.networks import linkedin
from keryx.networks.base import (
    AuthExpired,
    BadContent,
    CannotReconcile,
    MediaItem,
    NotSupported,
    OutcomeUnknown,
    ProviderContext,
    PublishRequest,
    RateLimited,
)
from keryx.networks.linkedin import (
    LinkedInProvider,
    escape_commentary,
    seconds_to_utc_midnight,
    unescape_commentary,
)
from keryx.networks.linkedin import uploads as linkedin_uploads
from tests.networks.contract import jpeg
from tests.networks.kits.linkedin import API, OAUTH, ORG, POST_URN, UPLOADS, fixture

PERSON = "urn:li:person:782bbtaQ"


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch) -> None:
    monkeypatch.setattr(linkedin_uploads, "_sleep", lambda seconds: None)


def provider(settings: dict[str, Any] | None = None,
             credentials: dict[str, Any] | None = None) -> LinkedInProvider:
    return LinkedInProvider(ProviderContext(
        credentials=credentials if credentials is not None else {
            "access_token": "AQV-old", "refresh_token": "AQW-old"},
        settings=settings if settings is not None else {"person_id": "782bbtaQ"},
        allow_private=("api.linkedin.com", "www.linkedin.com"),
        client_id="li-client", client_secret="li-secret"))


def request(text: str = "Hello LinkedIn", media: tuple[MediaItem, ...] = (),
            **options: Any) -> PublishRequest:
    return PublishRequest(text=text, media=media, idempotency_key="k",
                          scheduled_at=options.pop("scheduled_at", None), options=options)


def sent_json(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


# -- commentary escaping -----------------------------------------------------------------------

ESCAPES = [
    # (plain text, little commentary)
    ("Plain words, no reserved characters.", "Plain words, no reserved characters."),
    ("a\\b", "a\\\\b"),
    ("pipe | brace { } at @ bracket [ ]", "pipe \\| brace \\{ \\} at \\@ bracket \\[ \\]"),
    ("(parens) <angle> star * under_score tilde ~",
     "\\(parens\\) \\<angle\\> star \\* under\\_score tilde \\~"),
    ("Price # 5", "Price \\# 5"),
    # Hashtags stay HashtagElements, underscores inside them too.
    ("Join #keryx_app today", "Join #keryx_app today"),
    ("#1 is a number, not a tag", "\\#1 is a number, not a tag"),
    # URLs stay verbatim so LinkedIn still links them; the closing parenthesis is text.
    ("(see https://example.com/a_b?x=(1)~y)", "\\(see https://example.com/a_b?x=(1)~y\\)"),
    # An explicit mention element is kept; a bare @name is plain text.
    ("Thanks @[Eddy](urn:li:person:1234) and @bob",
     "Thanks @[Eddy](urn:li:person:1234) and \\@bob"),
    ("Ελληνικά (δοκιμή) 😀_", "Ελληνικά \\(δοκιμή\\) 😀\\_"),
]


@pytest.mark.parametrize(("plain", "little"), ESCAPES)
def test_commentary_escaping(plain: str, little: str) -> None:
    assert escape_commentary(plain) == little
    assert unescape_commentary(little) == plain


def test_every_reserved_character_is_escaped() -> None:
    reserved = "\\|{}@[]()<>#*_~"
    assert escape_commentary(reserved) == "".join("\\" + c for c in reserved)


# -- publishing --------------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_text_post_body_and_headers(respx_mock) -> None:
    posts = respx_mock.post(f"{API}/rest/posts").respond(
        201, headers={"x-restli-id": "urn:li:share:6844785523593134080"})
    result = provider().publish(request("Hello (world) #news"))
    sent = posts.calls.last.request
    assert sent.headers["authorization"] == "Bearer AQV-old"
    assert sent.headers["linkedin-version"] == linkedin.LINKEDIN_VERSION
    assert sent.headers["x-restli-protocol-version"] == "2.0.0"
    assert json.loads(sent.content) == {
        "author": PERSON,
        "commentary": "Hello \\(world\\) #news",
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                         "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    assert result.remote_id == "urn:li:share:6844785523593134080"
    assert result.url == "https://www.linkedin.com/feed/update/urn:li:share:6844785523593134080/"


@respx.mock(assert_all_mocked=True)
def test_images_are_uploaded_then_posted_as_multi_image(respx_mock, tmp_path) -> None:
    first, second = jpeg(tmp_path, "a.jpg"), jpeg(tmp_path, "b.jpg")
    init = respx_mock.post(f"{API}/rest/images", params={"action": "initializeUpload"}).mock(
        side_effect=[httpx.Response(200, json={"value": {
            "uploadUrl": f"{UPLOADS}/img{i}", "image": f"urn:li:image:I{i}"}}) for i in (1, 2)])
    put = respx_mock.put(url__startswith=UPLOADS).respond(201)
    posts = respx_mock.post(f"{API}/rest/posts").respond(201, headers={"x-restli-id": POST_URN})
    provider({"organization_id": ORG}).publish(request("Two", (first, second)))
    assert sent_json(init, 0) == {"initializeUploadRequest": {
        "owner": f"urn:li:organization:{ORG}"}}
    assert [str(c.request.url) for c in put.calls] == [f"{UPLOADS}/img1", f"{UPLOADS}/img2"]
    assert put.calls[0].request.content == (tmp_path / "a.jpg").read_bytes()
    assert put.calls[0].request.headers["authorization"] == "Bearer AQV-old"
    body = sent_json(posts)
    assert body["author"] == f"urn:li:organization:{ORG}"
    assert body["content"] == {"multiImage": {"images": [
        {"id": "urn:li:image:I1", "altText": "An orange square"},
        {"id": "urn:li:image:I2", "altText": "An orange square"}]}}


@respx.mock(assert_all_mocked=True)
def test_single_image_uses_content_media(respx_mock, tmp_path) -> None:
    respx_mock.post(f"{API}/rest/images", params={"action": "initializeUpload"}).respond(
        200, json=fixture("image_initialize"))
    respx_mock.put(url__startswith=UPLOADS).respond(201)
    posts = respx_mock.post(f"{API}/rest/posts").respond(201, headers={"x-restli-id": POST_URN})
    provider().publish(request("One", (jpeg(tmp_path),)))
    assert sent_json(posts)["content"] == {"media": {
        "id": "urn:li:image:D4D10AQH4GJAjaFCkHQ", "altText": "An orange square"}}


@respx.mock(assert_all_mocked=True)
def test_video_parts_are_uploaded_finalized_and_a_5xx_part_is_resent(respx_mock,
                                                                       tmp_path) -> None:
    path = tmp_path / "clip.mp4"
    data = bytes(range(150))
    path.write_bytes(data)
    video = MediaItem(str(path), "video/mp4", len(data))
    init = respx_mock.post(f"{API}/rest/videos", params={"action": "initializeUpload"}).respond(
        200, json=fixture("video_initialize"))
    part0 = respx_mock.put(url__regex=r"/uploadedVideo/0").respond(200, headers={"etag": "e0"})
    # The second part meets a 503 first: the same bytes go to the same URL again.
    part1 = respx_mock.put(url__regex=r"/uploadedVideo/1").mock(side_effect=[
        httpx.Response(503, text="Service Unavailable"),
        httpx.Response(200, headers={"etag": "e1"})])
    final = respx_mock.post(f"{API}/rest/videos", params={"action": "finalizeUpload"}).respond(
        200)
    status = respx_mock.get(f"{API}/rest/videos/urn%3Ali%3Avideo%3AC5F10AQGKQg_6y2a4sQ").mock(
        side_effect=[httpx.Response(200, json={"status": "PROCESSING"}),
                     httpx.Response(200, json=fixture("video_available"))])
    posts = respx_mock.post(f"{API}/rest/posts").respond(201, headers={"x-restli-id": POST_URN})
    provider({"organization_id": ORG}).publish(request("Watch", (video,), title="Clip"))
    assert sent_json(init)["initializeUploadRequest"] == {
        "owner": f"urn:li:organization:{ORG}", "fileSizeBytes": 150,
        "uploadCaptions": False, "uploadThumbnail": False}
    assert part0.calls.last.request.content == data[:100]
    assert [c.request.content for c in part1.calls] == [data[100:], data[100:]]
    assert sent_json(final) == {"finalizeUploadRequest": {
        "video": "urn:li:video:C5F10AQGKQg_6y2a4sQ", "uploadToken": "",
        "uploadedPartIds": ["e0", "e1"]}}
    assert status.call_count == 2
    assert posts.call_count == 1
    assert sent_json(posts)["content"] == {"media": {
        "id": "urn:li:video:C5F10AQGKQg_6y2a4sQ", "title": "Clip"}}


@respx.mock(assert_all_mocked=True, assert_all_called=False)
def test_a_video_linkedin_cannot_process_is_refused_without_a_post(respx_mock, tmp_path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(bytes(150))
    respx_mock.post(f"{API}/rest/videos", params={"action": "initializeUpload"}).respond(
        200, json=fixture("video_initialize"))
    respx_mock.put(url__startswith=UPLOADS).respond(200, headers={"etag": "e"})
    respx_mock.post(f"{API}/rest/videos", params={"action": "finalizeUpload"}).respond(200)
    respx_mock.get(url__startswith=f"{API}/rest/videos/").respond(
        200, json=fixture("video_failed"))
    posts = respx_mock.post(f"{API}/rest/posts").respond(201)
    with pytest.raises(BadContent, match="Video is too short"):
        provider().publish(request("x", (MediaItem(str(path), "video/mp4", 150),)))
    assert posts.call_count == 0


@respx.mock(assert_all_mocked=True)
def test_document_post(respx_mock, tmp_path) -> None:
    path = tmp_path / "menu.pdf"
    path.write_bytes(b"%PDF-1.4\n%fake\n")
    doc = MediaItem(str(path), "application/pdf", path.stat().st_size)
    init = respx_mock.post(f"{API}/rest/documents", params={"action": "initializeUpload"}
                           ).respond(200, json=fixture("document_initialize"))
    put = respx_mock.put(url__startswith=UPLOADS).respond(201)
    posts = respx_mock.post(f"{API}/rest/posts").respond(201, headers={"x-restli-id": POST_URN})
    provider().publish(request("Our menu", (doc,)))
    assert sent_json(init) == {"initializeUploadRequest": {"owner": PERSON}}
    assert put.calls.last.request.content == b"%PDF-1.4\n%fake\n"
    assert put.calls.last.request.headers["content-type"] == "application/pdf"
    assert sent_json(posts)["content"] == {"media": {
        "title": "menu", "id": "urn:li:document:D4D10AQGOHCcBIFZtbw"}}


@respx.mock(assert_all_mocked=True)
def test_first_comment_on_the_new_post(respx_mock) -> None:
    respx_mock.post(f"{API}/rest/posts").respond(201, headers={"x-restli-id": POST_URN})
    comments = respx_mock.post(
        f"{API}/rest/socialActions/urn%3Ali%3Ashare%3A7250000000000000002/comments").respond(
        201, json=fixture("comment_created"))
    result = provider({"organization_id": ORG}).publish(request("x", first_comment="Menu inside"))
    assert sent_json(comments) == {"actor": f"urn:li:organization:{ORG}",
                                   "message": {"text": "Menu inside"}, "object": POST_URN}
    assert result.raw["first_comment_id"].startswith("urn:li:comment:(")


# -- errors ------------------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_errors_carry_linkedins_words(respx_mock) -> None:
    route = respx_mock.post(f"{API}/rest/posts")
    route.respond(401, json=fixture("error_expired"))
    with pytest.raises(AuthExpired, match="revoked by the user"):
        provider().publish(request())
    route.respond(403, json=fixture("error_no_permission"))
    with pytest.raises(AuthExpired, match="Not enough permissions"):
        provider().publish(request())
    route.respond(422, json=fixture("error_too_long"))
    with pytest.raises(BadContent, match="COMMENTARY_LENGTH_TOO_LONG"):
        provider().publish(request())
    route.respond(500, json=fixture("error_server"))
    with pytest.raises(OutcomeUnknown):
        provider().publish(request())
    route.respond(429, json=fixture("error_throttle"))
    with pytest.raises(RateLimited, match="DAY limit") as caught:
        provider().publish(request())
    # No Retry-After: LinkedIn's daily limits reset at midnight UTC.
    assert abs(caught.value.retry_after - seconds_to_utc_midnight()) < 5
    route.respond(429, json=fixture("error_throttle"), headers={"Retry-After": "60"})
    with pytest.raises(RateLimited) as caught:
        provider().publish(request())
    assert caught.value.retry_after == 60


def test_seconds_to_utc_midnight() -> None:
    assert seconds_to_utc_midnight(datetime(2026, 11, 27, 23, 0, tzinfo=UTC)) == 3600


# -- reconciliation ----------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_lookup_queries_by_author_and_matches_unescaped_commentary(respx_mock) -> None:
    listing = fixture("posts_by_author")
    listing["elements"].append({**listing["elements"][0], "id": POST_URN,
                                "createdAt": int(datetime.now(UTC).timestamp() * 1000),
                                "commentary": "Hello \\(world\\)"})
    route = respx_mock.get(f"{API}/rest/posts").respond(200, json=listing)
    found = provider({"organization_id": ORG}).lookup(
        request("Hello (world)", scheduled_at=datetime.now(UTC) - timedelta(minutes=1)))
    assert found is not None and found.remote_id == POST_URN
    url = str(route.calls.last.request.url)
    assert "author=urn%3Ali%3Aorganization%3A2414183" in url
    assert parse_qs(url.split("?", 1)[1])["q"] == ["author"]


@respx.mock(assert_all_mocked=True)
def test_lookup_for_a_member_without_read_permission_cannot_reconcile(respx_mock) -> None:
    respx_mock.get(f"{API}/rest/posts").respond(403, json=fixture("error_no_permission"))
    with pytest.raises(CannotReconcile, match="check the profile"):
        provider().lookup(request())


# -- connecting --------------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_verify_member_and_organisation(respx_mock) -> None:
    respx_mock.get(f"{API}/v2/userinfo").respond(200, json=fixture("userinfo"))
    member = provider({}).verify()
    assert member.remote_id == PERSON and member.display_name == "Eleni Papadopoulou"
    assert member.settings == {"person_id": "782bbtaQ", "author": PERSON}
    respx_mock.get(f"{API}/rest/organizations/{ORG}").respond(200, json=fixture("organization"))
    page = provider({"organization_id": ORG}).verify()
    assert page.remote_id == f"urn:li:organization:{ORG}"
    assert page.display_name == "Keryx Café" and page.handle == "keryx-cafe"
    assert page.url == "https://www.linkedin.com/company/keryx-cafe/"


@respx.mock(assert_all_mocked=True)
def test_exchange_and_refresh_send_the_client_in_the_body(respx_mock) -> None:
    token = respx_mock.post(f"{OAUTH}/accessToken").respond(200, json=fixture("token"))
    tokens = provider({}, {}).exchange_code("c0de", "https://k.example/cb/", "unused")
    assert parse_qs(token.calls.last.request.content.decode()) == {
        "grant_type": ["authorization_code"], "code": ["c0de"],
        "redirect_uri": ["https://k.example/cb/"], "client_id": ["li-client"],
        "client_secret": ["li-secret"]}
    assert tokens.refresh_token == "AQWAft_WjYZKwuWXLC5hQlghgTam-new"
    refreshed = provider().refresh()
    assert parse_qs(token.calls.last.request.content.decode())["refresh_token"] == ["AQW-old"]
    assert refreshed.access_token == "AQXNnd2kXITHELmWblJigFN-new"
    with pytest.raises(AuthExpired, match="60 days"):
        provider(credentials={"access_token": "AQV-old"}).refresh()


# -- validation --------------------------------------------------------------------------------


def test_validate_counts_utf16_and_checks_media_kinds(tmp_path) -> None:
    p = provider()
    assert p.validate(request("😀" * 1500)) == []  # 3,000 UTF-16 code units
    assert [x.code for x in p.validate(request("😀" * 1500 + "a"))] == ["too_long"]
    image = MediaItem(str(tmp_path / "a.jpg"), "image/jpeg", 1000, width=100, height=100)
    video = MediaItem(str(tmp_path / "v.mp4"), "video/mp4", 100_000)
    # (the missing file also reads as no video: only the mix is asserted here)
    assert "mixed_media" in [x.code for x in p.validate(request("x", (image, video)))]
    assert [x.code for x in p.validate(request("x", (image,) * 21))] == ["too_many_media"]
    huge = MediaItem(str(tmp_path / "h.png"), "image/png", 1000, width=6100, height=6000)
    assert [x.code for x in p.validate(request("x", (huge,)))] == ["image_too_large"]
    tiny = MediaItem(str(tmp_path / "t.mp4"), "video/mp4", 1000)
    assert [x.code for x in p.validate(request("x", (tiny,)))] == ["media_size"]
    webm = MediaItem(str(tmp_path / "w.webm"), "video/webm", 100_000)
    assert [x.code for x in p.validate(request("x", (webm,)))] == ["media_type"]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg/ffprobe")
def test_validate_refuses_a_video_shorter_than_3_seconds(tmp_path) -> None:
    import subprocess

    path = tmp_path / "short.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=duration=1:size=320x240:rate=25", "-pix_fmt", "yuv420p",
                    "-b:v", "1M", str(path)], check=True, timeout=60)
    item = MediaItem(str(path), "video/mp4", max(path.stat().st_size, 80_000))
    assert [x.code for x in provider().validate(request("x", (item,)))] == ["video_too_short"]


# -- metrics and comments ----------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_metrics_comments_and_replies(respx_mock) -> None:
    encoded = "urn%3Ali%3Ashare%3A7250000000000000002"
    respx_mock.get(f"{API}/rest/socialActions/{encoded}").respond(
        200, json=fixture("social_actions"))
    stats = respx_mock.get(f"{API}/rest/organizationalEntityShareStatistics").respond(
        200, json=fixture("share_statistics"))
    metrics = provider({"organization_id": ORG}).fetch_metrics(POST_URN)
    assert (metrics.likes, metrics.comments, metrics.shares) == (31, 6, 5)
    assert (metrics.impressions, metrics.reach, metrics.clicks) == (1450, 900, 64)
    assert unquote(str(stats.calls.last.request.url)).endswith(f"shares=List({POST_URN})")
    member_metrics = provider().fetch_metrics(POST_URN)
    assert member_metrics.likes == 31 and member_metrics.impressions is None

    respx_mock.get(f"{API}/rest/socialActions/{encoded}/comments").respond(
        200, json=fixture("comments"))
    comments = provider().fetch_comments(POST_URN)
    assert [c.text for c in comments] == ["Great news!", "Thank you!"]
    assert comments[1].parent_id == comments[0].remote_id
    later = provider().fetch_comments(POST_URN, since=datetime.fromtimestamp(1764218000, UTC))
    assert [c.text for c in later] == ["Thank you!"]

    parent = comments[0].remote_id
    replies = respx_mock.post(f"{API}/rest/socialActions/{quote(parent, safe='')}/comments"
                              ).respond(201, json=fixture("comment_created"))
    provider({"organization_id": ORG}).reply(parent, "Glad you like it")
    assert sent_json(replies) == {
        "actor": f"urn:li:organization:{ORG}", "message": {"text": "Glad you like it"},
        "object": "urn:li:activity:7250000000000000009", "parentComment": parent}
    with pytest.raises(NotSupported, match="no way to hide"):
        provider().hide_comment(parent)
