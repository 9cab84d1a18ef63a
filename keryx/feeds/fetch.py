"""Fetching a URL a user gave us (a feed, an image named in a CSV), safely: http(s) only, every
address checked by the private-address guard (on each redirect too), a time limit and a size
cap read as the body streams in, so a huge or endless answer is cut off, not buffered."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from keryx.networks.http import USER_AGENT
from keryx.networks.netguard import BlockedAddress, check_url

MAX_REDIRECTS = 5


class FetchFailed(Exception):
    """The URL could not be fetched; the message says why, for the user."""


@dataclass
class Fetched:
    url: str  # after redirects
    content: bytes
    content_type: str
    etag: str = ""
    last_modified: str = ""
    status: int = 200


def fetch(
    url: str,
    *,
    max_bytes: int,
    timeout: float = 15.0,
    headers: dict[str, str] | None = None,
    allow: tuple[str, ...] | None = None,
) -> Fetched:
    allow = tuple(settings.ALLOWED_PRIVATE_HOSTS) if allow is None else allow
    current = url
    with httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                      follow_redirects=False,
                      headers={"User-Agent": USER_AGENT, **(headers or {})}) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                check_url(current, allow)
            except BlockedAddress as exc:
                raise FetchFailed(str(exc)) from exc
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect and response.headers.get("location"):
                        current = urljoin(current, response.headers["location"])
                        continue
                    if response.status_code == 304:
                        return Fetched(current, b"", "", status=304)
                    if response.status_code >= 400:
                        raise FetchFailed(
                            _("The server answered %(status)s for %(url)s.")
                            % {"status": response.status_code, "url": current}
                        )
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise FetchFailed(_too_big(max_bytes))
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > max_bytes:
                            raise FetchFailed(_too_big(max_bytes))
                    return Fetched(
                        url=current,
                        content=bytes(body),
                        content_type=response.headers.get("content-type", ""),
                        etag=response.headers.get("etag", ""),
                        last_modified=response.headers.get("last-modified", ""),
                        status=response.status_code,
                    )
            except httpx.TimeoutException as exc:
                raise FetchFailed(_("%(url)s did not answer in time.") % {"url": current}) from exc
            except httpx.HTTPError as exc:
                raise FetchFailed(
                    _("Cannot fetch %(url)s: %(error)s") % {"url": current, "error": exc}
                ) from exc
    raise FetchFailed(_("Too many redirects from %(url)s.") % {"url": url})


def _too_big(max_bytes: int) -> str:
    return _("The answer is larger than %(size)s MB.") % {"size": max_bytes // (1024 * 1024)}
