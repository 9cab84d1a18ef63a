"""Bluesky listening: app.bsky.feed.searchPosts (q, tag, mentions, domain, lang, since, sort=
latest, cursor) through the connected account's PDS, which proxies it to the AppView. One
request per positive term of the query (OR of terms = union); AND, NOT and exact phrases are
re-checked locally on every post found. Every post found is public (Bluesky has no other)."""

from __future__ import annotations

from typing import Any

from keryx.networks.base import MissingPermission, ProviderError
from keryx.networks.bluesky.richtext import plain_text
from keryx.networks.listening import (
    Found,
    ListenPage,
    ListenRequest,
    QueryRefused,
    SearchUnavailable,
)
from keryx.networks.times import parse_iso_time

SEARCH = "app.bsky.feed.searchPosts"
MAX_TERMS = 5
MAX_Q = 300  # characters of one q; longer ones are refused before asking


def compile_query(request: ListenRequest) -> list[dict[str, Any]]:
    """searchPosts parameter sets, one per positive term."""
    base: dict[str, Any] = {"sort": "latest", "limit": str(min(100, request.limit))}
    if len(request.languages) == 1:
        base["lang"] = request.languages[0]
    if request.since:
        base["since"] = request.since.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    for term in request.query.positive_terms()[:MAX_TERMS]:
        params = dict(base)
        if term.kind == "hashtag":
            params.update(q=f"#{term.value}", tag=term.value)
        elif term.kind == "mention":
            params.update(q=term.value, mentions=term.value)
        elif term.kind == "phrase":
            params["q"] = f'"{term.value}"'
        else:
            params["q"] = term.value
        if len(params["q"]) > MAX_Q:
            raise QueryRefused(f"Bluesky's search takes at most {MAX_Q} characters; this part "
                               f"is longer: {params['q'][:40]}…", params["q"])
        out.append(params)
    if request.domain:
        out.append({**base, "q": request.domain, "domain": request.domain})
    return out


def found(view: dict[str, Any]) -> Found | None:
    record = view.get("record") if isinstance(view.get("record"), dict) else {}
    uri = view.get("uri")
    if not isinstance(uri, str):
        return None
    author = view.get("author") if isinstance(view.get("author"), dict) else {}
    handle = str(author.get("handle") or "")
    rkey = uri.rsplit("/", 1)[-1]
    facets = record.get("facets") or []
    tags = [f.get("tag") for facet in facets if isinstance(facet, dict)
            for f in facet.get("features") or [] if isinstance(f, dict) and f.get("tag")]
    langs = record.get("langs") or []
    return Found(
        remote_id=uri, url=f"https://bsky.app/profile/{handle or author.get('did')}/post/{rkey}",
        text=plain_text(record.get("text"), record.get("facets")),
        author_handle=handle, author_name=str(author.get("displayName") or handle)[:255],
        language=str(langs[0]) if langs else "",
        published_at=parse_iso_time(record.get("createdAt") or view.get("indexedAt")),
        hashtags=tuple(tags) + tuple(record.get("tags") or ()))


class BlueskyListening:
    def listen(self, request: ListenRequest) -> ListenPage:
        page = ListenPage(requests=0)
        seen: dict[str, Found] = {}
        for params in compile_query(request):
            try:
                body = self._query(SEARCH, **params)  # type: ignore[attr-defined]
            except MissingPermission as exc:
                raise SearchUnavailable(str(exc)) from exc
            except ProviderError as exc:
                if "BadQueryString" in str(exc) or "InvalidRequest" in str(exc):
                    raise QueryRefused(f"Bluesky refused the query {params['q']!r}: {exc}",
                                       params["q"]) from exc
                raise
            page.requests += 1
            for view in body.get("posts") or []:
                item = found(view) if isinstance(view, dict) else None
                if item is not None:
                    seen.setdefault(item.remote_id, item)
        page.items = list(seen.values())
        return page
