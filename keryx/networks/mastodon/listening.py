"""Mastodon listening: hashtag timelines (/api/v1/timelines/tag/:tag) and status search
(/api/v2/search?type=statuses) through the workspace's connected account; and, on servers the
user names without an account there, their public hashtag timelines (Mastodon serves those
without a token; status search needs a signed-in account). Only public statuses become results
(unlisted, followers-only and direct ones are dropped, counted)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from keryx.networks.base import MissingPermission, RateLimited, Transient
from keryx.networks.listening import (
    Found,
    ListenPage,
    ListenRequest,
    QueryRefused,
    SearchUnavailable,
)
from keryx.networks.mastodon.content import html_to_text
from keryx.networks.mastodon.server import json_body
from keryx.networks.mastodon.statuses import MastodonStatuses

# Per run: at most this many hashtag timelines and this many searches (one per term).
MAX_TAGS = 5
MAX_SEARCHES = 5
MAX_TERM = 200


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def compile_query(query: Any) -> tuple[list[str], list[str]]:
    """(hashtags to read timelines of, search strings) for a parsed query's positive terms.
    One request per term (OR of terms = union); AND, NOT and phrases are applied by the local
    re-check of every status found."""
    tags: list[str] = []
    searches: list[str] = []
    for term in query.positive_terms():
        if term.kind == "hashtag":
            tags.append(term.value.lower())
        elif term.kind == "mention":
            searches.append("@" + term.value)
        elif term.kind == "phrase":
            # Sent as its words (not every server takes quotes); the local re-check keeps
            # only the statuses with the exact phrase.
            searches.append(term.value)
        else:
            searches.append(term.value)
    for text in searches:
        if len(text) > MAX_TERM:
            raise QueryRefused(f"Mastodon's search takes terms of at most {MAX_TERM} characters; "
                               f"this one is longer: {text[:40]}…", text)
    return list(dict.fromkeys(tags))[:MAX_TAGS], list(dict.fromkeys(searches))[:MAX_SEARCHES]


class MastodonListening(MastodonStatuses):
    def _listen_get(self, path: str, params: dict[str, Any]) -> Any:
        response = self._call("GET", path, params=params)
        if response.status_code in (401, 403):
            raise MissingPermission(f"The server refused {path} ({response.status_code}).",
                                    "read:statuses")
        if response.status_code in (404, 501, 503) and "search" in path:
            raise SearchUnavailable(
                f"This server's status search is unavailable ({response.status_code}); "
                "hashtags still work.")
        if response.status_code == 422:
            raise QueryRefused(f"The server refused the query {params.get('q', '')!r}.",
                               str(params.get("q", "")))
        if response.status_code == 429:
            raise RateLimited("The Mastodon server asks to slow down.", scope="channel")
        if response.status_code >= 400:
            raise Transient(f"The server answered {response.status_code} for {path}.")
        return json_body(response)

    @staticmethod
    def status_found(status: dict[str, Any]) -> Found:
        account = status.get("account") or {}
        return Found(
            remote_id=str(status.get("id")),  # the server's id: what a reply needs
            url=str(status.get("url") or status.get("uri") or ""),
            text=html_to_text(str(status.get("content") or "")).strip(),
            author_handle=str(account.get("acct") or ""),
            author_name=str(account.get("display_name") or ""),
            author_followers=account.get("followers_count")
            if isinstance(account.get("followers_count"), int) else None,
            language=str(status.get("language") or ""),
            published_at=_when(status.get("created_at")),
            hashtags=tuple(str(t.get("name", "")) for t in status.get("tags") or []),
            mentions=tuple(str(m.get("acct", "")) for m in status.get("mentions") or []),
            public=status.get("visibility") == "public",
        )

    def listen(self, request: ListenRequest) -> ListenPage:
        tags, searches = compile_query(request.query)
        try:
            since = json.loads(request.cursor) if request.cursor else {}
        except ValueError:
            since = {}
        page = ListenPage(requests=0)
        seen: dict[str, Found] = {}
        for tag in tags:
            params: dict[str, Any] = {"limit": str(request.limit)}
            if since.get("#" + tag):
                params["since_id"] = since["#" + tag]
            body = self._listen_get(f"/api/v1/timelines/tag/{quote(tag, safe='')}", params)
            page.requests += 1
            for status in body if isinstance(body, list) else []:
                if status.get("reblog"):
                    continue
                seen.setdefault(str(status.get("id")), self.status_found(status))
            if isinstance(body, list) and body:
                since["#" + tag] = str(max(body, key=lambda s: int(s["id"]) if str(
                    s.get("id", "")).isdigit() else 0)["id"])
        for text in searches:
            body = self._listen_get("/api/v2/search", {
                "q": text, "type": "statuses", "limit": str(request.limit),
                "resolve": "false"})
            page.requests += 1
            for status in (body or {}).get("statuses") or []:
                seen.setdefault(str(status.get("id")), self.status_found(status))
        page.items = list(seen.values())
        page.cursor = json.dumps(since)
        return page


def listen_public(base: str, request: ListenRequest, get: Callable[[str], bytes]) -> ListenPage:
    """The server's public timelines of the query's hashtags, without an account. `get` fetches
    a URL through the caller's private-address guard and returns the body. A query with words
    or phrases but no hashtag cannot be searched this way (SearchUnavailable says why)."""
    tags, searches = compile_query(request.query)
    if not tags:
        raise SearchUnavailable(
            "Without an account on this server only hashtags can be searched: add a hashtag, "
            "or connect a Mastodon channel on this server to search words.")
    try:
        since = json.loads(request.cursor) if request.cursor else {}
    except ValueError:
        since = {}
    page = ListenPage(requests=0)
    seen: dict[str, Found] = {}
    for tag in tags:
        params = {"limit": str(min(40, request.limit))}
        if since.get("#" + tag):
            params["since_id"] = since["#" + tag]
        body = get(f"{base}/api/v1/timelines/tag/{quote(tag, safe='')}?{urlencode(params)}")
        page.requests += 1
        try:
            statuses = json.loads(body)
        except ValueError as exc:
            raise Transient(f"{base} did not answer with Mastodon's JSON.") from exc
        if not isinstance(statuses, list):
            # A server that keeps its timelines for signed-in users answers with an error.
            raise SearchUnavailable(f"{base} does not show its hashtag timelines without an "
                                    "account: connect a Mastodon channel there.")
        for status in statuses:
            if isinstance(status, dict) and not status.get("reblog") and status.get("id"):
                seen.setdefault(str(status["id"]), MastodonListening.status_found(status))
        ids = [int(s["id"]) for s in statuses if str((s or {}).get("id", "")).isdigit()]
        if ids:
            since["#" + tag] = str(max(ids))
    page.items = list(seen.values())
    page.cursor = json.dumps(since)
    return page
