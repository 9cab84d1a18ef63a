"""Reddit listening: `GET /search` (a Listing of posts, `type=link`, `sort=new`) through the
connected account's OAuth token (scope `read`).

Reddit's search takes the boolean syntax itself (AND, OR, NOT, parentheses, "exact phrases"),
so the whole query goes in one request of at most 512 characters; the local re-check still
runs on every post found. Reddit has no hashtags: a hashtag is searched as its word. A mention
of a handle is searched as `u/handle`, how Redditors name each other. The brand's domain is
`site:domain` (link posts to it). Reddit gives no language: the classifier detects it.
Comments are not searchable through the API (only posts, subreddits and users)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from keryx.networks.base import BadContent, Disconnected
from keryx.networks.listening import (
    Found,
    ListenPage,
    ListenRequest,
    QueryRefused,
    SearchUnavailable,
)

MAX_QUERY = 512  # characters; Reddit's reference for GET /search
PAGE_LIMIT = 100  # the most a Listing returns
REDDIT = "https://www.reddit.com"


def _term(term: Any) -> str:
    if term.kind == "phrase":
        return '"' + term.value.replace('"', "") + '"'
    if term.kind == "mention":
        return f'"u/{term.value.lstrip("@").split("@")[0]}"'
    value = term.value.lstrip("#")
    # A bare word that is itself an operator would be read as one.
    return f'"{value}"' if value.upper() in {"AND", "OR", "NOT"} else value


def _render(node: Any) -> str:
    if node.op == "term":
        return _term(node.term)
    if node.op == "not":
        return "NOT " + _group(node.children[0])
    joiner = " AND " if node.op == "and" else " OR "
    return joiner.join(_group(child) for child in node.children)


def _group(node: Any) -> str:
    text = _render(node)
    return f"({text})" if node.op in {"and", "or"} and len(node.children) > 1 else text


def compile_query(request: ListenRequest) -> str:
    """The Reddit search string for the query (and the domain, OR-ed in)."""
    parts = []
    if request.query.root is not None:
        parts.append(_render(request.query.root))
    if request.domain:
        domain = request.domain.strip().lower().removeprefix("https://").removeprefix("http://")
        parts.append(f"site:{domain.strip('/')}")
    text = " OR ".join(f"({p})" if len(parts) > 1 else p for p in parts)
    if len(text) > MAX_QUERY:
        raise QueryRefused(
            f"Reddit's search takes at most {MAX_QUERY} characters; this query is "
            f"{len(text)}: shorten it or split it into two searches.", text[:80])
    return text


def time_window(since: datetime | None, now: datetime | None = None) -> str:
    """The narrowest of Reddit's windows (`t`) that still covers everything since `since`."""
    if since is None:
        return "week"  # a first run: the recent past, not all of Reddit's history
    age = (now or datetime.now(UTC)) - since
    for window, span in (("hour", timedelta(hours=1)), ("day", timedelta(days=1)),
                         ("week", timedelta(days=7)), ("month", timedelta(days=31)),
                         ("year", timedelta(days=366))):
        if age <= span:
            return window
    return "all"


def found(post: dict[str, Any]) -> Found | None:
    name = post.get("name")
    if not isinstance(name, str) or not name.startswith("t3_"):
        return None
    title = str(post.get("title") or "").strip()
    body = str(post.get("selftext") or "").strip()
    created = post.get("created_utc")
    author = str(post.get("author") or "")
    permalink = str(post.get("permalink") or "")
    return Found(
        remote_id=name,  # the fullname: what a reply (POST /api/comment thing_id) needs
        url=REDDIT + permalink if permalink.startswith("/") else "",
        text=f"{title}\n{body}" if body else title,
        author_handle="" if author == "[deleted]" else author,
        author_name="" if author == "[deleted]" else author,
        published_at=datetime.fromtimestamp(float(created), UTC)
        if isinstance(created, int | float) else None,
        # Public, restricted (anyone reads, few post) and user-profile posts are public; a
        # private community's post only shows to its members and is not kept.
        public=post.get("subreddit_type") != "private",
    )


class RedditListening:
    def listen(self, request: ListenRequest) -> ListenPage:
        params = {"q": compile_query(request), "sort": "new", "type": "link",
                  "t": time_window(request.since), "limit": str(min(PAGE_LIMIT, request.limit)),
                  "raw_json": "1", "include_over_18": "on"}
        try:
            body = self._call("GET", "/search", params=params)  # type: ignore[attr-defined]
        except Disconnected as exc:
            if exc.status != 403:
                raise
            # A refused read is this search's problem, not a lost channel: the source says
            # so and the search's other sources keep running.
            raise SearchUnavailable(
                "Reddit refused the search (403): reconnect the channel so Keryx has the "
                "`read` permission.") from exc
        except BadContent as exc:
            raise QueryRefused(f"Reddit refused the query: {exc.message}", params["q"]) from exc
        children = ((body or {}).get("data") or {}).get("children") or [] if isinstance(
            body, dict) else []
        items = []
        for child in children:
            if not isinstance(child, dict) or child.get("kind") != "t3":
                continue
            item = found(child.get("data") or {})
            if item is None:
                continue
            if request.since and item.published_at and item.published_at <= request.since:
                continue  # the window `t` is coarse: older posts were seen on an earlier run
            items.append(item)
        return ListenPage(items=items, requests=1)
