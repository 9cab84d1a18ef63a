"""Keeping OAuth tokens fresh: refreshing before they expire (and before publishing), and what
the channel list says about a connection that will not last."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.channels.flows import is_oauth
from keryx.channels.health import mark_needs_reconnect
from keryx.channels.models import Channel, ChannelStatus
from keryx.channels.providers import provider_context, provider_for
from keryx.networks.base import AuthExpired, Provider, ProviderError
from keryx.networks.registry import get_provider_class
from keryx.networks.registry import names as registry_names

logger = logging.getLogger(__name__)

REFRESH_WITHIN = timedelta(minutes=30)
# Shown as "expiring" in the channel list when no refresh can renew it in time.
EXPIRY_WARNING = timedelta(days=3)
_refresh_locks: dict[int, threading.Lock] = {}
_refresh_locks_guard = threading.Lock()


def token_expiry(channel: Channel) -> datetime | None:
    value = (channel.credentials or {}).get("expires_at")
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _lock_for(channel_pk: int) -> threading.Lock:
    with _refresh_locks_guard:
        return _refresh_locks.setdefault(channel_pk, threading.Lock())


# PostgreSQL advisory-lock class for token refreshes (the second key is the channel's id).
ADVISORY_LOCK_CLASS = 0x6B72  # "kr"


@contextmanager
def _refresh_lock(channel_pk: int) -> Iterator[None]:
    """One refresh of a channel at a time: across threads (a lock) and, on PostgreSQL, across
    processes and machines (a session advisory lock), so two workers never spend the same
    refresh token."""
    with _lock_for(channel_pk):
        if connection.vendor != "postgresql":
            yield  # SQLite: one machine; its single writer orders the stores
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_LOCK_CLASS, channel_pk])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)",
                               [ADVISORY_LOCK_CLASS, channel_pk])


def refresh_channel(channel: Channel, *, mark: bool = True) -> bool:
    """Trade the stored refresh token for new tokens and store them; True if renewed.

    The refresh token is never dropped: a network that does not rotate it keeps the old one,
    and a refused refresh only marks the channel needs_reconnect (the stored tokens stay, so
    a reconnect can still use them). Raises AuthExpired after marking, and the taxonomy's
    other errors unchanged (try again later)."""
    cls = get_provider_class(channel.network)
    if getattr(cls, "oauth", None) is None or not channel.credentials.get("refresh_token"):
        return False
    seen = channel.credentials.get("refresh_token")
    with _refresh_lock(channel.pk):
        channel.refresh_from_db(fields=["credentials", "status", "status_message"])
        sent = channel.credentials.get("refresh_token")
        if sent != seen and sent:
            return True  # another process renewed (and rotated) it while this one waited
        try:
            tokens = cls(provider_context(channel.network, channel.credentials,
                                          channel.settings)).refresh()
        except AuthExpired as exc:
            # Another process may have refreshed (and rotated) at the same moment.
            channel.refresh_from_db(fields=["credentials"])
            if channel.credentials.get("refresh_token") != sent:
                return True
            if mark:
                mark_needs_reconnect(
                    channel,
                    _("%(network)s refused to renew access (%(reason)s); reconnect the channel.")
                    % {"network": cls.display_name, "reason": exc.message},
                )
            raise
        merged = {**channel.credentials, **tokens.as_credentials()}
        merged["refresh_token"] = tokens.refresh_token or sent
        if not tokens.expires_at:
            # No expiry given: the old, passed one must not trigger refreshes forever.
            merged.pop("expires_at", None)
        channel.credentials = merged
        Channel.objects.filter(pk=channel.pk).update(credentials=merged)
    return True


def refresh_expiring_tokens(
    within: timedelta = REFRESH_WITHIN, now: datetime | None = None
) -> dict[str, int]:
    """Renew every active OAuth channel whose access token expires within `within`.

    Run periodically by the background workers (keryx.channels.tasks). Credentials are
    encrypted, so the expiry is read in Python; channels are few."""
    now = now or timezone.now()
    oauth_networks = [n for n in registry_names() if is_oauth(n)]
    counts = {"refreshed": 0, "refused": 0, "failed": 0}
    channels = Channel.objects.filter(
        status=ChannelStatus.ACTIVE, network__in=oauth_networks
    ).order_by("pk")
    for channel in channels:
        expiry = token_expiry(channel)
        if expiry is None or expiry > now + within:
            continue
        try:
            if refresh_channel(channel):
                counts["refreshed"] += 1
        except AuthExpired:
            counts["refused"] += 1
        except ProviderError as exc:
            counts["failed"] += 1
            logger.warning("refreshing channel %s failed: %s", channel.pk, exc.message)
        except Exception:
            counts["failed"] += 1
            logger.exception("refreshing channel %s failed", channel.pk)
    return counts


def fresh_provider(channel: Channel, provider: Provider) -> Provider:
    """Before publishing: the same provider if its access token is still good, else a new one
    built after a refresh. A refused refresh raises AuthExpired (the channel is marked)."""
    expiry = token_expiry(channel)
    if expiry is None or expiry > timezone.now() + timedelta(seconds=60):
        return provider
    if refresh_channel(channel):
        return provider_for(channel)
    return provider


def channel_warning(channel: Channel, now: datetime | None = None) -> str:
    """What the channel list says about a channel's connection, or ""."""
    if channel.status == ChannelStatus.NEEDS_RECONNECT:
        return _("The network no longer accepts this channel's credentials; posts to it will "
                 "fail until you reconnect.")
    if channel.status != ChannelStatus.ACTIVE:
        return ""
    expiry = token_expiry(channel)
    if expiry is None or channel.credentials.get("refresh_token"):
        return ""
    now = now or timezone.now()
    if expiry <= now:
        return _("The access token expired; reconnect the channel.")
    if expiry <= now + EXPIRY_WARNING:
        return _("The access token expires on %(when)s and cannot be renewed automatically; "
                 "reconnect before then.") % {"when": timezone.localtime(expiry).strftime(
                     "%Y-%m-%d %H:%M")}
    return ""
