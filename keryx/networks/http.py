"""The one HTTP seam every provider uses: timeouts, the private-address guard, rate-limit headers,
and the mapping from transport failures to the error taxonomy.

A POST that timed out after the request was sent may have been accepted: it raises
OutcomeUnknown, never Transient, unless the caller says the call is safe to repeat.
"""

from __future__ import annotations

import email.utils
import ssl
import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from keryx.networks.base import (
    AuthExpired,
    BadContent,
    Disconnected,
    OutcomeUnknown,
    ProviderError,
    RateLimited,
    Transient,
)
from keryx.networks.netguard import BlockedAddress, check_url

USER_AGENT = "Keryx/0.1 (+self-hosted social media manager)"

_local = threading.local()
_ssl_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None


def _shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every thread's client: building one loads the CA bundle
    (tens of ms of CPU), which each new publishing thread used to pay (bench/throughput.py).
    An SSLContext may be shared by threads once configured."""
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


def _client(timeout: float) -> httpx.Client:
    """One pooled client per thread: httpx.Client is not meant to be shared across threads."""
    client = getattr(_local, "client", None)
    if client is None:
        client = httpx.Client(
            verify=_shared_ssl_context(),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )
        _local.client = client
    return client


def parse_retry_after(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Seconds to wait, from Retry-After (seconds or HTTP date) or the X-RateLimit-Reset /
    RateLimit-Reset headers (Mastodon sends an ISO time, Bluesky epoch seconds)."""
    now = time.time() if now is None else now
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isdecimal():
            return float(value)
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            pass
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = headers.get(name)
        if not value:
            continue
        value = value.strip()
        try:
            number = float(value)
        except ValueError:
            try:
                reset = datetime.fromisoformat(value.replace("Z", "+00:00"))
                if reset.tzinfo is None:
                    reset = reset.replace(tzinfo=UTC)
                return max(0.0, reset.timestamp() - now)
            except ValueError:
                continue
        # Small numbers are "seconds from now", large ones an epoch timestamp.
        return max(0.0, number - now) if number > 1e9 else number
    return None


def spent_for(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Seconds until the token's rate limit resets when X-RateLimit-Remaining (or
    RateLimit-Remaining) says no request is left, so the next one would be refused with 429;
    None while requests remain or the headers say nothing."""
    for name in ("x-ratelimit-remaining", "ratelimit-remaining"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            left = float(value.strip())
        except ValueError:
            return None
        if left >= 1:
            return None
        wait = parse_retry_after(headers, now)
        return 60.0 if wait is None else wait
    return None


def error_message(response: httpx.Response) -> str:
    """The network's own reason, in its own words, if the body says one."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300] or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("error_description", "message", "error", "detail", "title"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"]
    return f"HTTP {response.status_code}"


def raise_for_status(response: httpx.Response, *, sent_unsafe: bool) -> None:
    """Map an error status to the taxonomy. 2xx/3xx return quietly."""
    status = response.status_code
    if status < 400:
        return
    message = error_message(response)
    if status == 429:
        raise RateLimited(
            message, retry_after=parse_retry_after(response.headers), status=status
        )
    if status == 401:
        raise AuthExpired(message, status=status)
    if status == 403:
        raise Disconnected(message, status=status)
    if status in (404, 410):
        raise Disconnected(message, status=status)
    if status == 413:
        raise BadContent(f"Too large for the network: {message}", status=status)
    if 400 <= status < 500:
        raise BadContent(message, status=status)
    if status in (502, 503, 504) or not sent_unsafe:
        raise Transient(message, status=status)
    # A 500 on a non-idempotent POST: the network may have stored the post before failing.
    raise OutcomeUnknown(f"The network answered {status}: {message}", status=status)


class HttpSeam:
    """Thin wrapper over httpx. `allow_private` lists hosts/CIDRs let past the SSRF guard."""

    def __init__(self, *, timeout: float = 30.0, allow_private: tuple[str, ...] = ()) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self._checked: set[str] = set()

    def guard(self, url: str) -> None:
        origin = httpx.URL(url).copy_with(path="/", query=None, fragment=None)
        key = str(origin)
        if key in self._checked:
            return
        try:
            check_url(url, self.allow_private)
        except BlockedAddress as exc:
            raise Disconnected(str(exc)) from exc
        self._checked.add(key)

    def request(
        self,
        method: str,
        url: str,
        *,
        safe_to_repeat: bool | None = None,
        check_status: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request. `safe_to_repeat` defaults to True for GET/HEAD and False otherwise."""
        self.guard(url)
        if safe_to_repeat is None:
            safe_to_repeat = method.upper() in {"GET", "HEAD", "OPTIONS"}
        try:
            # The pooled client is per thread and shared by seams with different timeouts:
            # pass this seam's timeout on every request.
            kwargs.setdefault(
                "timeout", httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))
            )
            response = _client(self.timeout).request(method, url, **kwargs)
        except httpx.ConnectError as exc:
            # Nothing was sent: the connection never opened.
            raise Transient(f"Cannot connect to {httpx.URL(url).host}: {exc}") from exc
        except httpx.ConnectTimeout as exc:
            raise Transient(f"Connecting to {httpx.URL(url).host} timed out") from exc
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError,
                httpx.ReadError, httpx.WriteError) as exc:
            if safe_to_repeat:
                raise Transient(f"{httpx.URL(url).host} did not answer in time: {exc}") from exc
            raise OutcomeUnknown(
                f"{httpx.URL(url).host} did not answer after the request was sent"
            ) from exc
        except httpx.HTTPError as exc:
            raise Transient(f"HTTP error talking to {httpx.URL(url).host}: {exc}") from exc
        if check_status:
            raise_for_status(response, sent_unsafe=not safe_to_repeat)
        return response


__all__ = ["HttpSeam", "ProviderError", "parse_retry_after", "raise_for_status", "error_message",
           "spent_for"]
