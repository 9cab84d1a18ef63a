"""Per-app request budgets for collecting (not only per channel).

Some networks count requests for the whole app, whatever the channel: Reddit 100 a minute
per OAuth client, YouTube 10,000 quota units a day per API project, TikTok's Display API 600
a minute per endpoint, Pinterest trial apps 1,000 a day, Bluesky 3,000 per 5 minutes per IP.
Each provider declares them (Capabilities.metrics_spec.rate, scope "app"); a deployment may
set its own figures with the setting KERYX_ANALYTICS_APP_BUDGETS = {"reddit": (600, 600)}
(requests, seconds), for an app granted more.

How: one AppBudget row per network holds the requests used in the current fixed window.
A process reserves a few requests at a time with one guarded UPDATE (`used + n <= limit`), so
however many workers collect, the app's total stays under the budget; requests a process
reserved and did not use are lost when it stops (the count errs on the safe side). Every
HTTP request a provider makes while collecting takes one (`meter`). When the budget is spent
the request waits if the window ends soon (MAX_WAIT), else it raises RateLimited with the
time left, and the collector puts the jobs off until then.

A 429 on the app's own limit (RateLimited.scope == "app") pauses the network until the reset
the network gave (`pause`): every process sees the pause in the row, and the collector puts
every channel's due jobs of that network off to the same time.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone

from keryx.analytics.models import AppBudget, CollectionJob, JobStatus
from keryx.networks.base import Capabilities, RateBudget, RateLimited
from keryx.networks.http import spent_for

# A request waits this long at most for the window to turn; longer waits go back to the queue.
MAX_WAIT = 5.0
# Requests reserved per UPDATE: a fiftieth of the budget, 1 to 20.
MAX_CHUNK = 20

# A pause read from the database is trusted this long by the process (one SELECT per network
# every few seconds, not one per request); pause() updates it at once.
PAUSE_CACHE = 2.0

_lock = threading.Lock()
_reserved: dict[tuple[str, float], int] = {}
_pauses: dict[str, tuple[float, datetime | None, str]] = {}


def budget_for(network: str, capabilities: Capabilities) -> RateBudget | None:
    """The app-wide budget collecting on `network` respects (the setting wins)."""
    override = (getattr(settings, "KERYX_ANALYTICS_APP_BUDGETS", None) or {}).get(network)
    if override:
        requests, seconds = override
        return RateBudget(int(requests), float(seconds), scope="app", source="setting")
    spec = capabilities.metrics_spec
    return spec.app_budget() if spec is not None else None


def _window(budget: RateBudget, now: float) -> float:
    return math.floor(now / budget.per_seconds) * budget.per_seconds


def _row(network: str) -> None:
    if not AppBudget.objects.filter(network=network).exists():
        try:
            AppBudget.objects.create(network=network)
        except IntegrityError:
            pass  # another process made it first


def paused_for(network: str, now: datetime | None = None) -> tuple[float, str]:
    """(seconds the network's app is still paused, why); (0, "") when it is not."""
    now = now or timezone.now()
    with _lock:
        cached = _pauses.get(network)
    if cached is not None and time.monotonic() - cached[0] < PAUSE_CACHE:
        until, reason = cached[1], cached[2]
    else:
        row = AppBudget.objects.filter(network=network).values(
            "paused_until", "pause_reason").first() or {}
        until, reason = row.get("paused_until"), row.get("pause_reason") or ""
        with _lock:
            _pauses[network] = (time.monotonic(), until, reason)
    if not until or until <= now:
        return 0.0, ""
    return (until - now).total_seconds(), reason


def chunk_for(budget: RateBudget) -> int:
    """Requests a process reserves at once: a fiftieth of the budget, 1 to MAX_CHUNK."""
    return max(1, min(MAX_CHUNK, budget.requests // 50))


def take(network: str, budget: RateBudget, *, clock: Callable[[], float] = time.time,
         chunk: int | None = None) -> float:
    """Take one request from the app's budget: 0.0 if it may go now, else the seconds until
    the current window ends (pauses are checked apart, see paused_for)."""
    now = clock()
    start = _window(budget, now)
    key = (network, start)
    with _lock:
        if _reserved.get(key, 0) > 0:
            _reserved[key] -= 1
            return 0.0
    chunk = chunk or chunk_for(budget)
    got = 0
    for attempt in range(2):
        for size in dict.fromkeys((chunk, 1)):
            if AppBudget.objects.filter(network=network, window_start=start,
                                        used__lte=budget.requests - size).update(
                    used=F("used") + size):
                got = size
                break
            # A new window: the first process to see it starts the count again.
            if AppBudget.objects.filter(network=network, window_start__lt=start).update(
                    window_start=start, used=min(size, budget.requests)):
                got = min(size, budget.requests)
                break
        if got or attempt or AppBudget.objects.filter(network=network).exists():
            break
        _row(network)  # the network's first request ever: make its row, then try again
    if not got:
        return max(0.0, start + budget.per_seconds - now)
    with _lock:
        for old in [k for k in _reserved if k[0] == network and k != key]:
            del _reserved[old]
        _reserved[key] = _reserved.get(key, 0) + got - 1
    return 0.0


def pause(network: str, seconds: float, reason: str, *, now: datetime | None = None) -> datetime:
    """The network said the app itself is over its limit: every process waits until then,
    and every due collection job of that network is put off to the same time."""
    now = now or timezone.now()
    until = now + timedelta(seconds=max(1.0, seconds))
    _row(network)
    AppBudget.objects.filter(network=network).exclude(paused_until__gte=until).update(
        paused_until=until, pause_reason=reason[:2000])
    with _lock:
        _pauses.pop(network, None)  # read again: another process may pause for longer
    CollectionJob.objects.filter(channel__network=network, due_at__isnull=False,
                                 due_at__lt=until, claim_token="").update(
        due_at=until, last_status=JobStatus.RATE_LIMITED,
        last_message=f"Every {network} channel waits (a limit of the whole app): {reason}"[:2000])
    return until


def meter(provider: Any, network: str, budget: RateBudget | None, *,
          max_wait: float = MAX_WAIT, sleep: Callable[[float], None] = time.sleep) -> None:
    """Make every HTTP request of `provider` wait out a pause of the network's app, then take
    one request from the app's budget (when the network has one). Once an answer says the
    token has no request left (X-RateLimit-Remaining: 0), the provider's next request is not
    sent: it raises RateLimited until the reset the network gave, instead of earning a 429."""
    seam = provider.http
    send = seam.request
    label = getattr(provider, "display_name", network)
    spent_until = [0.0]  # this provider's token: no request left until then (time.time())

    def sent(*args: Any, **kwargs: Any) -> Any:
        response = send(*args, **kwargs)
        headers = getattr(response, "headers", None)
        wait = spent_for(headers) if headers is not None else None
        if wait is not None:
            spent_until[0] = time.time() + wait
        return response

    def request(*args: Any, **kwargs: Any) -> Any:
        paused, reason = paused_for(network)
        if paused > 0:
            raise RateLimited(f"Readings on {label} wait {math.ceil(paused)} s more, for the "
                              f"whole app: {reason}", retry_after=paused, scope="app")
        left = spent_until[0] - time.time()
        if left > 0:
            raise RateLimited(f"This channel's {label} token has no request left until the "
                              f"network's reset; the next readings wait {math.ceil(left)} s.",
                              retry_after=left, scope="channel")
        while budget is not None:
            wait = take(network, budget)
            if wait <= 0:
                return sent(*args, **kwargs)
            if wait > max_wait:
                raise RateLimited(
                    f"Keryx's budget for the {label} app ({budget.requests} requests per "
                    f"{budget.per_seconds:g} s, shared by every channel) is spent; the next "
                    f"readings wait {math.ceil(wait)} s.", retry_after=wait, scope="app")
            sleep(wait)
        return sent(*args, **kwargs)

    seam.request = request


def reset_process_reservations() -> None:
    """Forget this process's reserved requests and cached pauses (tests; a forked process)."""
    with _lock:
        _reserved.clear()
        _pauses.clear()


__all__ = ["budget_for", "chunk_for", "meter", "pause", "paused_for",
           "reset_process_reservations", "take"]
