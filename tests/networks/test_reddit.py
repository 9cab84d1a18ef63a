"""Reddit: the submissions the provider sends (self, link, image through the media lease, flair,
first comment), the descriptive User-Agent, and how Reddit's json error lists map."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from keryx.networks.base import (
    AuthExpired,
    BadContent,
    Disconnected,
    MediaItem,
    OutcomeUnknown,
    ProviderContext,
    PublishRequest,
    RateLimited,
)
from keryx.networks.reddit import RedditProvider, wait_seconds
from tests.networks.contract import jpeg
from tests.networks.kits.reddit import API, AUTH, KIT, S3, fixture


def provider(**settings) -> RedditProvider:
    context = ProviderContext(
        credentials=KIT.credentials(), settings={**KIT.channel_settings(), **settings},
        allow_private=("oauth.reddit.com", "www.reddit.com",
                       "reddit-uploaded-media.s3-accelerate.amazonaws.com"),
        client_id="reddit-app", client_secret="reddit-secret",
    )
    p = RedditProvider(context)
    p.find_interval = 0.0
    return p


def form(route) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(route.calls.last.request.content.decode()).items()}


# -- validation ----------------------------------------------------------------------------


def test_title_from_first_line_and_limits() -> None:
    p = provider()
    ok = PublishRequest(text="t" * 300 + "\n" + "b" * 40_000)
    assert p.validate(ok) == []
    bad = PublishRequest(text="t" * 301 + "\n" + "b" * 40_001)
    assert sorted(x.code for x in p.validate(bad)) == ["title_too_long", "too_long"]
    # An explicit title leaves the whole text as the body.
    assert p.validate(PublishRequest(text="b" * 40_000, options={"title": "T"})) == []


def test_validate_subreddit_kinds_and_media() -> None:
    assert [x.code for x in provider(subreddit="").validate(PublishRequest(text="Hi"))] == [
        "subreddit_required"]
    link = provider().validate(PublishRequest(text="Hi", options={"kind": "link"}))
    assert [x.code for x in link] == ["url_required"]
    image_with_body = provider().validate(PublishRequest(
        text="Title\nbody", media=(MediaItem("/m/a.jpg", "image/jpeg", 10),)))
    assert [x.code for x in image_with_body] == ["body_not_allowed"]
    two = provider().validate(PublishRequest(text="T", media=(
        MediaItem("/m/a.jpg", "image/jpeg", 10), MediaItem("/m/b.webp", "image/webp", 10))))
    assert sorted(x.code for x in two) == ["media_type", "too_many_media"]


def test_wait_seconds() -> None:
    assert wait_seconds("you are doing that too much. try again in 5 minutes.") == 300
    assert wait_seconds("try again in 30 seconds.") == 30
    assert wait_seconds("try again in 1 minute") == 60
    assert wait_seconds("nothing here") is None


# -- publishing ----------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_self_post_with_flair(respx_mock) -> None:
    route = respx_mock.post(f"{API}/api/submit").respond(200, json=fixture("submit_self"))
    result = provider().publish(PublishRequest(
        text="Keryx 1.0 is out\nSchedules posts to 14 networks.",
        options={"flair_id": "2f5a4e6c-1111", "flair_text": "Release"},
    ))
    assert result.remote_id == "1abcde"
    assert result.url == "https://www.reddit.com/r/selfhosted/comments/1abcde/hello_from_keryx/"
    assert form(route) == {
        "api_type": "json", "sr": "selfhosted", "kind": "self", "title": "Keryx 1.0 is out",
        "text": "Schedules posts to 14 networks.", "sendreplies": "true", "resubmit": "true",
        "flair_id": "2f5a4e6c-1111", "flair_text": "Release",
    }
    headers = route.calls.last.request.headers
    assert headers["Authorization"] == "bearer reddit-at"
    assert headers["User-Agent"] == "web:keryx:0.1 (self-hosted Keryx; by /u/keryx_bot)"


@respx.mock(assert_all_mocked=True)
def test_link_post(respx_mock) -> None:
    route = respx_mock.post(f"{API}/api/submit").respond(200, json=fixture("submit_self"))
    provider().publish(PublishRequest(text="Read the docs",
                                      options={"url": "https://keryx.example/docs"}))
    sent = form(route)
    assert (sent["kind"], sent["url"], sent["title"]) == (
        "link", "https://keryx.example/docs", "Read the docs")
    assert "text" not in sent


@respx.mock(assert_all_mocked=True)
def test_image_post_through_the_media_lease(respx_mock, tmp_path) -> None:
    KIT.route_publish(respx_mock)
    image = jpeg(tmp_path)
    result = provider().publish(PublishRequest(text=KIT.text_ok, media=(image,),
                                               scheduled_at=datetime.now(UTC)))
    lease = respx_mock.routes[0]
    assert form(lease) == {"filepath": "photo.jpg", "mimetype": "image/jpeg"}
    upload = respx_mock.routes[1].calls.last.request
    assert "Authorization" not in upload.headers  # the signed form is the credential
    for field in fixture("asset_lease")["args"]["fields"]:
        assert f'name="{field["name"]}"\r\n\r\n{field["value"]}\r\n'.encode() in upload.content
    assert open(image.path, "rb").read() in upload.content
    submit = form(respx_mock.routes[2])
    assert (submit["kind"], submit["url"]) == ("image", f"{S3}/rte_images/abc123")
    # Reddit answers image posts without an id: the newest submissions tell it.
    assert result.remote_id == "1abcde"
    assert result.url == "https://www.reddit.com/r/selfhosted/comments/1abcde/hello_from_keryx/"


@respx.mock(assert_all_mocked=True)
def test_image_post_not_listed_yet_is_an_unknown_outcome(respx_mock, tmp_path) -> None:
    KIT.route_upload(respx_mock)
    respx_mock.post(f"{API}/api/submit").respond(200, json=fixture("submit_image"))
    listing = respx_mock.get(f"{API}/user/keryx_bot/submitted").respond(
        200, json=KIT.submitted(False))
    with pytest.raises(OutcomeUnknown, match="has not listed it yet"):
        provider().publish(PublishRequest(text=KIT.text_ok, media=(jpeg(tmp_path),),
                                          scheduled_at=datetime.now(UTC)))
    assert listing.call_count == 4


@respx.mock(assert_all_mocked=True)
def test_ratelimit_error_in_the_json_list(respx_mock) -> None:
    respx_mock.post(f"{API}/api/submit").respond(200, json=fixture("submit_ratelimit"))
    with pytest.raises(RateLimited) as caught:
        provider().publish(PublishRequest(text="Hi"))
    assert caught.value.retry_after == 300
    assert "Take a break for 5 minutes" in caught.value.message


@respx.mock(assert_all_mocked=True)
def test_http_429_reads_x_ratelimit_reset(respx_mock) -> None:
    respx_mock.post(f"{API}/api/submit").respond(
        429, json={"message": "Too Many Requests", "error": 429},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-used": "100",
                 "x-ratelimit-reset": "17"})
    with pytest.raises(RateLimited) as caught:
        provider().publish(PublishRequest(text="Hi"))
    assert caught.value.retry_after == 17


@respx.mock(assert_all_mocked=True)
def test_missing_subreddit_and_required_flair(respx_mock) -> None:
    route = respx_mock.post(f"{API}/api/submit").mock(side_effect=[
        httpx.Response(200, json=fixture("submit_subreddit_noexist")),
        httpx.Response(200, json=fixture("submit_flair_required")),
    ])
    with pytest.raises(Disconnected, match="that community doesn't exist"):
        provider().publish(PublishRequest(text="Hi"))
    with pytest.raises(BadContent, match="must contain post flair") as caught:
        provider().publish(PublishRequest(text="Hi"))
    assert caught.value.problems[0].code == "submit_validation_flair_required"
    assert caught.value.problems[0].field == "flair"
    assert route.call_count == 2


@respx.mock(assert_all_mocked=True)
def test_first_comment(respx_mock) -> None:
    respx_mock.post(f"{API}/api/submit").respond(200, json=fixture("submit_self"))
    comment = respx_mock.post(f"{API}/api/comment").mock(side_effect=[
        httpx.Response(200, json=fixture("comment_created")),
        httpx.Response(500, json=fixture("error_500")),
    ])
    result = provider().publish(PublishRequest(
        text="Hi", options={"first_comment": "Changelog: https://example.org"}))
    assert form(comment) == {"api_type": "json", "thing_id": "t3_1abcde",
                             "text": "Changelog: https://example.org"}
    assert result.raw["first_comment_id"] == "k1dddd"
    # The post exists: a failed first comment is recorded, not turned into a failed post.
    again = provider().publish(PublishRequest(text="Hi", options={"first_comment": "x"}))
    assert again.remote_id == "1abcde"
    assert "Internal Server Error" in again.raw["follow_up_error"]


# -- community, metrics, delete ------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_fetch_metrics(respx_mock) -> None:
    route = respx_mock.get(f"{API}/api/info").respond(200, json=fixture("info"))
    metrics = provider().fetch_metrics("1abcde")
    assert (metrics.likes, metrics.comments) == (42, 7)
    assert metrics.raw["upvote_ratio"] == 0.93
    assert route.calls.last.request.url.params["id"] == "t3_1abcde"


@respx.mock(assert_all_mocked=True)
def test_fetch_comments_flattens_replies(respx_mock) -> None:
    route = respx_mock.get(f"{API}/comments/1abcde").respond(200, json=fixture("comments"))
    comments = provider().fetch_comments("t3_1abcde")
    assert [(c.remote_id, c.author_handle, c.parent_id) for c in comments] == [
        ("k1aaaa", "alice", "t3_1abcde"), ("k1bbbb", "bob", "t1_k1aaaa")]
    assert comments[0].url.endswith("/k1aaaa/")
    assert route.calls.last.request.url.params["sort"] == "new"
    later = provider().fetch_comments("1abcde", since=datetime.fromtimestamp(1700000150, UTC))
    assert [c.remote_id for c in later] == ["k1bbbb"]


@respx.mock(assert_all_mocked=True)
def test_reply_hide_unhide_and_delete(respx_mock) -> None:
    comment = respx_mock.post(f"{API}/api/comment").respond(200, json=fixture("comment_created"))
    remove = respx_mock.post(f"{API}/api/remove").respond(200, json={})
    approve = respx_mock.post(f"{API}/api/approve").respond(200, json={})
    delete = respx_mock.post(f"{API}/api/del").respond(200, json={})
    p = provider()
    reply = p.reply("t1_k1aaaa", "Thanks!")
    assert form(comment)["thing_id"] == "t1_k1aaaa"
    assert reply.remote_id == "k1dddd"
    p.hide_comment("k1aaaa")
    assert form(remove) == {"id": "t1_k1aaaa", "spam": "false"}
    p.hide_comment("k1aaaa", hidden=False)
    assert form(approve) == {"id": "t1_k1aaaa"}
    p.delete("1abcde")
    assert form(delete) == {"id": "t3_1abcde"}


@respx.mock(assert_all_mocked=True)
def test_verify(respx_mock) -> None:
    KIT.route_verify(respx_mock)
    info = provider(username="").verify()
    assert (info.remote_id, info.handle) == ("8xwlg", "u/keryx_bot")
    assert info.settings == {"username": "keryx_bot"}


# -- OAuth ---------------------------------------------------------------------------------


@respx.mock(assert_all_mocked=True)
def test_exchange_code_and_refused_grant(respx_mock) -> None:
    route = respx_mock.post(f"{AUTH}/api/v1/access_token").mock(side_effect=[
        httpx.Response(200, json=fixture("token")),
        # Reddit refuses a used code with status 200 and an error body.
        httpx.Response(200, json=fixture("token_invalid_grant")),
    ])
    tokens = provider().exchange_code("code-1", "https://keryx.test/channels/oauth/reddit/callback/")
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(
        b"reddit-app:reddit-secret").decode()
    assert request.headers["User-Agent"].startswith("web:keryx:")
    assert form(route) == {"grant_type": "authorization_code", "code": "code-1",
                           "redirect_uri": "https://keryx.test/channels/oauth/reddit/callback/"}
    assert tokens.refresh_token == "1234567-refresh"
    with pytest.raises(AuthExpired, match="invalid_grant"):
        provider().exchange_code("code-1", "https://keryx.test/cb/")


@respx.mock(assert_all_mocked=True)
def test_refresh_keeps_the_refresh_token(respx_mock) -> None:
    KIT.route_refresh(respx_mock)
    p = provider()
    tokens = p.refresh()
    assert form(respx_mock.routes[0]) == {"grant_type": "refresh_token",
                                          "refresh_token": "reddit-rt"}
    assert tokens.refresh_token == "reddit-rt"
    assert p.credentials["access_token"] == "eyJhbGciOiJSUzI1NiJ9.refreshed"
