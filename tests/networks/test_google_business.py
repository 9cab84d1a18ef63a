"""Google Business Profile at the HTTP seam: the requests sent (URL, bearer token, JSON body,
token form) and the documented answers replayed (tests/networks/fixtures/google_business/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from keryx.networks import oauth2
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
from keryx.networks.google_business import (
    GOOGLE_TOKEN_URL,
    GoogleBusinessProvider,
    split_location,
)
from tests.networks.contract import jpeg
from tests.networks.kits.google_business import (
    ACCOUNT,
    API,
    LOCATION,
    PARENT,
    POSTS,
    PUBLIC_IMAGE,
    TOKEN_HOST,
    fixture,
    local_post,
)

HOSTS = ("mybusiness.googleapis.com", "oauth2.googleapis.com",
         "mybusinessbusinessinformation.googleapis.com")


def provider(api_base: str = API, oauth_base: str = TOKEN_HOST,
             **credentials: Any) -> GoogleBusinessProvider:
    return GoogleBusinessProvider(ProviderContext(
        credentials={"access_token": "ya29.old", "refresh_token": "1//0g-refresh",
                     **credentials},
        settings={"account_id": ACCOUNT, "location": PARENT,
                  "maps_uri": "https://maps.google.com/maps?cid=1"},
        timeout=5.0, allow_private=HOSTS, api_base=api_base, oauth_base=oauth_base,
        client_id="cid.apps.googleusercontent.com", client_secret="shh",
    ))


def mock() -> respx.MockRouter:
    return respx.mock(assert_all_called=True, assert_all_mocked=True)


def request(text: str = "Fresh bread today", media: tuple[MediaItem, ...] = (),
            scheduled_at: datetime | None = None, **options: Any) -> PublishRequest:
    return PublishRequest(text=text, media=media, idempotency_key="k",
                          scheduled_at=scheduled_at, options=options)


# -- connecting -------------------------------------------------------------------------------


@pytest.mark.parametrize("account,location", [
    (ACCOUNT, LOCATION), (f"accounts/{ACCOUNT}", f"locations/{LOCATION}"), ("", PARENT),
])
def test_location_forms(account: str, location: str) -> None:
    assert split_location(account, location) == (ACCOUNT, LOCATION)


@pytest.mark.parametrize("account,location", [("", LOCATION), (ACCOUNT, "my café"), ("", "")])
def test_location_refused(account: str, location: str) -> None:
    with pytest.raises(ValueError):
        split_location(account, location)


def test_verify_reads_the_location_and_checks_post_access() -> None:
    with mock() as router:
        info_route = router.get(f"{API}/v1/locations/{LOCATION}").respond(
            200, json=fixture("location")
        )
        posts = router.get(POSTS).respond(200, json=fixture("localPosts_empty"))
        info = provider().verify()
    sent = info_route.calls.last.request
    assert sent.headers["authorization"] == "Bearer ya29.old"
    assert sent.url.params["readMask"] == "name,title,metadata"
    assert posts.calls.last.request.url.params["pageSize"] == "1"
    assert info.remote_id == PARENT
    assert info.display_name == "Keryx Café"
    assert info.url.startswith("https://maps.google.com/")
    assert info.settings["location"] == PARENT and info.settings["account_id"] == ACCOUNT


def test_verify_uses_the_business_information_host_by_default() -> None:
    p = provider(api_base="")
    with mock() as router:
        router.get(
            f"https://mybusinessbusinessinformation.googleapis.com/v1/locations/{LOCATION}"
        ).respond(200, json=fixture("location"))
        router.get(f"https://mybusiness.googleapis.com/v4/{PARENT}/localPosts").respond(
            200, json={}
        )
        assert p.verify().handle == "Keryx Café"


def test_verify_without_permission_disconnects() -> None:
    with mock() as router:
        router.get(f"{API}/v1/locations/{LOCATION}").respond(403, json=fixture("error_403"))
        with pytest.raises(Disconnected, match="does not have permission"):
            provider().verify()


# -- validation -------------------------------------------------------------------------------


def test_summary_limit_and_media_rules(tmp_path) -> None:
    p = provider()
    image = jpeg(tmp_path)
    assert p.validate(request("x" * 1500, (image,), media_urls=[PUBLIC_IMAGE])) == []
    assert [x.code for x in p.validate(request("x" * 1501))] == ["text_too_long"]
    assert p.validate(request("😀" * 751))[0].params == {"count": 1502, "limit": 1500}
    codes = [x.code for x in p.validate(request("x", (image, image),
                                                media_urls=[PUBLIC_IMAGE] * 2))]
    assert codes == ["too_many_media"]
    webp = MediaItem(path="a.webp", mime_type="image/webp", size=10, width=800, height=800)
    assert [x.code for x in p.validate(request("x", (webp,), media_urls=[PUBLIC_IMAGE]))] == [
        "media_type"
    ]
    small = MediaItem(path="s.jpg", mime_type="image/jpeg", size=10, width=200, height=900)
    assert [x.code for x in p.validate(request("x", (small,), media_urls=[PUBLIC_IMAGE]))] == [
        "media_dimensions"
    ]


@pytest.mark.parametrize("urls", [[], ["http://keryx.example.org/a.jpg"],
                                  ["https://127.0.0.1:8000/media/a.jpg"],
                                  ["https://localhost/a.jpg"]])
def test_a_photo_needs_a_public_https_url(urls, tmp_path) -> None:
    problems = provider().validate(request("x", (jpeg(tmp_path),), media_urls=urls))
    assert [x.code for x in problems] == ["media_not_public"]
    assert "KERYX_BASE_URL" in problems[0].message


def test_topic_and_button_rules() -> None:
    p = provider()
    codes = [x.code for x in p.validate(request("x", topic_type="EVENT"))]
    assert codes == ["event_required"]
    event = {"title": "t" * 59, "schedule": {"startDate": {"year": 2026, "month": 1, "day": 2}}}
    codes = [x.code for x in p.validate(request("x", topic_type="OFFER", event=event))]
    assert codes == ["event_title_too_long"]
    assert [x.code for x in p.validate(request("x", topic_type="ALERT"))] == ["topic_type"]
    bad = {"actionType": "LEARN_MORE"}
    assert [x.code for x in p.validate(request("x", call_to_action=bad))] == ["call_to_action"]
    assert p.validate(request("x", call_to_action={"actionType": "CALL"})) == []


# -- publishing -------------------------------------------------------------------------------


def test_publish_sends_a_local_post(tmp_path) -> None:
    with mock() as router:
        route = router.post(POSTS).respond(200, json=local_post("Fresh bread today"))
        result = provider().publish(request(
            "Fresh bread today", (jpeg(tmp_path),), media_urls=[PUBLIC_IMAGE], language="el",
            call_to_action={"actionType": "learn_more", "url": "https://example.org/menu"},
        ))
    sent = route.calls.last.request
    assert sent.headers["authorization"] == "Bearer ya29.old"
    assert json.loads(sent.content) == {
        "topicType": "STANDARD",
        "summary": "Fresh bread today",
        "languageCode": "el",
        "callToAction": {"actionType": "LEARN_MORE", "url": "https://example.org/menu"},
        "media": [{"mediaFormat": "PHOTO", "sourceUrl": PUBLIC_IMAGE}],
    }
    assert result.remote_id == "1122334455667788990"
    assert result.url.startswith("https://local.google.com/place?")
    assert result.published_at == datetime(2026, 1, 1, 9, 0, 0, 123456, tzinfo=UTC)


def test_an_event_post_carries_its_event() -> None:
    event = {"title": "Tasting night", "schedule": {
        "startDate": {"year": 2026, "month": 3, "day": 1}, "endDate": {"year": 2026, "month": 3,
                                                                       "day": 1}}}
    with mock() as router:
        route = router.post(POSTS).respond(200, json=local_post("Come!"))
        provider().publish(request("Come!", topic_type="EVENT", event=event))
    body = json.loads(route.calls.last.request.content)
    assert body["topicType"] == "EVENT" and body["event"] == event


def test_a_rejected_post_is_bad_content() -> None:
    post = local_post("x")
    post["state"] = "REJECTED"
    with mock() as router:
        router.post(POSTS).respond(200, json=post)
        with pytest.raises(BadContent, match="rejected"):
            provider().publish(request("x"))


def test_a_post_still_processing_links_to_the_business() -> None:
    post = local_post("x")
    post["state"] = "PROCESSING"
    del post["searchUrl"]
    with mock() as router:
        router.post(POSTS).respond(200, json=post)
        assert provider().publish(request("x")).url == "https://maps.google.com/maps?cid=1"


# -- errors -----------------------------------------------------------------------------------


def test_rate_limit_reads_google_retry_info() -> None:
    with mock() as router:
        router.post(POSTS).respond(429, json=fixture("error_429"))
        with pytest.raises(RateLimited) as caught:
            provider().publish(request())
    assert caught.value.retry_after == 42
    assert "Quota exceeded" in caught.value.message


def test_rate_limit_without_a_hint_waits_a_minute() -> None:
    with mock() as router:
        router.post(POSTS).respond(429, json={"error": {"code": 429, "message": "Slow down",
                                                        "status": "RESOURCE_EXHAUSTED"}})
        with pytest.raises(RateLimited) as caught:
            provider().publish(request())
    assert caught.value.retry_after == 60


@pytest.mark.parametrize("status,name,expected,words", [
    (401, "error_401", AuthExpired, "invalid authentication credentials"),
    (403, "error_403", Disconnected, "does not have permission"),
    (400, "error_400", BadContent, "call_to_action.url: Invalid URL"),
    (503, "error_503", Transient, "currently unavailable"),
    (500, "error_500", OutcomeUnknown, "Internal error"),
])
def test_errors_are_classified_with_googles_words(status, name, expected, words) -> None:
    with mock() as router:
        router.post(POSTS).respond(status, json=fixture(name))
        with pytest.raises(expected) as caught:
            provider().publish(request())
    assert words in caught.value.message


# -- reconciling and deleting -------------------------------------------------------------------


def test_lookup_pages_back_to_the_scheduled_time() -> None:
    now = datetime.now(UTC)
    first = {"localPosts": [local_post("Other", now, "1")], "nextPageToken": "p2"}
    second = {"localPosts": [local_post("Fresh bread today", now - timedelta(minutes=1), "2")]}
    with mock() as router:
        route = router.get(POSTS).mock(side_effect=[
            httpx.Response(200, json=first), httpx.Response(200, json=second),
        ])
        found = provider().lookup(request("Fresh  bread today", scheduled_at=now))
    assert found is not None and found.remote_id == "2"
    assert route.calls[0].request.url.params["pageSize"] == "100"
    assert route.calls[1].request.url.params["pageToken"] == "p2"


def test_lookup_stops_at_posts_older_than_the_schedule() -> None:
    now = datetime.now(UTC)
    old = now - timedelta(days=2)
    page = {"localPosts": [local_post("Fresh bread today", old, "3")], "nextPageToken": "more"}
    with mock() as router:
        route = router.get(POSTS).respond(200, json=page)
        assert provider().lookup(request("Fresh bread today", scheduled_at=now)) is None
    # The same text two days ago is another post; the older page was not read further.
    assert route.call_count == 1


def test_lookup_that_cannot_reach_the_bound_does_not_guess() -> None:
    now = datetime.now(UTC)
    page = {"localPosts": [local_post("Other", now, "4")], "nextPageToken": "more"}
    with mock() as router:
        router.get(POSTS).respond(200, json=page)
        with pytest.raises(Transient):
            provider().lookup(request("Fresh bread today", scheduled_at=now))


def test_delete() -> None:
    with mock() as router:
        route = router.delete(f"{POSTS}/1122").respond(200, json={})
        provider().delete("1122")
        assert route.called
    with mock() as router:
        router.delete(f"{POSTS}/1122").respond(404, json={"error": {
            "code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}})
        provider().delete("1122")


# -- OAuth ------------------------------------------------------------------------------------


def test_authorize_url_asks_for_offline_access_with_pkce() -> None:
    spec = GoogleBusinessProvider.oauth
    verifier, challenge = oauth2.pkce_pair()
    url = oauth2.authorize_url(spec, GoogleBusinessProvider.default_oauth_base, "cid",
                               "https://keryx.example.org/channels/oauth/google_business/"
                               "callback/", "st4te", challenge)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://accounts.google.com/o/oauth2/v2/auth"
    )
    assert query["scope"] == "https://www.googleapis.com/auth/business.manage"
    assert query["access_type"] == "offline" and query["prompt"] == "consent"
    assert query["code_challenge"] == challenge and query["code_challenge_method"] == "S256"
    assert query["state"] == "st4te"


def test_exchange_code_posts_the_verifier_to_googles_token_endpoint() -> None:
    with mock() as router:
        route = router.post(GOOGLE_TOKEN_URL).respond(200, json=fixture("token_exchange"))
        tokens = provider(oauth_base="").exchange_code("4/0code", "https://k/cb/", "verif")
    form = {k: v[0] for k, v in parse_qs(route.calls.last.request.content.decode()).items()}
    assert form == {"grant_type": "authorization_code", "code": "4/0code",
                    "redirect_uri": "https://k/cb/", "code_verifier": "verif",
                    "client_id": "cid.apps.googleusercontent.com", "client_secret": "shh"}
    assert tokens.refresh_token == "1//0gFake-refresh-token"
    assert tokens.expires_at is not None


def test_refresh_keeps_the_refresh_token_google_does_not_rotate() -> None:
    with mock() as router:
        route = router.post(f"{TOKEN_HOST}/token").respond(200, json=fixture("token_refresh"))
        tokens = provider().refresh()
    form = parse_qs(route.calls.last.request.content.decode())
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["1//0g-refresh"]
    assert tokens.access_token == "ya29.a0AfB_new-access-token"
    assert tokens.refresh_token == "1//0g-refresh"
    expires = tokens.expires_at
    assert expires is not None and expires - datetime.now(UTC) > timedelta(minutes=55)


def test_refresh_refused_means_reconnect() -> None:
    with mock() as router:
        router.post(f"{TOKEN_HOST}/token").respond(400, json=fixture("error_invalid_grant"))
        with pytest.raises(AuthExpired, match="expired or revoked"):
            provider().refresh()
