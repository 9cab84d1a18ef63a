"""Listening alerts end to end: rules evaluated over stored results (spike, negative surge,
author; once per episode), delivered in-app to the workspace's members, by e-mail (locmem
outbox) and to a real loopback webhook that checks the signature; failed deliveries retried
on later ticks, logged and capped; private webhook addresses refused; the API."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from keryx.approvals.models import Notification
from keryx.core.models import UserProfile
from keryx.listening import alert_delivery, alerts, services, spikes, webhooks
from keryx.listening.models import Alert, AlertDelivery, AlertRule, Match, Result, SavedSearch
from keryx.queues import periodic
from tests.api_support import Caller

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # a Friday, on the hour
HOUR = timedelta(hours=1)


def _search(workspace, name="Brand", **extra) -> SavedSearch:
    return SavedSearch.objects.create(workspace=workspace, name=name, query="acme",
                                      networks=["rss"], **extra)


_serial = iter(range(10**9))


def _seed(search: SavedSearch, hour: datetime, n: int, negative: int = 0,
          author: str = "someone") -> list[Result]:
    """n results published within `hour`, the first `negative` of them negative."""
    rows = [Result(workspace=search.workspace, network="mastodon",
                   remote_id=f"r{next(_serial)}", author_handle=author, text=f"acme {i}",
                   url=f"https://m.example/@{author}/{i}",
                   sentiment="negative" if i < negative else "neutral", language="en",
                   published_at=hour + timedelta(seconds=(i * 3599) // max(n, 1)))
            for i in range(n)]
    made = Result.objects.bulk_create(rows)
    Match.objects.bulk_create(Match(search=search, result=r, published_at=r.published_at,
                                    network=r.network, sentiment=r.sentiment) for r in made)
    return made


def _noise(search: SavedSearch, hours: int, *, start: datetime, seed: int = 7,
           negative_share: float = 0.0) -> None:
    rng = random.Random(seed)
    for h in range(hours):
        n = max(0, int(rng.gauss(20, 4.5)))
        _seed(search, start + h * HOUR, n, negative=round(n * negative_share))


def _at(hour: datetime, minutes: int = 30) -> datetime:
    return hour + timedelta(minutes=minutes)


# -- evaluation -------------------------------------------------------------------------------


def test_spike_fires_on_a_burst_once_per_episode_and_not_on_noise(people):
    search = _search(people.acme)
    rule = alerts.create_rule(search, kind="spike", in_app=False, emails=["ops@example.org"])
    _noise(search, 168 + 48, start=BASE)
    # Hour by hour over the last 48 hours of noise: nothing fires.
    for h in range(168, 168 + 48):
        assert alerts.evaluate_search(search, now=_at(BASE + (h + 1) * HOUR)) == []
    burst = BASE + (168 + 48) * HOUR
    _seed(search, burst, 80)
    # Fired early, during the hour itself.
    fired = alerts.evaluate_search(search, now=_at(burst, 40))
    assert len(fired) == 1
    alert = fired[0]
    assert (alert.kind, alert.count, alert.period_start) == ("spike", 80, burst)
    assert alert.figures["partial"] is True
    # The figures are the spike test's own, over the 168 hours before.
    window = [Match.objects.filter(search=search, published_at__gte=burst - i * HOUR,
                                   published_at__lt=burst - (i - 1) * HOUR).count()
              for i in range(168, 0, -1)]
    expected = spikes.spike(window, 80)
    assert alert.baseline == pytest.approx(expected.baseline)
    assert alert.threshold == pytest.approx(expected.threshold, abs=1e-3)
    assert 15 <= alert.baseline <= 25 < alert.threshold < 80
    # The same episode: the hour completes, the next is high too — no second alert.
    _seed(search, burst + HOUR, 85)
    assert alerts.evaluate_search(search, now=_at(burst + HOUR, 10)) == []
    assert alerts.evaluate_search(search, now=_at(burst + 2 * HOUR, 5)) == []
    # Back to normal for a complete hour re-arms it; the next burst is a new episode.
    _seed(search, burst + 2 * HOUR, 20)
    assert alerts.evaluate_search(search, now=_at(burst + 3 * HOUR, 1)) == []
    _seed(search, burst + 3 * HOUR, 90)
    assert [a.count for a in alerts.evaluate_search(search, now=_at(burst + 3 * HOUR))] == [90]
    assert Alert.objects.filter(rule=rule).count() == 2
    # Irrelevant results do not count.
    assert len(mail.outbox) == 2
    assert "80 results" in mail.outbox[0].body and "median" in mail.outbox[0].body


def test_a_second_evaluation_of_the_same_hour_cannot_fire_twice(people):
    search = _search(people.acme)
    rule = alerts.create_rule(search, kind="spike", in_app=False, emails=["a@example.org"])
    _seed(search, BASE, 40)
    assert len(alerts.evaluate_search(search, now=_at(BASE))) == 1
    # Another process that read the rule before the first saved its state.
    AlertRule.objects.filter(pk=rule.pk).update(active=False, evaluated_until=None)
    assert alerts.evaluate_search(search, now=_at(BASE)) == []
    assert Alert.objects.count() == 1


def test_quiet_search_and_irrelevant_results_do_not_fire(people):
    search = _search(people.acme)
    alerts.create_rule(search, kind="spike", in_app=False, emails=["a@example.org"])
    _seed(search, BASE, 9)  # under min_count on an empty baseline
    assert alerts.evaluate_search(search, now=_at(BASE)) == []
    made = _seed(search, BASE, 30)
    for result in made:
        services.mark_irrelevant(result, people.alice)
    assert alerts.evaluate_search(search, now=_at(BASE, 50)) == []


def test_negative_surge(people):
    search = _search(people.acme)
    rule = alerts.create_rule(search, kind="negative_surge", in_app=False,
                              emails=["a@example.org"])
    _noise(search, 168, start=BASE, negative_share=0.1)
    hour = BASE + 168 * HOUR
    _seed(search, hour, 20, negative=4)  # 20 %: not enough over ~10 %
    assert alerts.evaluate_search(search, now=_at(hour + HOUR, 1)) == []
    _seed(search, hour + HOUR, 24, negative=14)  # 58 %, 14 negative
    fired = alerts.evaluate_search(search, now=_at(hour + 2 * HOUR, 1))
    assert [(a.kind, a.count) for a in fired] == [("negative_surge", 14)]
    alert = fired[0]
    assert alert.figures["total"] == 24 and alert.figures["share"] == pytest.approx(14 / 24,
                                                                                     abs=1e-3)
    assert 0.08 < alert.baseline < 0.12
    assert alert.threshold == pytest.approx(alert.baseline + rule.share_jump)
    assert "14 negative results of 24" in mail.outbox[0].body
    # A volume spike rule on the same hours stays quiet: 24 is ordinary volume.
    alerts.create_rule(search, kind="spike", in_app=False, emails=["a@example.org"])
    assert alerts.evaluate_search(search, now=_at(hour + 2 * HOUR, 2)) == []


def test_author_alert_on_any_new_result_from_a_listed_author(people):
    search = _search(people.acme)
    _seed(search, BASE, 1, author="troll@mastodon.example")  # before the rule: not alerted
    rule = alerts.create_rule(search, kind="author", authors=["@Troll@Mastodon.example",
                                                              "critic.bsky.social"],
                              in_app=False, emails=["a@example.org"])
    assert rule.authors == ["troll@mastodon.example", "critic.bsky.social"]
    _seed(search, BASE + HOUR, 3, author="fan@mastodon.example")
    assert alerts.evaluate_search(search, now=_at(BASE + HOUR)) == []
    made = _seed(search, BASE + HOUR, 2, author="troll@mastodon.example")
    _seed(search, BASE + HOUR, 1, author="@critic.bsky.social")
    fired = alerts.evaluate_search(search, now=_at(BASE + HOUR, 40))
    assert len(fired) == 1
    assert fired[0].count == 3
    assert set(fired[0].result_ids) >= {r.pk for r in made}
    assert fired[0].figures["authors"] == ["critic.bsky.social", "troll@mastodon.example"]
    assert "https://m.example/@troll@mastodon.example/0" in mail.outbox[0].body
    # Seen once: the next evaluation has nothing new.
    assert alerts.evaluate_search(search, now=_at(BASE + HOUR, 45)) == []
    with pytest.raises(alerts.AlertError, match="author handle"):
        alerts.create_rule(search, kind="author", authors=[" ", "@"])


# -- delivery ---------------------------------------------------------------------------------


def test_in_app_notification_for_the_workspaces_members_in_their_language(people):
    UserProfile.objects.update_or_create(user=people.charlie, defaults={"language": "el"})
    search = _search(people.acme)
    alerts.create_rule(search, kind="spike")
    _seed(search, BASE, 30)
    [alert] = alerts.evaluate_search(search, now=_at(BASE))
    notes = Notification.objects.filter(kind="listening_alert")
    assert {n.user_id for n in notes} == {people.alice.pk, people.charlie.pk}  # not bob
    assert all(n.workspace_id == people.acme.pk and n.actor_label == "Brand" for n in notes)
    assert all(n.link == alert_delivery.search_link(search) for n in notes)
    english = notes.get(user=people.alice).detail
    greek = notes.get(user=people.charlie).detail
    assert "30 results" in english and english != greek and "30" in greek
    assert mail.outbox == []  # in-app only: the rule has no e-mail addresses
    delivery = AlertDelivery.objects.get(alert=alert)
    assert (delivery.channel, delivery.status, delivery.target) == ("in_app", "ok", "2")
    client = Client()
    client.force_login(people.alice)
    page = client.get(reverse("approvals:notifications")).content.decode()
    assert "Listening alert for “Brand”" in page and "30 results" in page


def test_email_in_the_recipients_language(people):
    UserProfile.objects.update_or_create(user=people.charlie, defaults={"language": "el"})
    search = _search(people.acme, name="Acme <b>brand</b>\r\nBcc: x@evil.example")
    alerts.create_rule(search, kind="spike", in_app=False,
                       emails=["ops@example.org", "Charlie@Example.com"], language="en")
    _seed(search, BASE, 30)
    alerts.evaluate_search(search, now=_at(BASE))
    assert sorted(m.to[0] for m in mail.outbox) == ["Charlie@Example.com", "ops@example.org"]
    by = {m.to[0]: m for m in mail.outbox}
    assert "Acme <b>brand</b> Bcc: x@evil.example" in by["ops@example.org"].subject
    assert all(m.bcc == [] and "\n" not in m.subject for m in mail.outbox)
    assert "30 results" in by["ops@example.org"].body
    assert "30 results" not in by["Charlie@Example.com"].body  # Greek
    assert set(AlertDelivery.objects.values_list("channel", "status")) == {("email", "ok")}


class _Receiver(BaseHTTPRequestHandler):
    secret = ""
    answers: list[int] = []
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = webhooks.verify(self.secret, self.headers.get("X-Keryx-Timestamp", ""), body,
                             self.headers.get("X-Keryx-Signature", ""))
        code = self.answers.pop(0) if self.answers else 200
        self.seen.append({"ok": ok, "body": json.loads(body)})
        self.send_response(code if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    _Receiver.answers, _Receiver.seen, _Receiver.secret = [], [], ""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_webhook_to_a_loopback_receiver_that_checks_the_signature(people, receiver):
    search = _search(people.acme)
    rule = alerts.create_rule(search, kind="spike", in_app=False, webhook_url=receiver)
    _Receiver.secret = rule.webhook_secret["secret"]
    assert len(_Receiver.secret) == 64
    _seed(search, BASE, 30)
    [alert] = alerts.evaluate_search(search, now=_at(BASE))
    [seen] = _Receiver.seen
    assert seen["ok"] is True
    body = seen["body"]
    assert (body["event"], body["kind"], body["id"], body["count"]) == (
        "listening.alert", "spike", alert.pk, 30)
    assert body["search"] == {"id": search.pk, "name": "Brand"}
    assert body["threshold"] == alert.threshold and "30 results" in body["text"]
    delivery = AlertDelivery.objects.get(alert=alert)
    assert (delivery.status, delivery.status_code, delivery.retry_at) == ("ok", 200, None)
    # The secret is encrypted at rest.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_secret FROM listening_alertrule WHERE id = %s",
                       [rule.pk])
        raw = cursor.fetchone()[0]
    assert _Receiver.secret not in raw
    # A wrong secret: the receiver refuses (401), which is not retried.
    alerts.rotate_secret(rule, "another-secret-of-length")
    _seed(search, BASE + 3 * HOUR, 30)
    alerts.evaluate_search(search, now=_at(BASE + 3 * HOUR))
    last = AlertDelivery.objects.latest("pk")
    assert (last.status, last.status_code, last.retry_at) == ("failed", 401, None)


def test_failing_receiver_is_retried_on_later_ticks_logged_and_capped(people, receiver):
    search = _search(people.acme)
    rule = alerts.create_rule(search, kind="spike", in_app=False, webhook_url=receiver)
    _Receiver.secret = rule.webhook_secret["secret"]
    _Receiver.answers = [500, 503]
    _seed(search, BASE, 30)
    now = _at(BASE)
    [alert] = alerts.evaluate_search(search, now=now)
    first = AlertDelivery.objects.get(alert=alert)
    assert (first.attempt, first.status, first.status_code) == (1, "failed", 500)
    assert first.retry_at == now + alert_delivery.RETRY_AFTER[0]
    assert alert_delivery.retry_due(now=now + timedelta(seconds=30)) == 0  # not due yet
    assert alert_delivery.retry_due(now=now + timedelta(minutes=1)) == 1
    assert alert_delivery.retry_due(now=now + timedelta(minutes=1)) == 0  # claimed once
    assert alert_delivery.retry_due(now=now + timedelta(minutes=7)) == 1
    log = list(AlertDelivery.objects.filter(alert=alert).order_by("attempt"))
    assert [(d.attempt, d.status, d.status_code) for d in log] == [
        (1, "failed", 500), (2, "failed", 503), (3, "ok", 200)]
    assert all(d.retry_at is None for d in log)
    assert all(s["ok"] for s in _Receiver.seen) and len(_Receiver.seen) == 3
    # A receiver that never recovers: MAX_ATTEMPTS in all, then it gives up.
    _Receiver.answers = [500] * 20
    _seed(search, BASE + 3 * HOUR, 30)
    now = _at(BASE + 3 * HOUR)
    [alert] = alerts.evaluate_search(search, now=now)
    for minutes in range(0, 24 * 60, 10):
        alert_delivery.retry_due(now=now + timedelta(minutes=minutes))
    log = list(AlertDelivery.objects.filter(alert=alert).order_by("attempt"))
    assert [d.attempt for d in log] == list(range(1, alert_delivery.MAX_ATTEMPTS + 1))
    assert all(d.status == "failed" for d in log) and log[-1].retry_at is None
    assert "Gave up after 5 attempts" in log[-1].error


def test_unreachable_receiver_is_a_network_error_retried(people, settings):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    port = server.server_address[1]
    server.server_close()  # nobody listens there any more
    search = _search(people.acme)
    alerts.create_rule(search, kind="spike", in_app=False,
                       webhook_url=f"http://127.0.0.1:{port}/hook")
    _seed(search, BASE, 30)
    [alert] = alerts.evaluate_search(search, now=_at(BASE))
    row = AlertDelivery.objects.get(alert=alert)
    assert row.status == "failed" and row.status_code is None and row.error
    assert row.retry_at is not None


def test_private_webhook_refused_without_the_setting(people, settings):
    settings.ALLOWED_PRIVATE_HOSTS = []
    search = _search(people.acme)
    for url in ("http://127.0.0.1:9/hook", "http://[::1]/x", "http://10.1.2.3/hook",
                "http://localhost/hook"):
        with pytest.raises(alerts.AlertError, match="private or local") as caught:
            alerts.create_rule(search, kind="spike", webhook_url=url)
        assert caught.value.code == "blocked_webhook"
    for url in ("ftp://example.org/x", "http:///nohost", "javascript:alert(1)"):
        with pytest.raises(alerts.AlertError, match="http"):
            alerts.create_rule(search, kind="spike", webhook_url=url)
    with pytest.raises(services.ListeningError, match="private or local"):
        services.create_search(people.acme, name="Hooked", query="acme",
                               networks=["rss"], alert_webhook_url="http://127.0.0.1/hook")
    # Allowed when the rule was made, refused at delivery once the allowance is gone.
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    alerts.create_rule(search, kind="spike", in_app=False, webhook_url="http://127.0.0.1:9/h")
    settings.ALLOWED_PRIVATE_HOSTS = []
    _seed(search, BASE, 30)
    [alert] = alerts.evaluate_search(search, now=_at(BASE))
    row = AlertDelivery.objects.get(alert=alert)
    assert (row.status, row.retry_at) == ("blocked", None)
    assert "KERYX_ALLOWED_PRIVATE_HOSTS" in row.error


def test_bad_rule_input_is_refused_with_the_field(people):
    search = _search(people.acme)
    cases = [({"kind": "volcano"}, "kind"), ({"kind": "spike", "emails": ["not-an-address"]},
                                             "emails"),
             ({"kind": "spike", "k": float("nan")}, "k"), ({"kind": "spike", "k": 0}, "k"),
             ({"kind": "spike", "window_hours": 3}, "window_hours"),
             ({"kind": "spike", "share_jump": 2}, "share_jump"),
             ({"kind": "negative_surge", "min_negative": 1}, "min_negative"),
             ({"kind": "spike", "language": "xx"}, "language"),
             ({"kind": "spike", "in_app": False}, "in_app"),
             ({"kind": "spike", "webhook_url": "https://x.example/" + "a" * 1000},
              "webhook_url"),
             ({"kind": "spike", "webhook_url": "https://hooks.example/x",
               "webhook_secret": "short"}, "webhook_secret")]
    for fields, where in cases:
        with pytest.raises(alerts.AlertError) as caught:
            alerts.create_rule(search, **fields)
        assert caught.value.field == where, fields
    assert not AlertRule.objects.exists()


# -- the search's alert webhook, the periodic job ---------------------------------------------


def test_the_searchs_alert_webhook_is_a_default_spike_rule(people, receiver):
    search = services.create_search(people.acme, name="Hooked", query="acme",
                                    networks=["rss"], alert_webhook_url=receiver)
    rule = AlertRule.objects.get(search=search)
    assert (rule.kind, rule.from_search, rule.webhook_url, rule.enabled) == (
        "spike", True, receiver, True)
    _Receiver.secret = rule.webhook_secret["secret"]
    _seed(search, BASE, 30)
    alerts.evaluate_search(search, now=_at(BASE))
    assert [s["ok"] for s in _Receiver.seen] == [True]
    services.update_search(search, alert_webhook_url=receiver + "2")
    rule.refresh_from_db()
    assert rule.webhook_url == receiver + "2" and rule.enabled
    services.update_search(search, alert_webhook_url="")
    rule.refresh_from_db()
    assert not rule.enabled and rule.webhook_url == ""
    assert Alert.objects.filter(rule=rule).count() == 1  # history kept
    # A search saved before the rules existed gets its rule at its next evaluation.
    old = _search(people.acme, name="Old", alert_webhook_url=receiver)
    alerts.evaluate_search(old, now=_at(BASE))
    assert AlertRule.objects.filter(search=old, from_search=True).count() == 1


def test_the_periodic_listening_job_evaluates_and_retries(people, receiver):
    search = _search(people.acme)
    rule = alerts.create_rule(search, kind="spike", in_app=False, webhook_url=receiver)
    _Receiver.secret = rule.webhook_secret["secret"]
    _Receiver.answers = [500]
    from django.utils import timezone

    hour = timezone.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    _seed(search, hour, 30)
    assert periodic.run_once({"listening"}) == {"listening": 1}
    alert = Alert.objects.get(rule=rule)
    row = AlertDelivery.objects.get(alert=alert)
    assert row.status == "failed"
    AlertDelivery.objects.filter(pk=row.pk).update(retry_at=timezone.now() - HOUR)
    periodic.run_once({"listening"})  # the search is not due, the retry is
    assert list(AlertDelivery.objects.filter(alert=alert).values_list("attempt", "status")
                .order_by("attempt")) == [(1, "failed"), (2, "ok")]
    assert Alert.objects.count() == 1


# -- API --------------------------------------------------------------------------------------


def test_api_rules_and_alerts(people, settings):
    settings.ALLOWED_PRIVATE_HOSTS = []
    search = _search(people.acme)
    alice = Caller(people.alice)
    made = alice.post(f"/listening/searches/{search.pk}/rules",
                      {"kind": "author", "authors": ["@Troll"], "emails": ["a@example.org"],
                       "webhook_url": "https://hooks.example/keryx"})
    assert made.status_code == 201, made.content
    rule = made.json()
    assert rule["authors"] == ["troll"] and rule["webhook_secret_set"]
    assert len(rule["webhook_secret"]) == 64
    listed = alice.get(f"/listening/searches/{search.pk}/rules").json()
    assert [r["id"] for r in listed] == [rule["id"]] and "webhook_secret" not in listed[0]
    changed = alice.patch(f"/listening/rules/{rule['id']}", {"authors": ["troll", "critic"]})
    assert changed.status_code == 200 and changed.json()["authors"] == ["troll", "critic"]
    bad = alice.patch(f"/listening/rules/{rule['id']}", {"webhook_url": "http://127.0.0.1/x"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "blocked_webhook"
    bad = alice.post(f"/listening/searches/{search.pk}/rules", {"kind": "nope"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "kind"
    fresh = alice.post(f"/listening/rules/{rule['id']}/secret", {}).json()["webhook_secret"]
    assert fresh != rule["webhook_secret"]
    assert AlertRule.objects.get(pk=rule["id"]).webhook_secret["secret"] == fresh
    # An alert, listed with its figures, its sentence and its deliveries.
    AlertRule.objects.filter(pk=rule["id"]).update(webhook_url="")
    _seed(search, BASE, 1, author="troll")
    alerts.evaluate_search(search, now=_at(BASE))
    page = alice.get("/listening/alerts", search=search.pk).json()
    assert page["count"] == 1
    alert = page["alerts"][0]
    assert alert["kind"] == "author" and alert["text"] == "1 new result from @troll."
    assert [d["channel"] for d in alert["deliveries"]] == ["in_app", "email"]
    assert alice.get(f"/listening/alerts/{alert['id']}").json()["id"] == alert["id"]
    # Viewers read, do not change; another workspace sees nothing.
    charlie = Caller(people.charlie)
    assert charlie.get("/listening/alerts").json()["count"] == 1
    assert charlie.post(f"/listening/searches/{search.pk}/rules",
                        {"kind": "spike"}).status_code == 403
    bob = Caller(people.bob)
    assert bob.get(f"/listening/rules/{rule['id']}").status_code == 404
    assert bob.get(f"/listening/alerts/{alert['id']}").status_code == 404
    assert bob.get(f"/listening/searches/{search.pk}/rules").status_code == 404
    assert bob.get("/listening/alerts").json()["count"] == 0
    assert bob.patch(f"/listening/rules/{rule['id']}", {"enabled": False}).status_code == 404
    assert alice.raw("delete", f"/listening/rules/{rule['id']}", "", "application/json"
                     ).status_code == 204
    assert not AlertRule.objects.exists() and not Alert.objects.exists()


def test_a_rule_enabled_again_or_of_another_kind_starts_afresh(people):
    search = _search(people.acme)
    rule = alerts.create_rule(search, kind="author", authors=["troll"], in_app=False,
                              emails=["a@example.org"])
    alerts.update_rule(rule, enabled=False)
    _seed(search, BASE, 3, author="troll")  # found while the rule was off
    alerts.update_rule(rule, enabled=True)
    assert alerts.evaluate_search(search, now=_at(BASE)) == []
    _seed(search, BASE, 1, author="troll")
    assert [a.count for a in alerts.evaluate_search(search, now=_at(BASE))] == [1]
    alerts.update_rule(rule, kind="spike")
    rule.refresh_from_db()
    assert (rule.active, rule.evaluated_until) == (False, None)


def test_searches_saved_with_a_webhook_before_alerts_get_their_rule():
    import importlib

    from django.apps import apps

    from keryx.core.models import Workspace

    step = importlib.import_module(
        "keryx.listening.migrations.0003_alert_rules_from_search_webhooks")
    workspace = Workspace.objects.create(name="W", slug="w")
    with_hook = _search(workspace, name="A", alert_webhook_url="https://hooks.example/a")
    _search(workspace, name="B")
    step.forwards(apps, None)
    step.forwards(apps, None)  # twice: still one
    rule = AlertRule.objects.get()
    assert (rule.search_id, rule.kind, rule.from_search) == (with_hook.pk, "spike", True)
    assert len(rule.webhook_secret["secret"]) == 64


def test_a_notification_with_a_link_renders_it(people):
    Notification.objects.create(user=people.alice, workspace=people.acme,
                                kind="listening_alert", actor_label="<i>Brand</i>",
                                detail="30 results", link="/listening/7/")
    client = Client()
    client.force_login(people.alice)
    page = client.get(reverse("approvals:notifications")).content.decode()
    assert '<a href="/listening/7/">Listening alert for “&lt;i&gt;Brand&lt;/i&gt;”' in page
