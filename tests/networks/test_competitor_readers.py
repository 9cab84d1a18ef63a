"""The competitor readers (public accounts) against recorded responses (respx). Bluesky's are
shaped after the lexicons as shipped in @atproto/pds 0.5.35 (app.bsky.actor.getProfile ->
#profileViewDetailed; app.bsky.feed.getAuthorFeed -> {cursor, feed: [#feedViewPost]} with a
`reason` on reposts and pins), Mastodon's after the Account and Status entities. The same
readers run against the real servers in tests/test_competitors_mastodon.py and
tests/test_competitors_bluesky_appview.py."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from keryx.networks.base import Disconnected, ProviderContext, RateLimited
from keryx.networks.bluesky import BlueskyProvider
from keryx.networks.community import AccountNotFound, BadHandle, PublicAccount
from keryx.networks.mastodon import MastodonProvider
from keryx.networks.registry import capabilities

PDS = "https://pds.keryx.test"
MASTO = "https://masto.keryx.test"
OTHER = "https://other.keryx.test"
DID = "did:plc:rival123"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)


def bluesky() -> BlueskyProvider:
    return BlueskyProvider(ProviderContext(
        credentials={"identifier": "keryx.test", "app_password": "x", "access_jwt": "jwt",
                     "refresh_jwt": "r", "did": "did:plc:me", "handle": "keryx.test"},
        settings={"service": PDS}, allow_private=("pds.keryx.test",)))


def mastodon() -> MastodonProvider:
    return MastodonProvider(ProviderContext(
        credentials={"access_token": "t"},
        settings={"instance": MASTO, "domain": "masto.keryx.test"},
        allow_private=("masto.keryx.test", "other.keryx.test")))


def profile(**extra: object) -> dict:
    return {"did": DID, "handle": "rival.bsky.social", "displayName": "Ο Αντίπαλος",
            "followersCount": 1200, "followsCount": 80, "postsCount": 345,
            "indexedAt": "2026-12-01T09:00:00.000Z", **extra}


def post_view(rkey: str, created: str, *, author: str = DID, reply: bool = False,
              **counts: int) -> dict:
    record: dict = {"$type": "app.bsky.feed.post", "text": "γεια", "createdAt": created}
    if reply:
        ref = {"uri": f"at://{author}/app.bsky.feed.post/root", "cid": "c"}
        record["reply"] = {"root": ref, "parent": ref}
    return {"uri": f"at://{author}/app.bsky.feed.post/{rkey}", "cid": f"cid{rkey}",
            "author": {"did": author, "handle": "rival.bsky.social"}, "record": record,
            "indexedAt": created, **counts}


def test_both_networks_declare_competitors() -> None:
    assert capabilities("mastodon").competitors and capabilities("bluesky").competitors
    assert not capabilities("x").competitors


@respx.mock
def test_bluesky_profile_counts_and_upper_case_handle() -> None:
    route = respx.get(f"{PDS}/xrpc/app.bsky.actor.getProfile").respond(json=profile())
    account = bluesky().public_account("@Rival.BSKY.social")
    # Handles are case-insensitive: asked for in lower case.
    assert route.calls.last.request.url.params["actor"] == "rival.bsky.social"
    assert route.calls.last.request.headers["authorization"] == "Bearer jwt"
    assert account.ref == DID and account.handle == "rival.bsky.social"
    assert (account.followers, account.following, account.posts) == (1200, 80, 345)
    assert account.display_name == "Ο Αντίπαλος"


@respx.mock
def test_bluesky_absent_counts_are_none_not_zero() -> None:
    body = profile()
    del body["followersCount"]
    respx.get(f"{PDS}/xrpc/app.bsky.actor.getProfile").respond(json=body)
    assert bluesky().public_account(DID).followers is None


@respx.mock
def test_bluesky_greek_domain_handle_goes_as_punycode() -> None:
    route = respx.get(f"{PDS}/xrpc/app.bsky.actor.getProfile").respond(
        json=profile(handle="xn--hxakic4aa.gr"))
    bluesky().public_account("Ελλάδα.gr")
    assert route.calls.last.request.url.params["actor"] == "xn--hxakic4aa.gr"


def test_bluesky_greek_name_that_is_no_domain_is_refused_before_asking() -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(f"{PDS}/xrpc/app.bsky.actor.getProfile")
        with pytest.raises(BadHandle, match="a handle is a domain name"):
            bluesky().public_account("Γιάννης")
        assert not route.called


@respx.mock
@pytest.mark.parametrize("error,message", [
    ("InvalidRequest", "Profile not found"),
    ("AccountDeactivated", "Account is deactivated"),
    ("AccountTakedown", "Account has been suspended"),
])
def test_bluesky_unknown_or_deleted_account(error: str, message: str) -> None:
    respx.get(f"{PDS}/xrpc/app.bsky.actor.getProfile").respond(
        400, json={"error": error, "message": message})
    with pytest.raises(AccountNotFound, match=message):
        bluesky().public_account("nobody.bsky.social")


@respx.mock
def test_bluesky_rate_limit_says_when() -> None:
    reset = int(datetime.now(UTC).timestamp()) + 120
    respx.get(f"{PDS}/xrpc/app.bsky.actor.getProfile").respond(
        429, json={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        headers={"ratelimit-reset": str(reset)})
    with pytest.raises(RateLimited) as raised:
        bluesky().public_account("rival.bsky.social")
    assert 100 < (raised.value.retry_after or 0) <= 120


@respx.mock
def test_bluesky_author_feed_own_top_level_posts_only() -> None:
    account = PublicAccount(ref=DID, handle="rival.bsky.social")
    page1 = {"cursor": "next", "feed": [
        {"post": post_view("p3", "2026-11-20T10:00:00.000Z", likeCount=10, replyCount=2,
                           repostCount=3, quoteCount=1, bookmarkCount=4)},
        # A repost of someone else's post, shown in the author's feed: not theirs.
        {"post": post_view("x1", "2026-11-19T10:00:00.000Z", author="did:plc:other",
                           likeCount=999),
         "reason": {"$type": "app.bsky.feed.defs#reasonRepost",
                    "by": {"did": DID, "handle": "rival.bsky.social"},
                    "indexedAt": "2026-11-19T11:00:00.000Z"}},
        {"post": post_view("r1", "2026-11-18T10:00:00.000Z", reply=True, likeCount=7)},
    ]}
    page2 = {"feed": [
        {"post": post_view("p2", "2026-11-10T10:00:00.000Z", likeCount=1)},
        {"post": post_view("p1", "2026-10-01T10:00:00.000Z", likeCount=50)},  # before since
    ]}
    route = respx.get(f"{PDS}/xrpc/app.bsky.feed.getAuthorFeed").mock(side_effect=[
        httpx.Response(200, json=page1), httpx.Response(200, json=page2)])
    posts = bluesky().public_posts(account, SINCE)
    first = route.calls[0].request.url.params
    assert (first["actor"], first["filter"], first["limit"]) == (DID, "posts_no_replies", "100")
    assert route.calls[1].request.url.params["cursor"] == "next"
    assert [p.remote_id.rsplit("/", 1)[-1] for p in posts] == ["p3", "p2"]
    top = posts[0]
    assert (top.likes, top.comments, top.shares, top.quotes, top.saves) == (10, 2, 3, 1, 4)
    assert top.url == "https://bsky.app/profile/rival.bsky.social/post/p3"
    assert posts[1].comments is None  # not given: unknown, not 0


def account_json(**extra: object) -> dict:
    return {"id": "109", "username": "rival", "acct": "rival", "display_name": "Rival",
            "url": f"{MASTO}/@rival", "followers_count": 30, "following_count": 4,
            "statuses_count": 12, **extra}


@respx.mock
def test_mastodon_account_on_the_channels_server_is_read_there_with_its_token() -> None:
    route = respx.get(f"{MASTO}/api/v1/accounts/lookup").respond(json=account_json())
    for typed in ("@rival", "rival@masto.keryx.test", "https://masto.keryx.test/@rival"):
        account = mastodon().public_account(typed)
        assert route.calls.last.request.url.params["acct"] == "rival"
        assert route.calls.last.request.headers["authorization"] == "Bearer t"
        assert account.ref == "rival@masto.keryx.test"
        assert account.handle == "@rival@masto.keryx.test"
        assert (account.followers, account.following, account.posts) == (30, 4, 12)


@respx.mock
def test_mastodon_remote_account_is_read_on_its_home_server_without_a_token() -> None:
    route = respx.get(f"{OTHER}/api/v1/accounts/lookup").respond(
        json=account_json(url=f"{OTHER}/@rival"))
    account = mastodon().public_account("@rival@Other.Keryx.Test")
    assert route.calls.last.request.url.params["acct"] == "rival"
    assert "authorization" not in route.calls.last.request.headers
    assert account.ref == "rival@other.keryx.test" and account.raw["server"] == \
        "other.keryx.test"


@respx.mock
def test_mastodon_home_server_wanting_a_token_is_asked_through_the_channels_server() -> None:
    respx.get(f"{OTHER}/api/v1/accounts/lookup").respond(
        401, json={"error": "This API requires an authenticated user"})
    local = respx.get(f"{MASTO}/api/v1/accounts/lookup").respond(
        json=account_json(id="55", acct="rival@other.keryx.test"))
    statuses = respx.get(f"{MASTO}/api/v1/accounts/55/statuses").respond(json=[])
    provider = mastodon()
    account = provider.public_account("@rival@other.keryx.test")
    assert local.calls.last.request.url.params["acct"] == "rival@other.keryx.test"
    assert account.raw == {"id": "55", "server": ""}
    # Its posts are then read where its id is known.
    assert provider.public_posts(account, SINCE) == [] and statuses.called


@respx.mock
def test_mastodon_user_names_compare_without_case() -> None:
    route = respx.get(f"{MASTO}/api/v1/accounts/lookup").mock(side_effect=[
        httpx.Response(404, json={"error": "Record not found"}),
        httpx.Response(200, json=account_json())])
    account = mastodon().public_account("@Rival")
    assert [c.request.url.params["acct"] for c in route.calls] == ["Rival", "rival"]
    assert account.handle == "@rival@masto.keryx.test"


@respx.mock
def test_mastodon_unknown_and_suspended_accounts() -> None:
    respx.get(f"{MASTO}/api/v1/accounts/lookup", params={"acct": "nobody"}).respond(
        404, json={"error": "Record not found"})
    with pytest.raises(AccountNotFound, match="no account @nobody@masto.keryx.test"):
        mastodon().public_account("@nobody")
    respx.get(f"{MASTO}/api/v1/accounts/lookup", params={"acct": "gone"}).respond(
        410, json={"error": "Gone"})
    with pytest.raises(AccountNotFound, match="suspended or deleted"):
        mastodon().public_account("@gone")
    respx.get(f"{MASTO}/api/v1/accounts/lookup", params={"acct": "banned"}).respond(
        json=account_json(username="banned", suspended=True))
    with pytest.raises(AccountNotFound, match="suspended"):
        mastodon().public_account("@banned")


def test_mastodon_private_address_is_refused_without_asking() -> None:
    with respx.mock(assert_all_called=False) as mock:
        anything = mock.route()
        for typed in ("@rival@10.1.2.3", "@rival@169.254.169.254"):
            with pytest.raises(Disconnected, match="private or local address"):
                mastodon().public_account(typed)
        assert not anything.called


def test_mastodon_greek_user_name_is_refused() -> None:
    with pytest.raises(BadHandle, match="only the letters a–z"):
        mastodon().public_account("@Γιάννης@mastodon.social")


@respx.mock
def test_mastodon_rate_limit_says_when() -> None:
    respx.get(f"{MASTO}/api/v1/accounts/lookup").respond(
        429, json={"error": "Too many requests"}, headers={"Retry-After": "90"})
    with pytest.raises(RateLimited) as raised:
        mastodon().public_account("@rival")
    assert raised.value.retry_after == 90


@respx.mock
def test_mastodon_statuses_without_replies_and_reblogs() -> None:
    account = PublicAccount(ref="rival@masto.keryx.test", handle="@rival@masto.keryx.test",
                            raw={"id": "109", "server": ""})

    def status(sid: str, created: str, **extra: object) -> dict:
        return {"id": sid, "created_at": created, "url": f"{MASTO}/@rival/{sid}",
                "visibility": "public", "favourites_count": 5, "replies_count": 1,
                "reblogs_count": 2, "in_reply_to_id": None, "reblog": None, **extra}

    route = respx.get(f"{MASTO}/api/v1/accounts/109/statuses").mock(side_effect=[
        httpx.Response(200, json=[
            status("3", "2026-11-20T10:00:00.000Z", quotes_count=1),
            status("2", "2026-11-15T10:00:00.000Z", visibility="private"),
        ]),
        httpx.Response(200, json=[status("1", "2026-10-15T10:00:00.000Z")]),
    ])
    posts = mastodon().public_posts(account, SINCE)
    params = route.calls[0].request.url.params
    assert (params["exclude_replies"], params["exclude_reblogs"]) == ("true", "true")
    assert route.calls[1].request.url.params["max_id"] == "2"
    assert [p.remote_id for p in posts] == ["3"]
    assert (posts[0].likes, posts[0].comments, posts[0].shares, posts[0].quotes,
            posts[0].saves) == (5, 1, 2, 1, None)
