"""The one outbound fetcher for URLs a user gave us (a feed, a link card, media named in a CSV).

Such a fetch is a server-side request on the user's behalf, so:
1. every hop — the URL and each redirect — must be http(s) to a public address (the
   private-address guard), unless its host is listed in `allow_private`;
2. redirects are followed by hand, at most `max_redirects` of them;
3. each network operation (connect, each read) has a time limit, and the whole fetch (every
   hop, and every `get` on one Fetcher) may also have one deadline (`total`);
4. the body is read in chunks up to a byte cap, so a huge or endless answer is cut off, never
   buffered; the body is asked for uncompressed, so one compressed chunk cannot expand past it;
5. the caller may refuse a content type before any of the body is read.

It sits beside the HTTP seam (networks/http.py), which is for talking to a network's API; both
are pure Python (no Django), like the rest of the network layer. Failures are specific
exceptions carrying their facts (the URL, the status, the cap): each caller turns them into its
own words for the user.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urljoin

import httpx

from keryx.networks.http import USER_AGENT
from keryx.networks.netguard import BlockedAddress, check_url

DEFAULT_MAX_REDIRECTS = 5


class FetchError(Exception):
    """The URL could not be fetched. `url` is the hop that failed."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class Blocked(FetchError):
    """A hop is not http(s) or points at an address nobody allowed; the message is the guard's."""


class TooManyRedirects(FetchError):
    """More than `max_redirects` redirects; `url` is the URL first asked for."""


class EmptyRedirect(FetchError):
    """A redirect status without a Location to go to."""

    def __init__(self, message: str, *, url: str, status: int) -> None:
        super().__init__(message, url=url)
        self.status = status


class BadStatus(FetchError):
    """The server answered an error status (4xx or 5xx)."""

    def __init__(self, message: str, *, url: str, status: int) -> None:
        super().__init__(message, url=url)
        self.status = status


class WrongType(FetchError):
    """The caller's content-type check refused the answer (before its body was read)."""

    def __init__(self, message: str, *, url: str, content_type: str) -> None:
        super().__init__(message, url=url)
        self.content_type = content_type


class TooLarge(FetchError):
    """The body is (or says it is) larger than `max_bytes`."""

    def __init__(self, message: str, *, url: str, max_bytes: int) -> None:
        super().__init__(message, url=url)
        self.max_bytes = max_bytes


class TimedOut(FetchError):
    """The deadline passed before the answer was complete."""


class Unreachable(FetchError):
    """A transport failure (connection refused, TLS, a broken answer); `reason` says which."""

    def __init__(self, message: str, *, url: str, reason: str) -> None:
        super().__init__(message, url=url)
        self.reason = reason


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content: bytes
    content_type: str
    etag: str = ""
    last_modified: str = ""
    status: int = 200


def kind_of(content_type: str) -> str:
    """The media type of a Content-Type header, lower case, without parameters."""
    return content_type.split(";")[0].strip().lower()


class Fetcher:
    """A client for one user-given fetch, or a few that share one deadline (a page, then the
    image it names). Use as a context manager, or call close()."""

    def __init__(
        self,
        *,
        timeout: float,
        total: float | None = None,
        allow_private: tuple[str, ...] = (),
        headers: dict[str, str] | None = None,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        connect_timeout: float = 10.0,
    ) -> None:
        """`timeout`: seconds for each network operation; `total`: seconds for everything
        this Fetcher does, or None for no overall deadline."""
        self.timeout = timeout
        self.allow_private = tuple(allow_private)
        self.max_redirects = max_redirects
        self.connect_timeout = connect_timeout
        self.deadline = None if total is None else time.monotonic() + total
        self.client = httpx.Client(
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {})},
            timeout=httpx.Timeout(timeout, connect=min(timeout, connect_timeout)),
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def _left(self, url: str) -> float:
        """The time limit for the next operation; TimedOut once the deadline has passed."""
        if self.deadline is None:
            return self.timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimedOut(f"{url} did not answer in time", url=url)
        return min(left, self.timeout)

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        headers: dict[str, str] | None = None,
        truncate: bool = False,
        accept_type: Callable[[str], bool] | None = None,
    ) -> Fetched:
        """GET `url`, following guarded redirects. A 304 comes back with an empty body.

        `truncate`: a body past `max_bytes` is cut there quietly (a page's head is what a card
        needs) instead of raising TooLarge; a declared Content-Length past it still raises.
        `accept_type`: called with the Content-Type of a successful answer; False raises
        WrongType before the body is read.
        """
        current = url
        for _hop in range(self.max_redirects + 1):
            try:
                check_url(current, self.allow_private)
            except BlockedAddress as exc:
                raise Blocked(str(exc), url=current) from exc
            try:
                left = self._left(current)
                with self.client.stream(
                    "GET", current, headers=headers,
                    timeout=httpx.Timeout(left, connect=min(left, self.connect_timeout)),
                ) as response:
                    # Any 3xx but 304 (Not Modified, an answer to a conditional GET).
                    if response.is_redirect and response.status_code != 304:
                        location = response.headers.get("location", "")
                        if not location:
                            raise EmptyRedirect(
                                f"{current} answered {response.status_code} without a Location",
                                url=current, status=response.status_code)
                        current = urljoin(current, location)
                        continue
                    return self._read(response, current, max_bytes, truncate, accept_type)
            except httpx.TimeoutException as exc:
                raise TimedOut(f"{current} did not answer in time", url=current) from exc
            except httpx.HTTPError as exc:
                raise Unreachable(f"Cannot fetch {current}: {exc}", url=current,
                                  reason=str(exc)) from exc
        raise TooManyRedirects(f"Too many redirects from {url}", url=url)

    def _read(self, response: httpx.Response, url: str, max_bytes: int, truncate: bool,
              accept_type: Callable[[str], bool] | None) -> Fetched:
        status = response.status_code
        if status == 304:
            return Fetched(url, b"", "", status=304)
        if status >= 400:
            raise BadStatus(f"{url} answered {status}", url=url, status=status)
        content_type = response.headers.get("content-type", "")
        if accept_type is not None and not accept_type(content_type):
            raise WrongType(f"{url} is {kind_of(content_type) or 'untyped'}", url=url,
                            content_type=content_type)
        declared = response.headers.get("content-length", "")
        if declared.isdecimal() and int(declared) > max_bytes:
            raise TooLarge(f"{url} is larger than {max_bytes} bytes", url=url,
                           max_bytes=max_bytes)
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                if truncate:
                    del body[max_bytes:]
                    break
                raise TooLarge(f"{url} is larger than {max_bytes} bytes", url=url,
                               max_bytes=max_bytes)
            if self.deadline is not None:
                self._left(url)
        return Fetched(
            url=url,
            content=bytes(body),
            content_type=content_type,
            etag=response.headers.get("etag", ""),
            last_modified=response.headers.get("last-modified", ""),
            status=status,
        )


def fetch(
    url: str,
    *,
    max_bytes: int,
    timeout: float,
    total: float | None = None,
    allow_private: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    accept_type: Callable[[str], bool] | None = None,
) -> Fetched:
    """One guarded GET; see Fetcher and Fetcher.get."""
    with Fetcher(timeout=timeout, total=total, allow_private=allow_private, headers=headers,
                 max_redirects=max_redirects) as fetcher:
        return fetcher.get(url, max_bytes=max_bytes, accept_type=accept_type)
