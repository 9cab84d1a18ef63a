"""Public Mastodon accounts (competitors): an account's counts and its recent public posts,
read without special access.

Where: an account on the channel's own server is read there, with the channel's token; an
account on another server is read on its home server without a token (public API), through the
same HTTP seam (the private-address guard refuses private and loopback servers unless allowed).
A home server that refuses unauthenticated reads (401/403) or cannot be reached is asked through
the channel's server instead, which knows the remote accounts it has seen.

Endpoints: GET /api/v1/accounts/lookup?acct=NAME (404: no such account; a suspended account is
410 or carries "suspended": true), GET /api/v1/accounts/:id/statuses?exclude_replies=true&
exclude_reblogs=true (paged with max_id). Account ids are per server: a PublicAccount carries the
server it was read on (raw["server"]) and is read again by its ref user@domain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from keryx.networks.base import AuthExpired, Disconnected, RateLimited, Transient
from keryx.networks.community import AccountNotFound, BadHandle, PublicAccount, PublicPost
from keryx.networks.http import HttpSeam, error_message, raise_for_status
from keryx.networks.mastodon.metrics import count
from keryx.networks.netguard import BlockedAddress
from keryx.networks.times import parse_iso_time

# Mastodon's own rule for user names: ASCII letters, digits and _, with . or - inside.
USERNAME = re.compile(r"^[A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*$")
PAGE_SIZE = 40
MAX_PAGES = 10


def ascii_domain(domain: str) -> str:
    """A server name as DNS knows it: lower case, IDN labels in punycode ("ελλάδα.gr" ->
    "xn--hxakic4aa.gr"); a port is kept. BadHandle for anything that is not a host name."""
    domain = domain.strip().rstrip(".").lower()
    host, _, port = domain.partition(":") if not domain.startswith("[") else (domain, "", "")
    if port and not port.isdecimal():
        raise BadHandle(f"{domain!r} is not a server name.")
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise BadHandle(f"{domain!r} is not a server name.") from exc
    if not encoded or not re.fullmatch(r"[a-z0-9.-]+", encoded) or ".." in encoded:
        raise BadHandle(f"{domain!r} is not a server name.")
    return encoded + (f":{port}" if port else "")


def parse_handle(value: str) -> tuple[str, str]:
    """"@user@server", "user@server", "https://server/@user" or "@user" (the channel's own
    server) -> (user, server or ""). BadHandle says what is wrong."""
    text = (value or "").strip()
    if not text:
        raise BadHandle("Enter a Mastodon account, e.g. @name@mastodon.social.")
    if "://" in text:
        parts = urlsplit(text)
        path = parts.path.strip("/")
        if not parts.hostname or not path.startswith("@") or "/" in path:
            raise BadHandle(f"{text!r} is not a Mastodon profile address "
                            "(e.g. https://mastodon.social/@name).")
        user, _, server = path[1:].partition("@")
        server = server or parts.netloc
    else:
        user, _, server = text.lstrip("@").partition("@")
    if not USERNAME.fullmatch(user):
        raise BadHandle(f"{user!r} cannot be a Mastodon user name: Mastodon user names have "
                        "only the letters a–z, digits, _ (and . or - inside).")
    return user, ascii_domain(server) if server else ""


class MastodonPublic:
    """Mixed into MastodonProvider (which gives http, settings, instance and _call)."""

    http: HttpSeam
    settings: dict[str, Any]
    instance: str
    _call: Callable[..., httpx.Response]

    def _own_domain(self) -> str:
        return str(self.settings.get("domain") or urlsplit(self.instance).netloc).lower()

    def _ask(self, server: str | None, path: str, **kwargs: Any) -> httpx.Response:
        """GET on the channel's server (server None, with its token) or on another server
        (no token). The seam's guard refuses private addresses (Disconnected)."""
        if server is None:
            return self._call("GET", path, check_status=False, **kwargs)
        return self.http.request("GET", f"https://{server}{path}", check_status=False,
                                 headers={"Accept": "application/json"}, **kwargs)

    def _lookup(self, server: str | None, acct: str, handle: str) -> dict[str, Any]:
        response = self._ask(server, "/api/v1/accounts/lookup", params={"acct": acct})
        if response.status_code == 404 and acct != acct.lower():
            # Mastodon compares user names without case; a server that does not is asked
            # again in lower case.
            response = self._ask(server, "/api/v1/accounts/lookup",
                                 params={"acct": acct.lower()})
        if response.status_code == 404:
            raise AccountNotFound(handle, f"Mastodon has no account {handle} "
                                          f"({error_message(response)}).")
        if response.status_code == 410:
            raise AccountNotFound(handle, f"The account {handle} is gone: suspended or "
                                          f"deleted ({error_message(response)}).")
        raise_for_status(response, sent_unsafe=False)
        try:
            body = response.json()
        except ValueError as exc:
            raise Transient("The server's answer is not JSON.") from exc
        if not isinstance(body, dict) or "id" not in body:
            raise Transient("The server's answer does not look like a Mastodon account.")
        if body.get("suspended"):
            raise AccountNotFound(handle, f"The account {handle} is suspended.")
        return body

    def public_account(self, handle: str) -> PublicAccount:
        user, domain = parse_handle(handle)
        own = self._own_domain()
        domain = domain or own
        label = f"@{user}@{domain}"
        server: str | None = None if domain == own else domain
        if server is None:
            return self._account(self._lookup(None, user, label), None, user, domain)
        try:
            return self._account(self._lookup(server, user, label), server, user, domain)
        except (Transient, AuthExpired, Disconnected) as exc:
            if isinstance(exc, RateLimited) or isinstance(exc.__cause__, BlockedAddress):
                raise  # wait for the reset; or the guard refused the address
            # The home server is unreachable or wants a token: ask the channel's server.
            body = self._lookup(None, f"{user}@{domain}", label)
            return self._account(body, None, user, domain)

    def _account(self, body: dict[str, Any], server: str | None, user: str,
                 domain: str) -> PublicAccount:
        return PublicAccount(
            ref=f"{body.get('username') or user}@{domain}",
            handle=f"@{body.get('username') or user}@{domain}",
            display_name=str(body.get("display_name") or body.get("username") or user),
            url=str(body.get("url") or ""),
            followers=count(body.get("followers_count")),
            following=count(body.get("following_count")),
            posts=count(body.get("statuses_count")),
            raw={"id": str(body["id"]), "server": server or ""},
        )

    def public_posts(self, account: PublicAccount, since: datetime) -> list[PublicPost]:
        server = account.raw.get("server") or None
        params: dict[str, Any] = {"limit": PAGE_SIZE, "exclude_replies": "true",
                                  "exclude_reblogs": "true"}
        found: list[PublicPost] = []
        path = f"/api/v1/accounts/{account.raw['id']}/statuses"
        for _page in range(MAX_PAGES):
            response = self._ask(server, path, params=params)
            if response.status_code in (404, 410):
                raise AccountNotFound(account.handle, f"The account {account.handle} is gone "
                                                      f"({error_message(response)}).")
            raise_for_status(response, sent_unsafe=False)
            page = response.json()
            if not isinstance(page, list) or not page:
                break
            for status in page:
                created = parse_iso_time(status.get("created_at"))
                if created is None or status.get("reblog") or status.get("in_reply_to_id"):
                    continue
                if created < since:
                    return found
                if status.get("visibility") not in (None, "public", "unlisted"):
                    continue
                found.append(PublicPost(
                    remote_id=str(status["id"]), url=str(status.get("url") or ""),
                    published_at=created,
                    likes=count(status.get("favourites_count")),
                    comments=count(status.get("replies_count")),
                    shares=count(status.get("reblogs_count")),
                    quotes=count(status.get("quotes_count"))))
            params["max_id"] = str(page[-1]["id"])
        return found
