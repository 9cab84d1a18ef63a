"""`/healthz`: is the engine publishing on time? For a monitor or a load balancer's check.

It answers JSON, 200 when healthy and 503 when not:
- the database does not answer;
- no live worker (a `keryx serve` or `keryx worker` whose heartbeat is recent), so nothing
  publishes;
- a delivery is overdue by more than KERYX_HEALTH_OVERDUE_SECONDS (due, claimable, not
  claimed): the workers are behind or stuck.
A live worker whose clock is more than a second off the database's is a warning (still 200).
It needs no sign-in and shows no content: counts, ages, and the workers' host names and pids.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from keryx.publishing.models import CLAIMABLE_STATES, PostTarget
from keryx.publishing.scheduler import lost_claims
from keryx.publishing.workers import CLOCK_SKEW_WARNING_SECONDS, live_workers

logger = logging.getLogger(__name__)

PUBLISHING_ROLES = ("serve", "worker")


def health_report() -> tuple[bool, dict[str, Any]]:
    """(healthy, the report)."""
    now = timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        logger.warning("health check: database unreachable: %s", exc)
        return False, {"status": "unhealthy", "database": "unreachable",
                       "problems": ["The database does not answer."]}
    problems: list[str] = []
    warnings: list[str] = []

    workers = [
        {"host": w.host, "pid": w.pid, "role": w.role,
         "heartbeat_age_seconds": round((now - w.heartbeat_at).total_seconds(), 1),
         "clock_skew_seconds": w.clock_skew}
        for w in live_workers(now).order_by("host", "pid")
    ]
    if not any(w["role"] in PUBLISHING_ROLES for w in workers):
        problems.append("No worker is running: nothing is being published.")
    for w in workers:
        if w["clock_skew_seconds"] is not None and (
                abs(w["clock_skew_seconds"]) > CLOCK_SKEW_WARNING_SECONDS):
            warnings.append(f"The clock of {w['host']} (pid {w['pid']}) is "
                            f"{w['clock_skew_seconds']:+.1f} s off the database's.")

    due = PostTarget.objects.filter(state__in=CLAIMABLE_STATES, due_at__lte=now)
    oldest = due.order_by("due_at").values_list("due_at", flat=True).first()
    overdue_seconds = round((now - oldest).total_seconds(), 1) if oldest else 0.0
    if overdue_seconds > settings.KERYX_HEALTH_OVERDUE_SECONDS:
        problems.append(f"A delivery is {overdue_seconds:.0f} s overdue.")
    report = {
        "status": "unhealthy" if problems else "ok",
        "database": "ok",
        "workers": workers,
        "live_workers": sum(1 for w in workers if w["role"] in PUBLISHING_ROLES),
        "due_deliveries": due.count(),
        "oldest_overdue_seconds": overdue_seconds,
        "lost_claims": lost_claims(now).count(),
        "problems": problems,
        "warnings": warnings,
    }
    return not problems, report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)
