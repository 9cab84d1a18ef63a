"""`/metrics`: the engine's figures for Prometheus, read from the database at scrape time.

Every figure is a query over the shared tables (targets, their events, the worker registry), so
one scrape of any web process describes the whole deployment, however many `keryx worker`
processes run on however many machines; no process keeps counters of its own.

Access: with KERYX_METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>`;
without it, only callers on loopback (the address the request came from and every
X-Forwarded-For hop) are answered. Others get 403 (401 for a wrong token).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import (
    CollectorRegistry,
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from keryx.publishing.models import CLAIMABLE_STATES, PostTarget, TargetState
from keryx.publishing.workers import live_workers

logger = logging.getLogger(__name__)

# Lateness of a published delivery (published_at − the post's scheduled time), in seconds.
LATENESS_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
RATE_LIMITED_CODE = "rate_limited"


def _lateness() -> ExpressionWrapper:
    return ExpressionWrapper(F("published_at") - F("post__scheduled_at"),
                             output_field=DurationField())


def _seconds(value: object) -> float:
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) / 1_000_000  # SQLite sums durations as microseconds


class EngineCollector:
    """A prometheus_client collector whose collect() runs the queries."""

    def collect(self) -> Iterator[object]:
        now = timezone.now()
        up = GaugeMetricFamily("keryx_database_up", "1 when the database answered this scrape.")
        try:
            families = list(self._families(now))
        except DatabaseError as exc:
            logger.warning("metrics: database unreachable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self, now) -> Iterator[object]:  # noqa: ANN001
        targets = PostTarget.objects.all()

        deliveries = GaugeMetricFamily(
            "keryx_deliveries", "Deliveries (post × channel) by state and network.",
            labels=["state", "network"])
        for row in targets.values("state", "channel__network").annotate(n=Count("pk")).order_by():
            deliveries.add_metric([row["state"], row["channel__network"]], row["n"])
        yield deliveries

        attempts = CounterMetricFamily(
            "keryx_delivery_attempts", "Publishing attempts made, summed over deliveries.",
            labels=["network"])
        for row in targets.values("channel__network").annotate(n=Sum("attempts")).order_by():
            attempts.add_metric([row["channel__network"]], row["n"] or 0)
        yield attempts

        depth = GaugeMetricFamily(
            "keryx_queue_depth", "Deliveries due now and not claimed by any worker.",
            labels=["network"])
        oldest = GaugeMetricFamily(
            "keryx_oldest_overdue_seconds",
            "How long the oldest due, unclaimed delivery has waited (0 when none).")
        due = targets.filter(state__in=CLAIMABLE_STATES, due_at__lte=now)
        for row in due.values("channel__network").annotate(n=Count("pk")).order_by():
            depth.add_metric([row["channel__network"]], row["n"])
        first = due.order_by("due_at").values_list("due_at", flat=True).first()
        oldest.add_metric([], (now - first).total_seconds() if first else 0.0)
        yield depth
        yield oldest

        waiting = GaugeMetricFamily(
            "keryx_rate_limit_waits",
            "Deliveries waiting out a network's rate limit (Retry-After) right now.",
            labels=["network"])
        limited = targets.filter(state=TargetState.FAILED, error_code=RATE_LIMITED_CODE,
                                 due_at__gt=now)
        for row in limited.values("channel__network").annotate(n=Count("pk")).order_by():
            waiting.add_metric([row["channel__network"]], row["n"])
        yield waiting

        yield self._lateness(targets)

        workers = GaugeMetricFamily(
            "keryx_live_workers", "Engine processes whose heartbeat is recent, by role.",
            labels=["role"])
        counts = {role: 0 for role in ("serve", "worker", "scheduler")}
        for row in live_workers(now).values("role").annotate(n=Count("pk")).order_by():
            counts[row["role"]] = row["n"]
        for role, n in sorted(counts.items()):
            workers.add_metric([role], n)
        yield workers

    def _lateness(self, targets) -> HistogramMetricFamily:  # noqa: ANN001
        histogram = HistogramMetricFamily(
            "keryx_delivery_lateness_seconds",
            "Published deliveries by lateness: published_at minus the post's scheduled time.",
            labels=["network"])
        published = targets.filter(state=TargetState.PUBLISHED, published_at__isnull=False,
                                   post__scheduled_at__isnull=False).annotate(late=_lateness())
        aggregates = {f"le_{i}": Count("pk", filter=Q(late__lte=timedelta(seconds=b)))
                      for i, b in enumerate(LATENESS_BUCKETS)}
        rows = published.values("channel__network").annotate(
            total=Count("pk"), late_sum=Sum("late"), **aggregates).order_by()
        for row in rows:
            buckets = [(str(b), row[f"le_{i}"]) for i, b in enumerate(LATENESS_BUCKETS)]
            buckets.append(("+Inf", row["total"]))
            # Early deliveries (negative lateness) count as on time in the sum too.
            histogram.add_metric([row["channel__network"]], buckets,
                                 sum_value=max(0.0, _seconds(row["late_sum"])))
        return histogram


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip()).is_loopback
    except ValueError:
        return False


def allowed(request: HttpRequest) -> int:
    """0 when the caller may scrape, else the HTTP status to answer."""
    token = settings.KERYX_METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        scheme, _sep, value = sent.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(),
                                                              token.encode()):
            return 0
        return 401
    hops = [h for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    addresses = [request.META.get("REMOTE_ADDR", ""), *hops]
    return 0 if all(_is_loopback(a) for a in addresses) else 403


def render() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(EngineCollector())
    return generate_latest(registry)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    status = allowed(request)
    if status:
        message = ("Send Authorization: Bearer <KERYX_METRICS_TOKEN>." if status == 401 else
                   "Metrics are served to loopback only; set KERYX_METRICS_TOKEN to scrape "
                   "from elsewhere.")
        response = HttpResponse(message, status=status, content_type="text/plain")
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="keryx-metrics"'
        return response
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
