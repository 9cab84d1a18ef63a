"""Bulk CSV import: every kind of bad input the issue names, the 10,000-row file with three bad
rows, the export -> import round trip, rejected rows as CSV, and the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from keryx.bulk import services
from keryx.bulk.models import ImportStatus, RowStatus
from keryx.bulk.parsing import FileRejected
from keryx.core.models import Membership, Role
from keryx.publishing.models import PostTarget, TargetState
from tests.support.images import png_bytes
from tests.support.webpages import Page, WebSite
from tests.ui_helpers import mastodon_channel

ATHENS = ZoneInfo("Europe/Athens")
YEAR = timezone.now().year + 1
HEADER = "channels,text,time,media,alt_text,labels,campaign\n"
# The last Sunday of March: Athens skips 03:00-04:00 that night.
SPRING = max(d for d in (datetime(YEAR, 3, day) for day in range(25, 32)) if d.weekday() == 6)


@pytest.fixture
def chans(people):
    return mastodon_channel(people.acme, "Masto"), mastodon_channel(people.acme, "Second")


def _preview(people, data: bytes, **kw):
    return services.preview(workspace=people.acme, user=people.alice, data=data,
                            options=services.ImportOptions(**kw))


def _rows(job):
    return [(r.line, r.status, r.reason) for r in job.rows.order_by("line")]


# ---------------------------------------------------------------------------------------------
# Reading the file
# ---------------------------------------------------------------------------------------------


def test_hootsuite_dd_mm_with_link_and_bom(people, chans):
    data = ("\ufeff" + f"01/07/{YEAR} 09:00,Καλημέρα από την Αθήνα,https://example.com/a\n"
            f"02/07/{YEAR} 18:30,Second message,\n").encode("utf-8")
    job = _preview(people, data, format="hootsuite", date_format="dd/mm/yyyy",
                   channels=[chans[0]])
    assert job.encoding == "utf-8-sig" and job.encoding_note == ""
    rows = list(job.rows.order_by("line"))
    assert [r.status for r in rows] == [RowStatus.VALID, RowStatus.VALID]
    assert rows[0].text == "Καλημέρα από την Αθήνα https://example.com/a"
    # 1 July, 09:00 in Athens (summer time, UTC+3).
    assert rows[0].when == datetime(YEAR, 7, 1, 6, 0, tzinfo=UTC)
    assert nothing_scheduled()


def nothing_scheduled() -> bool:
    return not PostTarget.objects.exists()


def test_hootsuite_mm_dd_and_a_wrong_date_format_gets_a_hint(people, chans):
    data = f"07/13/{YEAR} 09:00,American date\n".encode()
    wrong = _preview(people, data, format="hootsuite", date_format="dd/mm/yyyy",
                     channels=[chans[0]])
    (line, status, reason), = _rows(wrong)
    assert status == RowStatus.REJECTED
    assert "is not a date and time as dd/mm/yyyy" in reason
    assert "choose that date format" in reason
    right = _preview(people, data, format="hootsuite", date_format="mm/dd/yyyy",
                     channels=[chans[0]])
    assert right.rows.get().when.astimezone(ATHENS).strftime("%m-%d %H:%M") == "07-13 09:00"


def test_hootsuite_needs_channels(people, chans):
    with pytest.raises(FileRejected, match="Choose the channels"):
        _preview(people, b"01/07/2030 09:00,x\n", format="hootsuite")


def test_greek_windows_1253_file_is_detected_and_said(people, chans):
    text = f"channels;text;time\nMasto;Καλό μεσημέρι σε όλους;{YEAR}-05-04 12:00\n"
    job = _preview(people, text.encode("cp1253"))
    assert job.encoding == "cp1253"
    assert "Windows-1253 (Greek)" in job.encoding_note
    assert job.delimiter == ";"
    assert job.rows.get().text == "Καλό μεσημέρι σε όλους"


def test_western_latin_file_is_read_as_windows_1252(people, chans):
    text = f"channels,text,time\nMasto,Café crème à Genève,{YEAR}-05-04 12:00\n"
    job = _preview(people, text.encode("cp1252"))
    assert job.encoding == "cp1252"
    assert job.rows.get().text == "Café crème à Genève"


def test_semicolons_quoted_newlines_and_line_numbers(people, chans):
    text = (
        "channels;text;time\n"
        f'Masto;"Line one\nline two; still the text";{YEAR}-05-04 12:00\n'
        f"Masto;after the multi-line row;{YEAR}-05-04 13:00\n"
        f"Nowhere;unknown channel;{YEAR}-05-04 14:00\n"
    )
    job = _preview(people, text.encode())
    assert job.delimiter == ";"
    rows = _rows(job)
    # The record with a quoted newline starts on line 2 and spans 3; the next starts on 4.
    assert [(line, status) for line, status, _r in rows] == [
        (2, RowStatus.VALID), (4, RowStatus.VALID), (5, RowStatus.REJECTED),
    ]
    assert job.rows.get(line=2).text == "Line one\nline two; still the text"
    assert rows[2][2] == "Unknown channel: Nowhere."


def test_past_dates_invalid_times_and_too_long_text_are_rejected_with_reasons(people, chans):
    text = (
        HEADER
        + "Masto,in the past,2020-01-01T09:00+02:00,,,,\n"
        + f"Masto,not a time,tomorrow,,,,\n"  # noqa: F541
        + f"Masto,{'x' * 501},{YEAR}-05-04T12:00+03:00,,,,\n"
        + f"Masto,the gap,{SPRING:%Y-%m-%d} 03:30 Europe/Athens,,,,\n"
        + f"Masto,fine,{YEAR}-05-04 12:00 UTC,,,,\n"
        + f"Masto|Second,a path,{YEAR}-05-04T12:00+03:00,/etc/passwd,,,\n"
    )
    job = _preview(people, text.encode())
    reasons = {line: reason for line, _s, reason in _rows(job)}
    assert "in the past" in reasons[2]
    assert "is not a date and time" in reasons[3]
    assert "501" in reasons[4] or "too long" in reasons[4].lower()
    assert "does not exist in Europe/Athens" in reasons[5]
    assert reasons[6] == ""
    assert "file paths are accepted only by the command-line import" in reasons[7]
    assert (job.valid, job.rejected) == (1, 5)
    assert job.rows.get(line=6).when == datetime(YEAR, 5, 4, 12, tzinfo=UTC)


def test_whole_file_problems(people, chans):
    with pytest.raises(FileRejected, match="missing: time"):
        _preview(people, b"channels,text\nMasto,hello\n")
    with pytest.raises(FileRejected, match="not a text"):
        _preview(people, b"\x00\x01\x02binary")
    with pytest.raises(FileRejected, match="no rows"):
        _preview(people, HEADER.encode())
    too_many = HEADER + "".join(f"Masto,r{i},{YEAR}-05-04 12:00,,,,\n" for i in range(10_001))
    with pytest.raises(FileRejected, match="more than 10,000 rows"):
        _preview(people, too_many.encode())


def test_labels_and_campaign_by_name_unknown_ones_warn(people, chans):
    from keryx.planner.models import Campaign, Label

    Label.objects.create(workspace=people.acme, name="Launch")
    Campaign.objects.create(workspace=people.acme, name="Autumn")
    text = HEADER + f"Masto,labelled,{YEAR}-05-04 12:00,,,Launch|Nope,Autumn\n"
    job = _preview(people, text.encode())
    row = job.rows.get()
    assert row.status == RowStatus.VALID
    assert "No label Nope; ignored." in row.warnings
    services.run_import(job.pk)
    post = row.__class__.objects.get(pk=row.pk).post
    assert [label.name for label in post.labels.all()] == ["Launch"]
    assert post.campaign.name == "Autumn"


def test_media_by_url_goes_through_the_guarded_fetcher(people, chans, settings):
    with WebSite() as site:
        site.pages["/pic.png"] = Page(png_bytes(), headers={"Content-Type": "image/png"})
        text = (HEADER
                + f"Masto,a picture,{YEAR}-05-04 12:00,{site.url}/pic.png,Alt words,,\n"
                + f"Masto,a missing one,{YEAR}-05-04 13:00,{site.url}/gone.png,,,\n")
        settings.ALLOWED_PRIVATE_HOSTS = []
        refused = _preview(people, text.encode())
        settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
        job = _preview(people, text.encode())
    assert all("private or local address" in reason for _l, _s, reason in _rows(refused))
    assert _rows(job)[0] == (2, RowStatus.VALID, "")
    assert f"The server answered 404 for {site.url}/gone.png." in _rows(job)[1][2]
    assert [path for _m, path in site.requests] == ["/pic.png", "/gone.png"]


# ---------------------------------------------------------------------------------------------
# Scheduling
# ---------------------------------------------------------------------------------------------


def test_ten_thousand_rows_with_three_bad_ones(people, chans):
    start = datetime(YEAR, 2, 1, 8, 0)
    lines = [HEADER]
    bad = {1234: "Nowhere", 5000: "past", 9999: "long"}
    for i in range(10_000):
        when = (start + timedelta(minutes=5 * i)).strftime("%Y-%m-%d %H:%M")
        channel, body = "Masto|Second", f"Row {i} #keryx"
        if bad.get(i) == "Nowhere":
            channel = "Nowhere"
        elif bad.get(i) == "past":
            when = "2001-01-01 09:00"
        elif bad.get(i) == "long":
            body = "y" * 600
        lines.append(f"{channel},{body},{when},,,,\n")
    job = _preview(people, "".join(lines).encode())
    assert (job.total, job.valid, job.rejected) == (10_000, 9_997, 3)
    assert nothing_scheduled()
    assert sorted(job.rows.filter(status=RowStatus.REJECTED).values_list("line", flat=True)) \
        == [1236, 5002, 10001]  # line = index + 2 (header, 1-based)

    assert services.start_import(job) is True
    assert services.start_import(job) is False  # a second go-ahead does nothing
    job = services.run_import(job.pk)
    assert (job.status, job.processed, job.scheduled, job.rejected) == (
        ImportStatus.DONE, 9_997, 9_997, 3)
    assert PostTarget.objects.filter(state=TargetState.SCHEDULED).count() == 2 * 9_997
    # Running it again (a task delivered twice) schedules nothing more.
    services.run_import(job.pk)
    assert PostTarget.objects.count() == 2 * 9_997

    rejected = list(csv.reader(io.StringIO(services.rejected_csv(job))))
    assert [r[0] for r in rejected[1:]] == ["1236", "5002", "10001"]
    assert "Unknown channel: Nowhere." in rejected[1][1]
    assert rejected[1][2:5] == ["Nowhere", "Row 1234 #keryx",
                                (start + timedelta(minutes=5 * 1234)).strftime("%Y-%m-%d %H:%M")]


def test_a_row_that_became_invalid_before_scheduling_is_rejected_alone(people, chans):
    soon = (timezone.now() + timedelta(minutes=3)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    text = HEADER + f"Masto,soon,{soon}+00:00,,,,\nMasto,later,{YEAR}-05-04 12:00,,,,\n"
    job = _preview(people, text.encode())
    assert job.valid == 2
    job.rows.filter(line=2).update(when=timezone.now() - timedelta(hours=1))  # time passed
    job = services.run_import(job.pk)
    assert (job.scheduled, job.rejected) == (1, 1)
    assert "in the past" in job.rows.get(line=2).reason


def test_export_reimports_to_the_same_schedule(people, chans):
    from keryx.publishing import services as publishing
    masto, second = chans
    media = publishing.save_media(workspace=people.acme, user=people.alice,
                                  file=io.BytesIO(png_bytes()), filename="a.png",
                                  alt_text="A red square, with | a bar")
    base = datetime(YEAR, 3, 28, 9, 0, tzinfo=ATHENS)
    publishing.create_post(workspace=people.acme, author=people.alice, text="Both, \"quoted\"",
                           channels=[masto, second], scheduled_at=base, actor="t", media=[media])
    publishing.create_post(workspace=people.acme, author=people.alice, text="Line\nbreak; ok",
                           channels=[second], scheduled_at=base + timedelta(days=1), actor="t",
                           variants={second.pk: {"text": "Own text for Second"}})
    publishing.create_post(workspace=people.acme, author=people.alice, text="Outside range",
                           channels=[masto], scheduled_at=base + timedelta(days=30), actor="t")

    def schedule():
        return sorted(
            (t.channel.name, t.due_at, publishing.request_for(t).text,
             tuple(m.alt_text for m in publishing.request_for(t).media))
            for t in PostTarget.objects.filter(due_at__lt=base + timedelta(days=10))
            .exclude(state=TargetState.CANCELLED).select_related("channel", "post")
        )

    before = schedule()
    exported = services.export_csv(people.acme, start=base - timedelta(days=1),
                                   end=base + timedelta(days=10))
    assert "Outside range" not in exported
    for target in PostTarget.objects.all():
        publishing.cancel_target(target, actor="t")
    assert schedule() == []
    job = _preview(people, exported.encode())
    assert job.rejected == 0, _rows(job)
    services.run_import(job.pk)
    assert schedule() == before


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def admin(people, chans):
    user = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "pw")
    Membership.objects.create(workspace=people.acme, user=user, role=Role.OWNER)
    return user


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


def test_cli_import_prints_rejected_rows_and_exits_1(admin, tmp_path):
    path = tmp_path / "hoot.csv"
    path.write_text(f"01/07/{YEAR} 09:00,Good one,https://example.com\n"
                    f"31/02/{YEAR} 09:00,Bad date\n")
    code, out = _cli("import", str(path), "--format", "hootsuite", "--to", "Masto,Second",
                     "--dry-run")
    assert code == 1
    assert "line 2: “31/02/" in out
    assert "1 valid, 1 rejected; nothing scheduled (dry run)" in out
    assert nothing_scheduled()
    code, out = _cli("import", str(path), "--to", "Masto", "--json")  # format guessed
    data = json.loads(out)
    assert code == 1
    assert (data["format"], data["scheduled"], [r["line"] for r in data["rejected"]]) == (
        "hootsuite", 1, [2])
    assert PostTarget.objects.get().post.text == "Good one https://example.com"


def test_cli_import_with_local_media_and_export(admin, tmp_path):
    image = tmp_path / "pic.png"
    image.write_bytes(png_bytes())
    path = tmp_path / "k.csv"
    path.write_text(HEADER + f"Masto,With a picture,{YEAR}-05-04 12:00,{image},Alt words,,\n")
    code, out = _cli("import", str(path))
    assert code == 0, out
    assert "1 rows: 1 scheduled, 0 rejected." in out
    target = PostTarget.objects.get()
    assert [m.alt_text for m in target.post.media.all()] == ["Alt words"]
    exported = tmp_path / "out.csv"
    code, _out = _cli("export", "--from", f"{YEAR}-05-04", "--until", f"{YEAR}-05-04",
                      str(exported))
    rows = list(csv.reader(exported.open()))
    assert rows[0] == ["channels", "text", "time", "media", "alt_text", "labels", "campaign"]
    assert rows[1][:3] == ["Masto", "With a picture", f"{YEAR}-05-04T12:00+03:00"]
    empty = tmp_path / "none.csv"
    _cli("export", "--from", f"{YEAR}-05-05", str(empty))
    assert len(list(csv.reader(empty.open()))) == 1
