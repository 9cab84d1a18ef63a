"""Scheduled reports: the last complete week or month in the workspace's time zone, claimed by
one process of two, e-mailed once per period with the PDF attached to members and outside
addresses, a failed send recorded and tried again, never sent twice; the UI to make and
delete them, for the roles that may."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
from django.core import mail
from django.db import connection

from keryx.analytics.reports import schedule
from keryx.analytics.reports.models import ScheduledReport
from keryx.channels.models import Channel
from keryx.queues import periodic
from tests.support.analytics_data import followers, measured

ATHENS = ZoneInfo("Europe/Athens")
# A Wednesday; the week before it is Mon 2026-03-02 .. Sun 2026-03-08 (Athens).
WEDNESDAY = datetime(2026, 3, 11, 12, 0, tzinfo=ATHENS)


def test_the_last_complete_week_and_month():
    assert schedule.last_complete_period("weekly", date(2026, 3, 11)) == \
        schedule.ReportPeriod(date(2026, 3, 2), date(2026, 3, 8))
    assert schedule.last_complete_period("weekly", date(2026, 3, 9)) == \
        schedule.ReportPeriod(date(2026, 3, 2), date(2026, 3, 8))  # a Monday: last week
    assert schedule.last_complete_period("monthly", date(2026, 3, 1)) == \
        schedule.ReportPeriod(date(2026, 2, 1), date(2026, 2, 28))
    assert schedule.last_complete_period("monthly", date(2024, 3, 31)) == \
        schedule.ReportPeriod(date(2024, 2, 1), date(2024, 2, 29))
    assert schedule.last_complete_period("monthly", date(2026, 1, 15)) == \
        schedule.ReportPeriod(date(2025, 12, 1), date(2025, 12, 31))


def test_the_next_run_is_the_morning_after_the_running_period_in_local_time():
    assert schedule.next_run_after("weekly", WEDNESDAY, ATHENS) == \
        datetime(2026, 3, 16, 7, 0, tzinfo=ATHENS)
    assert schedule.next_run_after("monthly", WEDNESDAY, ATHENS) == \
        datetime(2026, 4, 1, 7, 0, tzinfo=ATHENS)
    # 23:30 UTC on Sunday is already Monday in Athens: that week has ended there.
    late_sunday = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    assert schedule.next_run_after("weekly", late_sunday, ATHENS) == \
        datetime(2026, 3, 16, 7, 0, tzinfo=ATHENS)


@pytest.fixture
def toot(people):
    toot = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    followers(toot, datetime(2026, 3, 1, 10, tzinfo=ATHENS), 200)
    followers(toot, datetime(2026, 3, 8, 10, tzinfo=ATHENS), 210)
    measured(toot, "in", datetime(2026, 3, 4, 9, tzinfo=ATHENS), 200,
             text="Η εβδομάδα μας", likes=10, comments=5, shares=5)
    measured(toot, "before", datetime(2026, 2, 20, 9, tzinfo=ATHENS), 190,
             text="Παλιά ανάρτηση", likes=1)
    return toot


def weekly(people, toot, **extra) -> ScheduledReport:
    return schedule.create(people.acme, name="Εβδομαδιαία", frequency="weekly",
                           members=[people.charlie],
                           addresses="client@example.org\nboss@example.net", language="el",
                           user=people.alice, now=datetime(2026, 3, 4, tzinfo=ATHENS), **extra)


def test_sent_once_per_period_with_the_pdf_to_members_and_outside_addresses(people, toot):
    report = weekly(people, toot)
    assert report.next_run_at == datetime(2026, 3, 9, 7, tzinfo=ATHENS)
    assert schedule.send_due(now=datetime(2026, 3, 9, 6, 59, tzinfo=ATHENS)) == 0  # not yet
    assert schedule.send_due(now=WEDNESDAY) == 1
    [message] = mail.outbox
    assert sorted(message.recipients()) == ["boss@example.net", "charlie@example.com",
                                            "client@example.org"]
    assert message.to == []  # Bcc: clients do not see each other's addresses
    assert "Acme: Εβδομαδιαία, 2026-03-02 – 2026-03-08" == message.subject
    [(name, data, kind)] = message.attachments
    assert kind == "application/pdf" and name.endswith("2026-03-02-2026-03-08.pdf")
    text = "\n".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(data))
    assert "Η εβδομάδα μας" in text and "Παλιά ανάρτηση" not in text
    assert "σελίδα 1 από" in text
    report.refresh_from_db()
    assert (report.last_period_start, report.last_period_end) == (date(2026, 3, 2),
                                                                  date(2026, 3, 8))
    assert report.next_run_at == datetime(2026, 3, 16, 7, tzinfo=ATHENS)
    assert report.claim_token == "" and report.last_error == ""
    # Due again by hand (say a clock went back): the same period is not sent twice.
    ScheduledReport.objects.filter(pk=report.pk).update(next_run_at=WEDNESDAY)
    assert schedule.send_due(now=WEDNESDAY + timedelta(minutes=1)) == 0
    assert len(mail.outbox) == 1
    # The next week goes out as usual.
    assert schedule.send_due(now=datetime(2026, 3, 16, 7, 1, tzinfo=ATHENS)) == 1
    assert mail.outbox[1].subject.endswith("2026-03-09 – 2026-03-15")


def test_a_failed_send_is_recorded_and_tried_again_next_round(people, toot, monkeypatch):
    report = weekly(people, toot)
    calls = []

    def refuse(self, fail_silently=False):
        calls.append(1)
        raise ConnectionRefusedError("SMTP server at localhost:25 refused the connection")

    with monkeypatch.context() as patch:
        patch.setattr(mail.EmailMessage, "send", refuse)
        assert schedule.send_due(now=WEDNESDAY) == 0
    report.refresh_from_db()
    assert "refused the connection" in report.last_error
    assert report.last_period_start is None and report.sending_period_start is None
    assert report.next_run_at == WEDNESDAY + schedule.RETRY_AFTER
    assert schedule.send_due(now=WEDNESDAY + timedelta(minutes=1)) == 0  # waits its turn
    assert schedule.send_due(now=WEDNESDAY + schedule.RETRY_AFTER) == 1
    assert len(calls) == 1 and len(mail.outbox) == 1
    report.refresh_from_db()
    assert report.last_error == "" and report.last_period_start == date(2026, 3, 2)


def test_a_send_that_ended_without_word_is_not_repeated(people, toot):
    report = weekly(people, toot)
    # A process wrote "sending" for this period, then died (its lease ran out).
    ScheduledReport.objects.filter(pk=report.pk).update(
        sending_period_start=date(2026, 3, 2), claim_token="dead",
        claimed_until=WEDNESDAY - timedelta(minutes=1))
    assert schedule.send_due(now=WEDNESDAY) == 0
    assert mail.outbox == []
    report.refresh_from_db()
    assert "not sent twice" in report.last_error
    assert report.next_run_at == datetime(2026, 3, 16, 7, tzinfo=ATHENS)


def test_a_live_lease_keeps_other_claimers_off(people, toot):
    weekly(people, toot)
    token, won = schedule.claim_due(now=WEDNESDAY)
    assert len(won) == 1
    assert schedule.claim_due(now=WEDNESDAY + timedelta(minutes=1))[1] == []
    # After the lease, another process may take it.
    assert schedule.claim_due(now=WEDNESDAY + schedule.LEASE + timedelta(seconds=1))[1] == won


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claimers_send_it_once(people, toot):
    report = weekly(people, toot)
    start = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def claimer() -> None:
        try:
            start.wait()
            results.append(schedule.send_due(now=WEDNESDAY))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [0, 1]
    assert len(mail.outbox) == 1
    report.refresh_from_db()
    assert report.last_period_start == date(2026, 3, 2)


def test_the_periodic_loop_runs_scheduled_reports():
    assert ("reports", schedule.send_due) in periodic._jobs()


def test_recipients_are_members_still_in_the_workspace_and_valid_addresses(people, toot):
    report = weekly(people, toot)
    from keryx.core.models import Membership

    Membership.objects.filter(workspace=people.acme, user=people.charlie).delete()
    assert schedule.recipients(report) == ["client@example.org", "boss@example.net"]
    with pytest.raises(Exception, match="Not an e-mail address: not-an-address"):
        schedule.parse_addresses("ok@example.org, not-an-address")
    with pytest.raises(ValueError, match="another workspace"):
        schedule.create(people.acme, name="x", frequency="weekly", members=[people.bob],
                        addresses="", user=people.alice)


def test_the_reports_page_makes_lists_and_deletes_them(people, toot, client):
    client.force_login(people.alice)
    page = client.get("/analytics/reports/")
    assert page.status_code == 200
    bad = client.post("/analytics/reports/scheduled/new/", {
        "name": "Μηνιαία", "frequency": "monthly", "addresses": "nope", "language": "en"})
    assert bad.status_code == 200 and "Not an e-mail address: nope" in bad.content.decode()
    none = client.post("/analytics/reports/scheduled/new/", {
        "name": "Μηνιαία", "frequency": "monthly", "language": "en"})
    assert "Choose at least one member or write an address." in none.content.decode()
    made = client.post("/analytics/reports/scheduled/new/", {
        "name": "Μηνιαία", "frequency": "monthly", "channels": [toot.pk],
        "members": [people.charlie.pk], "addresses": "client@example.org", "language": "el"})
    assert made.status_code == 302
    report = ScheduledReport.objects.get(workspace=people.acme)
    assert list(report.channels.all()) == [toot] and report.language == "el"
    html = client.get("/analytics/reports/").content.decode()
    assert "Μηνιαία" in html and "client@example.org" in html
    # Bob (Globex) cannot delete Acme's report; a viewer may not manage reports at all.
    client.force_login(people.bob)
    assert client.post(f"/analytics/reports/scheduled/{report.pk}/delete/").status_code == 404
    client.force_login(people.charlie)
    assert client.get("/analytics/reports/").status_code == 403
    assert client.post(f"/analytics/reports/scheduled/{report.pk}/delete/").status_code == 403
    client.force_login(people.alice)
    assert client.post(f"/analytics/reports/scheduled/{report.pk}/delete/").status_code == 302
    assert not ScheduledReport.objects.exists()


def test_a_report_whose_channels_were_deleted_is_not_sent_for_all(people, toot):
    report = weekly(people, toot, channels=[toot])
    toot.delete()
    assert schedule.send_due(now=WEDNESDAY) == 0
    assert mail.outbox == []
    report.refresh_from_db()
    assert "channels have been deleted" in report.last_error
