"""`/metrics`: Prometheus figures read from the database at scrape time, loopback-only unless a
token is configured."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from keryx.publishing import services, workers
from keryx.publishing.models import PostTarget, TargetState
from tests.support.engine import fast_passwords, loopback, make_channel, run_due  # noqa: F401


def _scrape(client, **headers) -> dict[str, list]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {f.name: f.samples for f in text_string_to_metric_families(response.content.decode())}


def _value(samples, name: str, **labels) -> float:
    found = [s.value for s in samples if s.name == name and all(
        s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (name, labels, samples)
    return found[0]


def test_metrics_count_deliveries_queue_lateness_attempts_and_workers(client, people, loopback):  # noqa: F811
    workers.register("worker")
    workers.register("scheduler")
    channel = make_channel(people.acme, loopback)
    for i in range(4):
        services.create_post(workspace=people.acme, author=people.alice, text=f"M {i}",
                             channels=[channel], actor="alice")
    assert run_due() == ["published"] * 4
    # Three more: one due now (queue depth), one waiting on a rate limit, one in the future.
    for i in range(3):
        services.create_post(workspace=people.acme, author=people.alice, text=f"N {i}",
                             channels=[channel], actor="alice")
    waiting, future = PostTarget.objects.filter(state=TargetState.SCHEDULED).order_by("pk")[1:]
    now = timezone.now()
    PostTarget.objects.filter(pk=waiting.pk).update(
        state=TargetState.FAILED, error_code="rate_limited", attempts=1,
        due_at=now + timedelta(seconds=60))
    PostTarget.objects.filter(pk=future.pk).update(due_at=now + timedelta(hours=1))
    PostTarget.objects.filter(state=TargetState.SCHEDULED, due_at__lte=now).update(
        due_at=now - timedelta(seconds=42))

    m = _scrape(client)
    assert _value(m["keryx_database_up"], "keryx_database_up") == 1
    deliveries = m["keryx_deliveries"]
    assert _value(deliveries, "keryx_deliveries", state="published", network="loopback") == 4
    assert _value(deliveries, "keryx_deliveries", state="scheduled", network="loopback") == 2
    assert _value(deliveries, "keryx_deliveries", state="failed", network="loopback") == 1
    assert _value(m["keryx_queue_depth"], "keryx_queue_depth", network="loopback") == 1
    assert 41 <= _value(m["keryx_oldest_overdue_seconds"], "keryx_oldest_overdue_seconds") < 60
    assert _value(m["keryx_rate_limit_waits"], "keryx_rate_limit_waits", network="loopback") == 1
    # Four publishes plus the rate-limited attempt.
    assert _value(m["keryx_delivery_attempts"], "keryx_delivery_attempts_total",
                  network="loopback") == 5
    lateness = m["keryx_delivery_lateness_seconds"]
    assert _value(lateness, "keryx_delivery_lateness_seconds_count", network="loopback") == 4
    assert _value(lateness, "keryx_delivery_lateness_seconds_bucket", network="loopback",
                  le="+Inf") == 4
    assert _value(lateness, "keryx_delivery_lateness_seconds_bucket", network="loopback",
                  le="60.0") == 4
    assert 0 <= _value(lateness, "keryx_delivery_lateness_seconds_sum", network="loopback") < 60
    live = m["keryx_live_workers"]
    assert _value(live, "keryx_live_workers", role="worker") == 1
    assert _value(live, "keryx_live_workers", role="scheduler") == 1
    assert _value(live, "keryx_live_workers", role="serve") == 0


def test_a_late_delivery_lands_in_the_right_bucket(client, people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    services.create_post(workspace=people.acme, author=people.alice, text="Late",
                         channels=[channel], actor="alice")
    run_due()
    target = PostTarget.objects.get()
    target.post.__class__.objects.filter(pk=target.post_id).update(
        scheduled_at=target.published_at - timedelta(seconds=45))
    lateness = _scrape(client)["keryx_delivery_lateness_seconds"]
    bucket = {s.labels["le"]: s.value for s in lateness if s.name.endswith("_bucket")}
    assert bucket["30.0"] == 0 and bucket["60.0"] == 1
    assert 44.5 <= _value(lateness, "keryx_delivery_lateness_seconds_sum") <= 46


def test_metrics_are_refused_off_loopback_without_a_token(client, db):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    # Through a proxy on loopback, the forwarded client decides.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403


def test_with_a_token_every_scrape_must_send_it(client, db, settings):
    settings.KERYX_METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 401  # loopback is not enough any more
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    ok = client.get("/metrics", REMOTE_ADDR="203.0.113.9",
                    HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert ok.status_code == 200 and b"keryx_deliveries" in ok.content
