"""Reports as an agency uses them: the benchmarks and translated formulas in the PDF, scheduled
reports edited, filtered by campaign and label and sent now (once), every change in the audit
log, the Reports page saying what happened and what to do, and the shared page with the PDF's
sections, escaped, in the link's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from keryx.analytics import maths, services
from keryx.analytics.models import Benchmark
from keryx.analytics.reports import content, labels, pdf, schedule, sharing
from keryx.analytics.reports.models import ScheduledReport
from keryx.channels.models import Channel
from keryx.core.models import AuditLog
from keryx.planner.models import Campaign, Label
from tests.support.analytics_data import followers, measured

ATHENS = ZoneInfo("Europe/Athens")
NOW = timezone.now().replace(microsecond=0)
# A Wednesday; the week before it is Mon 2026-03-02 .. Sun 2026-03-08 (Athens).
WEDNESDAY = datetime(2026, 3, 11, 12, 0, tzinfo=ATHENS)


def text_of(data: bytes) -> str:
    return "\n".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))


def flat(text: str) -> str:
    return " ".join(text.split())


# Labels ------------------------------------------------------------------------------------


def test_every_formula_and_reason_of_the_maths_has_a_greek_label():
    eng = maths.engagements({"likes": 1, "comments": 2, "shares": None, "saves": None})
    with translation.override("el"):
        for basis in maths.BASES:
            rate = maths.engagement_rate(eng, 10, basis)
            label = labels.formula_label(rate.formula)
            assert label != rate.formula and "«Μου αρέσει»+σχόλια" in label, basis
            avg = labels.formula_label(maths.average_rate([rate]).formula)
            assert avg.startswith("μέσος όρος στις αναρτήσεις του (") and "×" in avg
        assert labels.formula_label(maths.engagement_rate(eng, 10, "followers").formula) == \
            "(«Μου αρέσει»+σχόλια) / ακόλουθοι κατά τη δημοσίευση × 100"
        none = maths.engagements({})
        reasons = [maths.engagement_rate(none, 10, "followers").reason,
                   maths.engagement_rate(eng, None, "reach").reason,
                   maths.engagement_rate(eng, 0, "impressions").reason,
                   maths.average_rate([]).reason,
                   maths.average_rate([maths.engagement_rate(eng, None, "reach")]).reason,
                   maths.follower_growth(None, 3).reason, maths.follower_growth(0, 3).reason,
                   maths.best_times([]).warning]
        for reason in reasons:
            assert reason and labels.reason_label(reason) != reason, reason
        assert labels.reason_label("no reach figure") == "κανένας αριθμός για: προσέγγιση"
        assert labels.formula_label("something new") == "something new"  # never dropped
    with translation.override("en"):  # English stays the machine string
        rate = maths.engagement_rate(eng, 10, "reach")
        assert labels.formula_label(rate.formula) == rate.formula == \
            "(likes+comments) / reach × 100"


# The PDF ----------------------------------------------------------------------------------


@pytest.fixture
def two(people):
    toot = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    sky = Channel.objects.create(workspace=people.acme, network="mastodon", name="Sky")
    for channel in (toot, sky):
        followers(channel, NOW - timedelta(days=100), 100)
        followers(channel, NOW - timedelta(days=20), 150)
        followers(channel, NOW - timedelta(days=1), 180)
    for n in range(6):
        measured(toot, f"t{n}", NOW - timedelta(days=3 + n), 100, text=f"Toot {n} #καφές",
                 likes=5, comments=1, shares=0)
        measured(sky, f"s{n}", NOW - timedelta(days=4 + n), 100, text=f"Sky {n} #τσάι",
                 likes=1, comments=0, shares=0)
    measured(toot, "old", NOW - timedelta(days=50), 100, text="Earlier", likes=2,
             comments=0, shares=0)
    Benchmark.objects.create(workspace=people.acme, channel=toot, engagement_rate=4.0,
                             posts_per_week=3.0, followers_per_month=20)
    return toot, sky


def period(people, days=30):
    return services.period(people.acme, (NOW - timedelta(days=days - 1)).date(), NOW.date())


def test_the_greek_pdf_has_benchmarks_hashtags_channels_and_greek_formulas(people, two):
    with translation.override("el"):
        data = pdf.render(content.gather(people.acme, period(people)), "el")
    text = flat(text_of(data))
    assert "Σε σύγκριση με τους στόχους και τον δικό σας μέσο όρο" in text
    assert "Στόχος" in text and "Toot" in text
    assert "αναρτήσεις / ημέρες × 7" in text  # the benchmark's formula, translated
    # Toot's own targets against its figures: 6 posts in 30 days is 1,4 a week, target 3.
    assert "3 κάτω κατά 1,6" in text or "3,00 κάτω κατά 1,60" in text
    assert "Ανά δίκτυο και κανάλι" in text and "#καφές" in text and "#τσάι" in text
    assert "(«Μου αρέσει»+σχόλια+κοινοποιήσεις) / ακόλουθοι κατά τη δημοσίευση × 100" in text
    assert "likes+comments" not in text and "followers at publish time" not in text


def test_the_english_pdf_keeps_the_english_formulas_and_shows_benchmarks(people, two):
    data = pdf.render(content.gather(people.acme, period(people)), "en")
    text = flat(text_of(data))
    assert "Against targets and your own average" in text
    assert "(likes+comments+shares) / followers at publish time × 100" in text
    assert "posts / days × 7" in text and "no target" in text


# Scheduled reports -----------------------------------------------------------------------


@pytest.fixture
def week(people):
    people.acme.timezone = "Europe/Athens"
    people.acme.save()
    toot = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    followers(toot, datetime(2026, 3, 1, 10, tzinfo=ATHENS), 200)
    spring = Campaign.objects.create(workspace=people.acme, name="Άνοιξη")
    promo = Label.objects.create(workspace=people.acme, name="Προσφορά")
    inside = measured(toot, "in", datetime(2026, 3, 4, 9, tzinfo=ATHENS), 200,
                      text="Της καμπάνιας", likes=10, comments=5, shares=5)
    inside.target.post.campaign = spring
    inside.target.post.save()
    inside.target.post.labels.add(promo)
    measured(toot, "out", datetime(2026, 3, 5, 9, tzinfo=ATHENS), 200,
             text="Εκτός καμπάνιας", likes=1)
    return toot, spring, promo


def pdf_of(message) -> str:
    [(_name, data, _type)] = message.attachments
    return flat(text_of(data))


def test_campaign_and_label_filters_reach_the_e_mailed_pdf(people, week):
    _toot, spring, promo = week
    schedule.create(people.acme, name="Άνοιξη", frequency="weekly",
                    addresses="client@example.org", language="el", campaign=spring,
                    labels=[promo], user=people.alice, now=datetime(2026, 3, 4, tzinfo=ATHENS))
    assert schedule.send_due(now=WEDNESDAY) == 1
    text = pdf_of(mail.outbox[0])
    assert "Της καμπάνιας" in text and "Εκτός καμπάνιας" not in text
    assert "Άνοιξη" in text and "Προσφορά" in text  # the filters named in the header


def test_a_filter_of_another_workspace_is_refused(people, week):
    theirs = Campaign.objects.create(workspace=people.globex, name="Theirs")
    with pytest.raises(ValueError):
        schedule.create(people.acme, name="x", frequency="weekly", addresses="a@example.org",
                        campaign=theirs)


def test_edited_in_the_ui_with_its_history_kept_and_audited(people, week, client):
    _toot, spring, promo = week
    report = schedule.create(people.acme, name="Εβδομαδιαία", frequency="weekly",
                             addresses="client@example.org", language="el", user=people.alice)
    ScheduledReport.objects.filter(pk=report.pk).update(
        last_period_start=datetime(2026, 3, 2).date(), last_period_end=datetime(2026, 3, 8).date())
    client.force_login(people.alice)
    page = client.get(f"/analytics/reports/scheduled/{report.pk}/").content.decode()
    assert 'value="Εβδομαδιαία"' in page and "client@example.org" in page
    bad = client.post(f"/analytics/reports/scheduled/{report.pk}/", {
        "name": "x", "frequency": "monthly", "addresses": "not an address", "language": "en"})
    assert "Not an e-mail address: not an address" in bad.content.decode()
    done = client.post(f"/analytics/reports/scheduled/{report.pk}/", {
        "name": "Μηνιαία", "frequency": "monthly", "addresses": "boss@example.net",
        "language": "en", "campaign": spring.pk, "labels": [promo.pk],
        "members": [people.charlie.pk]})
    assert done.status_code == 302
    report.refresh_from_db()
    assert (report.name, report.frequency, report.language) == ("Μηνιαία", "monthly", "en")
    assert report.campaign == spring and list(report.labels.all()) == [promo]
    assert list(report.members.all()) == [people.charlie]
    assert report.last_period_start == datetime(2026, 3, 2).date()  # what was sent is kept
    local = report.next_run_at.astimezone(ATHENS)
    assert (local.day, local.hour) == (1, 7)  # monthly now: the 1st, 07:00 Athens
    entry = AuditLog.objects.get(workspace=people.acme, action="report.edited")
    assert entry.actor == people.alice and entry.object_id == str(report.pk)
    assert entry.data["changed"]["frequency"] == {"old": "weekly", "new": "monthly"}
    assert entry.data["changed"]["campaign"] == {"old": None, "new": "Άνοιξη"}
    # Another workspace's owner cannot open or change it.
    client.force_login(people.bob)
    assert client.get(f"/analytics/reports/scheduled/{report.pk}/").status_code == 404
    assert client.post(f"/analytics/reports/scheduled/{report.pk}/", {
        "name": "x", "frequency": "weekly", "addresses": "a@example.org",
        "language": "en"}).status_code == 404


def test_send_now_sends_the_last_complete_period_once(people, week, client):
    report = schedule.create(people.acme, name="Εβδομαδιαία", frequency="weekly",
                             addresses="client@example.org", language="el", user=people.alice)
    before = ScheduledReport.objects.get(pk=report.pk).next_run_at
    client.force_login(people.alice)
    page = client.get("/analytics/reports/").content.decode()
    assert "Send now" in page and "is not sent again" in page  # the UI says it is once
    first = client.post(f"/analytics/reports/scheduled/{report.pk}/send/", follow=True)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].bcc == ["client@example.org"]
    assert "was sent." in first.content.decode()
    again = client.post(f"/analytics/reports/scheduled/{report.pk}/send/", follow=True)
    assert len(mail.outbox) == 1  # the same period is never sent twice
    assert "had already been sent" in again.content.decode()
    report.refresh_from_db()
    span = schedule.last_complete_period("weekly", timezone.now().astimezone(ATHENS).date())
    assert report.last_period_start == span.first_day
    assert report.next_run_at == before  # the schedule goes on as before
    # ... nor by the schedule afterwards, for that period.
    assert schedule.send_due(now=report.next_run_at - timedelta(minutes=1)) == 0
    outcomes = list(AuditLog.objects.filter(action="report.sent_now").order_by("pk")
                    .values_list("data__outcome", flat=True))
    assert outcomes == ["sent", "already-sent"]


def test_send_now_waits_for_a_live_claim(people, week):
    report = schedule.create(people.acme, name="x", frequency="weekly",
                             addresses="client@example.org")
    _token, won = schedule.claim_due(now=report.next_run_at + timedelta(minutes=1))
    assert won == [report.pk]
    outcome, _span = schedule.send_now(people.acme, report.pk,
                                       now=report.next_run_at + timedelta(minutes=2))
    assert outcome == "busy" and mail.outbox == []
    assert schedule.send_now(people.globex, report.pk) is None  # not theirs


def test_the_page_shows_the_last_error_and_what_to_do(people, week, client, monkeypatch):
    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("SMTP server at localhost:25 refused the connection")

    report = schedule.create(people.acme, name="Εβδομαδιαία", frequency="weekly",
                             addresses="client@example.org", language="el")
    with monkeypatch.context() as patch:
        patch.setattr(mail.EmailMessage, "send", refuse)
        assert schedule.send_now(people.acme, report.pk)[0] == "failed"
    client.force_login(people.alice)
    page = client.get("/analytics/reports/").content.decode()
    assert "Sending failed" in page and "EMAIL_HOST" in page
    assert "Europe/Athens" in page  # the next run, in the workspace's time zone
    nobody = schedule.create(people.acme, name="Κανείς", frequency="weekly")
    schedule.send_now(people.acme, nobody.pk)
    page = client.get("/analytics/reports/").content.decode()
    assert "Edit the report and choose members or write addresses." in page


def test_making_and_deleting_reports_links_and_the_logo_are_audited(people, week, client):
    from tests.support.images import png_bytes

    client.force_login(people.alice)
    client.post("/analytics/reports/scheduled/new/", {
        "name": "Εβδομαδιαία", "frequency": "weekly", "addresses": "client@example.org",
        "language": "el"})
    report = ScheduledReport.objects.get(workspace=people.acme)
    client.post(f"/analytics/reports/scheduled/{report.pk}/delete/")
    client.post("/analytics/reports/links/new/", {
        "name": "Πελάτης", "first_day": "2026-03-01", "last_day": "2026-03-08",
        "language": "el"})
    from keryx.analytics.reports.models import ShareLink

    link = ShareLink.objects.get(workspace=people.acme)
    client.post(f"/analytics/reports/links/{link.pk}/revoke/")
    client.post(f"/analytics/reports/links/{link.pk}/revoke/")  # already revoked: no entry
    upload = __import__("io").BytesIO(png_bytes())
    upload.name = "logo.png"
    client.post("/analytics/reports/logo/", {"logo": upload})
    client.post("/analytics/reports/logo/", {"action": "remove"})
    rows = list(AuditLog.objects.filter(workspace=people.acme).order_by("pk")
                .values_list("action", "actor", "summary"))
    assert [(a, u) for a, u, _s in rows] == [
        ("report.scheduled", people.alice.pk), ("report.deleted", people.alice.pk),
        ("share_link.created", people.alice.pk), ("share_link.revoked", people.alice.pk),
        ("report_logo.uploaded", people.alice.pk), ("report_logo.removed", people.alice.pk)]
    assert rows[0][2] == "Εβδομαδιαία" and rows[2][2].startswith("Πελάτης: 2026-03-01")
    deleted = AuditLog.objects.get(action="report.deleted")
    assert deleted.data["addresses"] == ["client@example.org"]
    assert AuditLog.objects.filter(workspace=people.globex).count() == 0


# The shared page -------------------------------------------------------------------------


def test_the_shared_page_has_the_pdfs_sections_escaped_in_greek(people, two):
    toot, _sky = two
    measured(toot, "xss", NOW - timedelta(days=2), 100, text="<script>alert(1)</script> #καφές",
             likes=1, comments=0, shares=0)
    _link, token = sharing.issue(people.acme, name="Πελάτης",
                                 first_day=(NOW - timedelta(days=29)).date(),
                                 last_day=NOW.date(), language="el")
    page = Client().get(f"/analytics/shared/{token}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    for section in ("Σε σύγκριση με τους στόχους και τον δικό σας μέσο όρο",
                    "Ανά δίκτυο και κανάλι", 'id="hashtags"', 'id="bottom-posts"',
                    'id="all-posts"', 'id="top-posts"', 'id="per-channel"',
                    'id="benchmark-figures"', 'id="heatmap"'):
        assert section in page, section
    assert "#τσάι" in page and "Earlier" not in page
    assert "(«Μου αρέσει»+σχόλια+κοινοποιήσεις) / ακόλουθοι κατά τη δημοσίευση × 100" in page
    assert "αναρτήσεις / ημέρες × 7" in page
    assert "likes+comments" not in page
    assert 'data-channel="Toot"' in page  # Toot has targets: its own benchmark table
