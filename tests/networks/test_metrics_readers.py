"""Mastodon's and Bluesky's metric readers against recorded responses (respx): the counts, None
for what a network does not give, 403 naming the permission, a deleted post as PostGone.
The Mastodon counts are also read from a real mastodon-mock in tests/test_analytics_e2e.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import respx

from keryx.networks.base import MissingPermission, ProviderContext, RateLimited, Transient
from keryx.networks.bluesky import BlueskyProvider
from keryx.networks.community import PostGone, PostMetrics
from keryx.networks.mastodon import MastodonProvider

FIXTURES = Path(__file__).parent / "fixtures" / "bluesky_metrics"
PDS = "https://pds.keryx.test"
URI = "at://did:plc:abc123/app.bsky.feed.post/3lbcdefghij22"
MASTO = "https://masto.keryx.test"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def bluesky() -> BlueskyProvider:
    return BlueskyProvider(ProviderContext(
        credentials={"identifier": "keryx.test", "app_password": "x", "access_jwt": "jwt",
                     "refresh_jwt": "r", "did": "did:plc:abc123", "handle": "keryx.test"},
        settings={"service": PDS}, allow_private=("pds.keryx.test",)))


def mastodon() -> MastodonProvider:
    return MastodonProvider(ProviderContext(
        credentials={"access_token": "t"}, settings={"instance": MASTO},
        allow_private=("masto.keryx.test",)))


@respx.mock
def test_bluesky_post_counts_from_get_posts() -> None:
    route = respx.get(f"{PDS}/xrpc/app.bsky.feed.getPosts").respond(
        json=fixture("getPosts.json"))
    metrics = bluesky().fetch_metrics(URI)
    assert route.calls.last.request.url.params["uris"] == URI
    assert route.calls.last.request.headers["authorization"] == "Bearer jwt"
    assert isinstance(metrics, PostMetrics)
    assert (metrics.likes, metrics.comments, metrics.shares, metrics.quotes, metrics.saves) == (
        11, 3, 4, 1, 2)
    # Bluesky gives no impressions, reach, clicks or video views: unknown, not 0.
    assert (metrics.impressions, metrics.reach, metrics.clicks, metrics.video_views) == (
        None, None, None, None)


@respx.mock
def test_bluesky_absent_counts_stay_none() -> None:
    view = {"uri": URI, "cid": "c", "likeCount": 5, "indexedAt": "2026-12-01T09:00:01.000Z"}
    respx.get(f"{PDS}/xrpc/app.bsky.feed.getPosts").respond(json={"posts": [view]})
    metrics = bluesky().fetch_metrics(URI)
    assert isinstance(metrics, PostMetrics)
    assert (metrics.likes, metrics.comments, metrics.saves) == (5, None, None)


@respx.mock
def test_bluesky_deleted_post_is_gone() -> None:
    respx.get(f"{PDS}/xrpc/app.bsky.feed.getPosts").respond(json={"posts": []})
    respx.get(f"{PDS}/xrpc/com.atproto.repo.getRecord").respond(
        400, json={"error": "RecordNotFound", "message": "Could not locate record"})
    result = bluesky().fetch_metrics(URI)
    assert isinstance(result, PostGone) and result.remote_id == URI


@respx.mock
def test_bluesky_post_not_indexed_yet_is_transient_not_gone() -> None:
    respx.get(f"{PDS}/xrpc/app.bsky.feed.getPosts").respond(json={"posts": []})
    respx.get(f"{PDS}/xrpc/com.atproto.repo.getRecord").respond(
        json={"uri": URI, "cid": "c", "value": {"text": "hi"}})
    with pytest.raises(Transient, match="not indexed"):
        bluesky().fetch_metrics(URI)


@respx.mock
def test_bluesky_403_names_the_permission() -> None:
    respx.get(f"{PDS}/xrpc/app.bsky.feed.getPosts").respond(
        403, json={"error": "InsufficientScope", "message": "Missing required scope"})
    with pytest.raises(MissingPermission) as caught:
        bluesky().fetch_metrics(URI)
    assert caught.value.permission == "rpc:app.bsky.feed.getPosts"
    assert "rpc:app.bsky.feed.getPosts" in caught.value.message


@respx.mock
def test_bluesky_profile_counts() -> None:
    route = respx.get(f"{PDS}/xrpc/app.bsky.actor.getProfile").respond(
        json=fixture("getProfile.json"))
    counts = bluesky().fetch_channel_metrics()
    assert route.calls.last.request.url.params["actor"] == "did:plc:abc123"
    assert (counts.followers, counts.following, counts.posts) == (120, 33, 58)


@respx.mock
def test_mastodon_403_names_the_scope() -> None:
    respx.get(f"{MASTO}/api/v1/statuses/1").respond(
        403, json={"error": "This action is outside the authorized scopes"})
    respx.get(f"{MASTO}/api/v1/accounts/verify_credentials").respond(
        403, json={"error": "This action is outside the authorized scopes"})
    with pytest.raises(MissingPermission) as caught:
        mastodon().fetch_metrics("1")
    assert caught.value.permission == "read:statuses"
    assert "read:statuses" in caught.value.message and "outside" in caught.value.message
    with pytest.raises(MissingPermission) as caught:
        mastodon().fetch_channel_metrics()
    assert caught.value.permission == "read:accounts"


@respx.mock
def test_mastodon_deleted_status_is_gone_and_absent_counts_are_none() -> None:
    respx.get(f"{MASTO}/api/v1/statuses/9").respond(404, json={"error": "Record not found"})
    assert isinstance(mastodon().fetch_metrics("9"), PostGone)
    respx.get(f"{MASTO}/api/v1/statuses/2").respond(json={
        "id": "2", "favourites_count": 7, "reblogs_count": 1, "replies_count": 0})
    metrics = mastodon().fetch_metrics("2")
    assert isinstance(metrics, PostMetrics)
    assert (metrics.likes, metrics.shares, metrics.comments) == (7, 1, 0)
    assert metrics.quotes is None and metrics.saves is None and metrics.impressions is None


def test_rate_limit_is_raised_as_such() -> None:
    with respx.mock:
        respx.get(f"{MASTO}/api/v1/statuses/3").respond(
            429, headers={"Retry-After": "30"}, json={"error": "Too many requests"})
        with pytest.raises(RateLimited) as caught:
            mastodon().fetch_metrics("3")
    assert caught.value.retry_after == 30.0
