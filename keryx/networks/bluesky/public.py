"""Public Bluesky accounts (competitors): a profile's counts and its recent posts, read through
the channel's PDS, which proxies app.bsky.* queries to the AppView (both queries need no special
access: the lexicons say "does not require auth").

app.bsky.actor.getProfile(actor) -> #profileViewDetailed followersCount, followsCount,
postsCount (optional: absent is None). app.bsky.feed.getAuthorFeed(actor, filter=
posts_no_replies, limit, cursor) -> feed of #feedViewPost; an item with a `reason` (a repost,
a pin) or by another author is left out, so only the account's own top-level posts count.
An unknown or deleted account answers 400 (InvalidRequest "Profile not found",
AccountDeactivated, AccountTakedown): AccountNotFound.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from keryx.networks.base import Disconnected, Transient
from keryx.networks.bluesky.lexicon import APP_URL, parse_time
from keryx.networks.bluesky.metrics import count
from keryx.networks.community import AccountNotFound, BadHandle, PublicAccount, PublicPost
from keryx.networks.http import error_message, raise_for_status

GET_PROFILE = "app.bsky.actor.getProfile"
GET_AUTHOR_FEED = "app.bsky.feed.getAuthorFeed"
PAGE_SIZE = 100  # getAuthorFeed's maximum
MAX_PAGES = 10
# The atproto handle syntax: ASCII labels of letters, digits and -, at least two of them, the
# last not starting with a digit.
HANDLE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
DID = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]+$")


def parse_actor(value: str) -> str:
    """A handle (any case, "@" or a bsky.app profile address allowed; an internationalised
    domain becomes punycode) or a DID, as getProfile's `actor`. BadHandle says what is wrong."""
    text = (value or "").strip()
    if "://" in text:
        path = urlsplit(text).path.strip("/").split("/")
        if len(path) < 2 or path[0] != "profile":
            raise BadHandle(f"{text!r} is not a Bluesky profile address "
                            "(e.g. https://bsky.app/profile/name.bsky.social).")
        text = path[1]
    text = text.lstrip("@")
    if not text:
        raise BadHandle("Enter a Bluesky handle, e.g. name.bsky.social.")
    if text.startswith("did:"):
        if not DID.fullmatch(text):
            raise BadHandle(f"{text!r} is not a DID.")
        return text
    try:
        handle = text.rstrip(".").lower().encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise BadHandle(f"{text!r} cannot be a Bluesky handle.") from exc
    if len(handle) > 253 or not HANDLE.fullmatch(handle):
        raise BadHandle(f"{text!r} cannot be a Bluesky handle: a handle is a domain name, "
                        "e.g. name.bsky.social.")
    return handle


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


class BlueskyPublic:
    """Mixed into BlueskyProvider (which gives the session's _call)."""

    _call: Callable[..., httpx.Response]

    def _public_query(self, nsid: str, actor: str, **params: Any) -> dict[str, Any]:
        try:
            response = self._call("GET", nsid, params={"actor": actor, **params},
                                  check_status=False)
        except Disconnected as exc:
            if exc.status == 400:  # the actor's account is deactivated or taken down
                raise AccountNotFound(actor, f"The account {actor} is gone on Bluesky "
                                             f"({exc.message}).") from exc
            raise
        if response.status_code == 400:
            raise AccountNotFound(actor, f"Bluesky has no account {actor} "
                                         f"({error_message(response)}).")
        raise_for_status(response, sent_unsafe=False)
        try:
            body = response.json()
        except ValueError as exc:
            raise Transient(f"{nsid} answered something that is not JSON.") from exc
        if not isinstance(body, dict):
            raise Transient(f"{nsid} answered something that is not a JSON object.")
        return body

    def public_account(self, handle: str) -> PublicAccount:
        actor = parse_actor(handle)
        profile = self._public_query(GET_PROFILE, actor)
        did = profile.get("did")
        if not isinstance(did, str) or not did:
            raise Transient("getProfile answered without a DID.")
        name = str(profile.get("handle") or did)
        return PublicAccount(
            ref=did, handle=name,
            display_name=str(profile.get("displayName") or name),
            url=f"{APP_URL}/profile/{name}",
            followers=count(profile.get("followersCount")),
            following=count(profile.get("followsCount")),
            posts=count(profile.get("postsCount")),
            raw={"did": did},
        )

    def public_posts(self, account: PublicAccount, since: datetime) -> list[PublicPost]:
        params: dict[str, Any] = {"filter": "posts_no_replies", "limit": PAGE_SIZE}
        found: list[PublicPost] = []
        for _page in range(MAX_PAGES):
            body = self._public_query(GET_AUTHOR_FEED, account.ref, **params)
            items = body.get("feed") or []
            for item in items:
                post = item.get("post") if isinstance(item, dict) else None
                if not isinstance(post, dict) or item.get("reason"):
                    continue  # a repost or a pinned post shown again
                if (post.get("author") or {}).get("did") != account.ref:
                    continue
                record = post.get("record") or {}
                if record.get("reply"):
                    continue
                created = _aware(parse_time(record.get("createdAt"))
                                 or parse_time(post.get("indexedAt")))
                if created is None:
                    continue
                if created < since:
                    return found
                uri = str(post.get("uri") or "")
                found.append(PublicPost(
                    remote_id=uri,
                    url=f"{APP_URL}/profile/{account.handle}/post/{uri.rsplit('/', 1)[-1]}",
                    published_at=created,
                    likes=count(post.get("likeCount")),
                    comments=count(post.get("replyCount")),
                    shares=count(post.get("repostCount")),
                    quotes=count(post.get("quoteCount")),
                    saves=count(post.get("bookmarkCount"))))
            cursor = body.get("cursor")
            if not cursor or not items:
                break
            params["cursor"] = cursor
        return found
