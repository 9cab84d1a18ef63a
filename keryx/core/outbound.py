"""A user-given URL fetched from the Django side (a feed, an image named in a CSV): the
fetcher is keryx.networks.fetch; this adds the admin's private-host allowance from settings and
says each failure in the user's language."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from keryx.networks.fetch import (
    BadStatus,
    Blocked,
    EmptyRedirect,
    Fetched,
    FetchError,
    TimedOut,
    TooLarge,
    TooManyRedirects,
    Unreachable,
    fetch,
)

__all__ = ["FetchFailed", "Fetched", "fetch_url", "user_message"]


class FetchFailed(Exception):
    """The URL could not be fetched; the message says why, for the user."""


def user_message(error: FetchError) -> str:
    """What to tell the user about a failed fetch."""
    if isinstance(error, Blocked):
        return str(error)  # the guard's own explanation
    if isinstance(error, BadStatus | EmptyRedirect):
        return _("The server answered %(status)s for %(url)s.") % {
            "status": error.status, "url": error.url}
    if isinstance(error, TooLarge):
        return _("The answer is larger than %(size)s MB.") % {
            "size": error.max_bytes // (1024 * 1024)}
    if isinstance(error, TimedOut):
        return _("%(url)s did not answer in time.") % {"url": error.url}
    if isinstance(error, TooManyRedirects):
        return _("Too many redirects from %(url)s.") % {"url": error.url}
    reason = error.reason if isinstance(error, Unreachable) else str(error)
    return _("Cannot fetch %(url)s: %(error)s") % {"url": error.url, "error": reason}


def fetch_url(url: str, *, max_bytes: int, timeout: float = 15.0,
              headers: dict[str, str] | None = None) -> Fetched:
    """The answer at `url` (a 304 has an empty body), or FetchFailed with the user's message.
    `timeout` limits each network operation; hosts in KERYX_ALLOWED_PRIVATE_HOSTS pass the
    private-address guard."""
    try:
        return fetch(url, max_bytes=max_bytes, timeout=timeout, headers=headers,
                     allow_private=tuple(settings.ALLOWED_PRIVATE_HOSTS))
    except FetchError as exc:
        raise FetchFailed(user_message(exc)) from exc
