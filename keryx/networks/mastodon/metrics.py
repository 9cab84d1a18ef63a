"""Mastodon's public counts for analytics: a status's favourites, reblogs, replies (and quotes on
servers that count them), and the account's followers, following and statuses.

Mastodon has no impressions, reach, link clicks or video views, and bookmarks are private to
whoever made them: those figures are None, never 0. Called through MastodonProvider's
fetch_metrics / fetch_channel_metrics with the provider's authenticated call.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from keryx.networks.base import MissingPermission, Transient
from keryx.networks.community import ChannelMetrics, PostGone, PostMetrics, RecentPost
from keryx.networks.http import error_message, raise_for_status
from keryx.networks.times import parse_iso_time

# (method, path, **kwargs) -> response: the provider's authenticated request to its server.
Call = Callable[..., httpx.Response]

# The OAuth scopes each read needs (Keryx asks for "read write", which covers both).
STATUS_SCOPE = "read:statuses"
ACCOUNT_SCOPE = "read:accounts"


def count(value: Any) -> int | None:
    """A count as the server gave it; None when it is absent or not a number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def post_metrics_from_status(status: dict[str, Any]) -> PostMetrics:
    return PostMetrics(
        likes=count(status.get("favourites_count")),
        comments=count(status.get("replies_count")),
        shares=count(status.get("reblogs_count")),
        quotes=count(status.get("quotes_count")),
        raw={key: status.get(key) for key in
             ("id", "favourites_count", "reblogs_count", "replies_count", "quotes_count")
             if key in status},
    )


def channel_metrics_from_account(account: dict[str, Any]) -> ChannelMetrics:
    return ChannelMetrics(
        followers=count(account.get("followers_count")),
        following=count(account.get("following_count")),
        posts=count(account.get("statuses_count")),
        raw={key: account.get(key) for key in
             ("id", "followers_count", "following_count", "statuses_count") if key in account},
    )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise Transient(f"The server answered {response.status_code} with something that "
                        "is not JSON.", status=response.status_code) from exc
    if not isinstance(body, dict):
        raise Transient("The server's answer is not a JSON object.")
    return body


def _refused(response: httpx.Response, scope: str, what: str) -> MissingPermission:
    return MissingPermission(
        f"Mastodon refused to show {what} ({error_message(response)}): the token lacks the "
        f"{scope} permission. Connect the channel again and allow it.",
        permission=scope, status=response.status_code,
    )


def fetch_post_metrics(call: Call, status_id: str) -> PostMetrics | PostGone:
    response = call("GET", f"/api/v1/statuses/{status_id}", check_status=False)
    if response.status_code in (404, 410):
        return PostGone(status_id, f"Mastodon no longer has this status "
                                   f"({error_message(response)}).")
    if response.status_code == 403:
        raise _refused(response, STATUS_SCOPE, "the status")
    raise_for_status(response, sent_unsafe=False)
    return post_metrics_from_status(_json(response))


def fetch_channel_metrics(call: Call) -> ChannelMetrics:
    response = call("GET", "/api/v1/accounts/verify_credentials", check_status=False)
    if response.status_code == 403:
        raise _refused(response, ACCOUNT_SCOPE, "the account's counts")
    raise_for_status(response, sent_unsafe=False)
    return channel_metrics_from_account(_json(response))


PAGE_SIZE = 40  # the API's maximum for an account's statuses
MAX_PAGES = 25


def list_recent_posts(call: Call, account_id: str, since: datetime,
                      html_to_text: Callable[[str], str]) -> list[RecentPost]:
    """The account's statuses since `since`, newest first, without replies and reblogs
    (GET /api/v1/accounts/:id/statuses, paged with max_id)."""
    found: list[RecentPost] = []
    params: dict[str, Any] = {"limit": PAGE_SIZE, "exclude_replies": "true",
                              "exclude_reblogs": "true"}
    for _page in range(MAX_PAGES):
        response = call("GET", f"/api/v1/accounts/{account_id}/statuses", params=params,
                        check_status=False)
        if response.status_code == 403:
            raise _refused(response, STATUS_SCOPE, "the account's statuses")
        raise_for_status(response, sent_unsafe=False)
        page = response.json()
        if not isinstance(page, list) or not page:
            break
        for status in page:
            created = parse_iso_time(status.get("created_at"))
            if created is None:
                continue
            if created < since:
                return found
            found.append(RecentPost(str(status["id"]), status.get("url") or status.get("uri")
                                    or "", created, html_to_text(status.get("content") or "")))
        params["max_id"] = str(page[-1]["id"])
    return found
