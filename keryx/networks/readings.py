"""Shared pieces of the networks' metric readers (fetch_metrics, fetch_channel_metrics,
list_recent_posts): counts that stay None when absent, and a refused read turned into what
analytics needs to know (MissingPermission naming the permission, PostGone for a deleted post).

Each provider's own error mapping runs first (it knows its network's error shapes); `translate`
then reclassifies the few answers that mean something else for a read than for a publish: a
403 is a permission to grant, not a refused post; a 404 on the post is a deleted post, not a
lost channel."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from keryx.networks.base import (
    AuthExpired,
    BadContent,
    Disconnected,
    MissingPermission,
    ProviderError,
    RateLimited,
)
from keryx.networks.community import PostGone

T = TypeVar("T")


def count(value: Any) -> int | None:
    """A count as the network gave it (an int, or a string of digits as Google sends); None
    when absent, null or not a number. Never 0 for "unknown"."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    return None


def total(*values: int | None) -> int | None:
    """The sum of the parts the network gave; None when it gave none of them."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def since_epoch(value: Any) -> datetime | None:
    """Seconds since the epoch (TikTok create_time, Reddit created_utc) as an aware time."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(float(value), UTC)


def translate(exc: ProviderError, *, network: str, permission: str, what: str,
              remote_id: str = "", gone: Callable[[ProviderError], bool] | None = None,
              denied: Callable[[ProviderError], bool] | None = None) -> ProviderError | PostGone:
    """What a failed read means. `gone(exc)` / `denied(exc)` add the network's own signs of a
    deleted post / a missing permission to the generic ones (HTTP 404/410, HTTP 403)."""
    if isinstance(exc, RateLimited | MissingPermission):
        return exc
    status = exc.status
    if remote_id and ((gone is not None and gone(exc)) or (
            status in (404, 410) and isinstance(exc, Disconnected | BadContent))):
        return PostGone(remote_id, f"{network} no longer has this post ({exc.message}).")
    if (denied is not None and denied(exc)) or (status == 403 and isinstance(
            exc, AuthExpired | Disconnected | BadContent)):
        return MissingPermission(
            f"{network} refused to show {what} ({exc.message}): the connection lacks the "
            f"{permission} permission. Connect the channel again and allow it.",
            permission=permission, status=status, raw=exc.raw)
    return exc


def read(fn: Callable[[], T], **kw: Any) -> T | PostGone:
    """Run one read; a refusal is translated (see translate) and raised, a deleted post
    returned as PostGone (only when kw has the post's remote_id)."""
    try:
        return fn()
    except ProviderError as exc:
        result = translate(exc, **kw)
        if isinstance(result, PostGone):
            return result
        if result is exc:
            raise
        raise result from exc


def read_account(fn: Callable[[], T], **kw: Any) -> T:
    """read() for an account read: never PostGone."""
    result = read(fn, **kw)
    assert not isinstance(result, PostGone)
    return result


def newest_first(posts: Iterable[Any]) -> list[Any]:
    return sorted(posts, key=lambda p: p.published_at, reverse=True)


__all__ = ["count", "newest_first", "read", "read_account", "since_epoch",
           "total", "translate"]
