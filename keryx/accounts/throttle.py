"""Throttling of failed sign-ins (by account and by address) and of wrong API tokens (by address).

Each key counts its failures in a window; reaching the limit locks the key for a while. The
counts live in the Throttle table so every process sees them. Keys are hashed: the table never
holds an e-mail address or an IP in clear.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext

from keryx.accounts.models import Throttle

logger = logging.getLogger("keryx.security")


@dataclass(frozen=True)
class Limit:
    """`failures` within `window` seconds lock the key for `lockout` seconds."""

    scope: str
    failures: int
    window: int
    lockout: int


def _limit(scope: str, failures: str, window: str, lockout: str) -> Limit:
    return Limit(scope, getattr(settings, failures), getattr(settings, window),
                 getattr(settings, lockout))


def signin_account_limit() -> Limit:
    return _limit("signin-account", "KERYX_SIGNIN_ACCOUNT_FAILURES", "KERYX_SIGNIN_WINDOW",
                  "KERYX_SIGNIN_LOCKOUT")


def signin_address_limit() -> Limit:
    return _limit("signin-address", "KERYX_SIGNIN_ADDRESS_FAILURES", "KERYX_SIGNIN_WINDOW",
                  "KERYX_SIGNIN_LOCKOUT")


def api_token_limit() -> Limit:
    return _limit("api-token", "KERYX_API_TOKEN_FAILURES", "KERYX_SIGNIN_WINDOW",
                  "KERYX_SIGNIN_LOCKOUT")


def client_address(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or the last X-Forwarded-For hop behind a trusted proxy
    (KERYX_PROXY_HEADERS), since the proxy appends the address it saw."""
    if settings.KERYX_PROXY_HEADERS:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "")


def _key(limit: Limit, value: str) -> str:
    return hashlib.sha256(f"{limit.scope}:{value.strip().lower()}".encode()).hexdigest()


def retry_after(limit: Limit, value: str) -> int:
    """Seconds until `value` may try again under `limit` (0: it may now)."""
    row = Throttle.objects.filter(key=_key(limit, value)).first()
    now = timezone.now()
    if row is None or row.locked_until is None or row.locked_until <= now:
        return 0
    return max(1, math.ceil((row.locked_until - now).total_seconds()))


def record_failure(limit: Limit, value: str) -> int:
    """Count one failure; returns the seconds of lockout it caused (0: not locked)."""
    now = timezone.now()
    with transaction.atomic():
        # Rows whose window and lock are both over count for nothing: keep the table small.
        stale = now - timedelta(seconds=max(limit.window, limit.lockout))
        Throttle.objects.filter(window_start__lt=stale).exclude(locked_until__gt=now).delete()
        row, _ = Throttle.objects.select_for_update().get_or_create(
            key=_key(limit, value), defaults={"window_start": now}
        )
        if row.window_start + timedelta(seconds=limit.window) <= now:
            row.failures, row.window_start, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= limit.failures:
            row.locked_until = now + timedelta(seconds=limit.lockout)
            row.failures, row.window_start = 0, now
        row.save()
    if row.locked_until and row.locked_until > now:
        logger.warning("throttle: %s locked for %ss after %s failures", limit.scope,
                       limit.lockout, limit.failures)
        return limit.lockout
    return 0


def clear(limit: Limit, value: str) -> None:
    Throttle.objects.filter(key=_key(limit, value)).delete()


def wait_message(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    if seconds < 60:
        return ngettext("Try again in %(n)d second.", "Try again in %(n)d seconds.",
                        seconds) % {"n": seconds}
    return ngettext("Try again in %(n)d minute.", "Try again in %(n)d minutes.",
                    minutes) % {"n": minutes}
