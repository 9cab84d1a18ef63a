"""Bluesky's counts for analytics, read from the AppView through the account's PDS (the PDS
proxies app.bsky.* queries to it).

Post: app.bsky.feed.getPosts -> postView likeCount, replyCount, repostCount, quoteCount and
bookmarkCount (all optional in the lexicon: absent means None, never 0). Account:
app.bsky.actor.getProfile -> profileViewDetailed followersCount, followsCount, postsCount.
Bluesky has no impressions, reach, link clicks or video views: None.

A post the AppView does not return is either deleted or not indexed yet (indexing is
asynchronous): the PDS's own record tells which.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from keryx.networks.base import MissingPermission, Transient
from keryx.networks.community import ChannelMetrics, PostGone, PostMetrics, RecentPost
from keryx.networks.http import error_message, raise_for_status

# (method, nsid, **kwargs) -> response: the provider's authenticated XRPC call to its PDS.
Call = Callable[..., httpx.Response]

GET_POSTS = "app.bsky.feed.getPosts"
GET_PROFILE = "app.bsky.actor.getProfile"
GET_RECORD = "com.atproto.repo.getRecord"


def count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def post_metrics_from_view(view: dict[str, Any]) -> PostMetrics:
    """app.bsky.feed.defs#postView -> PostMetrics. Reposts are shares; quotes stay apart."""
    return PostMetrics(
        likes=count(view.get("likeCount")),
        comments=count(view.get("replyCount")),
        shares=count(view.get("repostCount")),
        quotes=count(view.get("quoteCount")),
        saves=count(view.get("bookmarkCount")),
        raw={key: view.get(key) for key in
             ("uri", "cid", "likeCount", "replyCount", "repostCount", "quoteCount",
              "bookmarkCount", "indexedAt") if key in view},
    )


def channel_metrics_from_profile(profile: dict[str, Any]) -> ChannelMetrics:
    """app.bsky.actor.defs#profileViewDetailed -> ChannelMetrics."""
    return ChannelMetrics(
        followers=count(profile.get("followersCount")),
        following=count(profile.get("followsCount")),
        posts=count(profile.get("postsCount")),
        raw={key: profile.get(key) for key in
             ("did", "handle", "followersCount", "followsCount", "postsCount") if key in profile},
    )


def _check(response: httpx.Response, nsid: str) -> dict[str, Any]:
    if response.status_code == 403:
        raise MissingPermission(
            f"Bluesky refused {nsid} ({error_message(response)}): the app password or grant "
            f"lacks permission for it (rpc:{nsid}).",
            permission=f"rpc:{nsid}", status=403,
        )
    raise_for_status(response, sent_unsafe=False)
    try:
        body = response.json()
    except ValueError as exc:
        raise Transient(f"{nsid} answered something that is not JSON.") from exc
    if not isinstance(body, dict):
        raise Transient(f"{nsid} answered something that is not a JSON object.")
    return body


def split_uri(uri: str) -> tuple[str, str, str]:
    """at://did/collection/rkey -> (did, collection, rkey); ValueError otherwise."""
    parts = uri.removeprefix("at://").split("/") if uri.startswith("at://") else []
    if len(parts) != 3:
        raise ValueError(f"Not a record URI: {uri!r}")
    return parts[0], parts[1], parts[2]


def fetch_post_metrics(call: Call, uri: str) -> PostMetrics | PostGone:
    body = _check(call("GET", GET_POSTS, params={"uris": uri}, check_status=False), GET_POSTS)
    for view in body.get("posts") or []:
        if isinstance(view, dict) and view.get("uri") == uri:
            return post_metrics_from_view(view)
    repo, collection, rkey = split_uri(uri)
    record = call("GET", GET_RECORD, params={"repo": repo, "collection": collection,
                                             "rkey": rkey}, check_status=False)
    if record.status_code == 404 or (
            record.status_code == 400 and "RecordNotFound" in record.text):
        return PostGone(uri, "The post is no longer in the account's repository.")
    raise_for_status(record, sent_unsafe=False)
    raise Transient("The Bluesky AppView has not indexed this post yet; trying again later.")


def fetch_channel_metrics(call: Call, did: str) -> ChannelMetrics:
    body = _check(call("GET", GET_PROFILE, params={"actor": did}, check_status=False),
                  GET_PROFILE)
    return channel_metrics_from_profile(body)


LIST_RECORDS = "com.atproto.repo.listRecords"
POST_COLLECTION = "app.bsky.feed.post"
PAGE_SIZE = 100  # listRecords' maximum
MAX_PAGES = 20


def _created(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def list_recent_posts(call: Call, did: str, handle: str, since: datetime) -> list[RecentPost]:
    """The account's posts since `since` from its own repository (the PDS, no AppView needed):
    com.atproto.repo.listRecords, newest first; replies left out (a record with `reply`)."""
    found: list[RecentPost] = []
    params: dict[str, Any] = {"repo": did, "collection": POST_COLLECTION, "limit": PAGE_SIZE}
    for _page in range(MAX_PAGES):
        body = _check(call("GET", LIST_RECORDS, params=params, check_status=False),
                      LIST_RECORDS)
        records = body.get("records") or []
        for record in records:
            value = record.get("value") or {}
            created = _created(value.get("createdAt"))
            if created is None or value.get("reply"):
                continue
            if created < since:
                return found
            rkey = str(record.get("uri", "")).rsplit("/", 1)[-1]
            found.append(RecentPost(str(record["uri"]),
                                    f"https://bsky.app/profile/{handle or did}/post/{rkey}",
                                    created, str(value.get("text") or "")))
        cursor = body.get("cursor")
        if not cursor or not records:
            break
        params["cursor"] = cursor
    return found
