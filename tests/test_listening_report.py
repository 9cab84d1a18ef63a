"""The listening section of the analytics report: known results in two searches give exactly
the right figures for the report's period (the period's edges in the workspace's time zone,
irrelevant results and disabled searches left out), the PDF's "Listening" page with Greek
search names, no page without searches, `keryx report --format json` and `--section listening`
CSV, other workspaces never seen; sections of the workspace alone still work."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pypdfium2 as pdfium
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from keryx.analytics import services
from keryx.analytics.reports import content, pdf, sections
from keryx.listening import report
from keryx.listening.models import Match, Result, SavedSearch

pytestmark = pytest.mark.django_db
BLUE = (50, 87, 214)  # the charts' first colour


def add(search: SavedSearch, remote_id: str, when: datetime, *, sentiment: str = "neutral",
        author: str = "@someone", irrelevant: bool = False, text: str = "καφές") -> Result:
    result = Result.objects.create(
        workspace=search.workspace, network="mastodon", remote_id=remote_id, text=text,
        sentiment=sentiment, author_handle=author, published_at=when, irrelevant=irrelevant)
    Match.objects.create(search=search, result=result, published_at=when, network="mastodon",
                         sentiment=sentiment, irrelevant=irrelevant)
    return result


def also(search: SavedSearch, result: Result) -> None:
    Match.objects.create(search=search, result=result, published_at=result.published_at,
                         network=result.network, sentiment=result.sentiment)


@pytest.fixture
def two(people) -> tuple[SavedSearch, SavedSearch]:
    """Acme (Europe/Athens, UTC+2 in November); the report's period 2–4 November, the one
    before 30 October – 1 November."""
    coffee = SavedSearch.objects.create(workspace=people.acme, name="Καφές «Ελληνικός»",
                                        query="καφές")
    tea = SavedSearch.objects.create(workspace=people.acme, name="Τσάι", query="τσάι")
    add(coffee, "1", datetime(2026, 11, 2, 8, 0, tzinfo=UTC), sentiment="positive",
        author="@maria")
    add(coffee, "2", datetime(2026, 11, 3, 9, 0, tzinfo=UTC), sentiment="positive",
        author="@maria")
    shared = add(coffee, "3", datetime(2026, 11, 3, 12, 0, tzinfo=UTC), author="@john")
    also(tea, shared)  # found by both: counts for both
    # 21:59 UTC on the 4th is 23:59 in Athens: the period's last minute.
    add(coffee, "4", datetime(2026, 11, 4, 21, 59, tzinfo=UTC), sentiment="negative",
        author="@nikos")
    add(coffee, "5", datetime(2026, 11, 3, 10, 0, tzinfo=UTC), sentiment="negative",
        author="@spam", irrelevant=True)
    # 22:00 UTC on the 4th is midnight on the 5th in Athens: after the period.
    add(coffee, "6", datetime(2026, 11, 4, 22, 0, tzinfo=UTC), author="@late")
    # The period before: 23:30 on 1 November in Athens, and 30 October.
    add(coffee, "7", datetime(2026, 11, 1, 21, 30, tzinfo=UTC), author="@early")
    add(coffee, "8", datetime(2026, 10, 30, 12, 0, tzinfo=UTC), author="@early")
    # 23:00 on 29 October in Athens: before the period before too.
    add(coffee, "9", datetime(2026, 10, 29, 21, 0, tzinfo=UTC), author="@early")
    off = SavedSearch.objects.create(workspace=people.acme, name="Disabled", query="x",
                                     enabled=False)
    add(off, "10", datetime(2026, 11, 3, 9, 0, tzinfo=UTC), author="@off")
    other = SavedSearch.objects.create(workspace=people.globex, name="Globex secret",
                                       query="καφές")
    for n in range(3):
        add(other, f"g{n}", datetime(2026, 11, 3, 9, n, tzinfo=UTC), author="@globex")
    return coffee, tea


def when_of(workspace) -> services.Period:
    return services.period(workspace, date(2026, 11, 2), date(2026, 11, 4))


def test_the_figures_are_exactly_right_for_the_period(people, two):
    coffee, tea = two
    found = report.section(people.acme, when_of(people.acme))
    assert found["from"] == date(2026, 11, 2) and found["until"] == date(2026, 11, 4)
    assert (found["previous_from"], found["previous_until"]) == (date(2026, 10, 30),
                                                                 date(2026, 11, 1))
    rows = {r["name"]: r for r in found["searches"]}
    assert list(rows) == ["Καφές «Ελληνικός»", "Τσάι"]  # not the disabled one
    c, t = rows["Καφές «Ελληνικός»"], rows["Τσάι"]
    assert (c["results"], c["previous_results"], c["change_percent"]) == (4, 2, 100.0)
    assert (t["results"], t["previous_results"], t["change_percent"]) == (1, 0, None)
    share = {s["sentiment"]: (s["count"], s["percent"]) for s in c["sentiment"]}
    assert share == {"positive": (2, 50.0), "neutral": (1, 25.0), "negative": (1, 25.0)}
    assert {s["sentiment"]: s["percent"] for s in t["sentiment"]} == {
        "positive": 0.0, "neutral": 100.0, "negative": 0.0}
    assert (c["share_of_voice_percent"], t["share_of_voice_percent"]) == (80.0, 20.0)
    assert [(a["handle"], a["count"]) for a in c["authors"]] == [
        ("@maria", 2), ("@john", 1), ("@nikos", 1)]
    assert [(d["day"], d["count"]) for d in c["by_day"]] == [
        (date(2026, 11, 2), 1), (date(2026, 11, 3), 2), (date(2026, 11, 4), 1)]


def test_change_against_a_shrinking_period_and_top_five_authors(people):
    search = SavedSearch.objects.create(workspace=people.acme, name="Many", query="x")
    for n in range(8):  # before: 8 results, from 8 authors
        add(search, f"b{n}", datetime(2026, 10, 31, 9, n, tzinfo=UTC), author=f"@b{n}")
    for n in range(6):  # now: 6 results, @a0 three times
        add(search, f"a{n}", datetime(2026, 11, 3, 9, n, tzinfo=UTC),
            author="@a0" if n < 3 else f"@a{n}")
    row = report.section(people.acme, when_of(people.acme))["searches"][0]
    assert (row["results"], row["previous_results"], row["change_percent"]) == (6, 8, -25.0)
    assert [a["handle"] for a in row["authors"]] == ["@a0", "@a3", "@a4", "@a5"]
    assert row["share_of_voice_percent"] == 100.0
    with translation.override("el"):
        assert report.change_text(row["change_percent"]) == "−25,0 %"
    with translation.override("en"):
        assert report.change_text(1234.5) == "+1,234.5 %" and report.change_text(0.0) == "0.0 %"
    for n in range(6, 9):
        add(search, f"c{n}", datetime(2026, 11, 3, 10, n, tzinfo=UTC), author=f"@a{n}")
    row = report.section(people.acme, when_of(people.acme))["searches"][0]
    assert len(row["authors"]) == report.TOP_AUTHORS


def test_no_searches_no_section_and_no_page(people):
    when = when_of(people.acme)
    assert report.section(people.acme, when) is None
    SavedSearch.objects.create(workspace=people.acme, name="Off", query="x", enabled=False)
    gathered = content.gather(people.acme, when)
    assert "listening" not in gathered.extra
    for language, heading in (("en", "Listening"), ("el", "Κοινωνική ακρόαση")):
        texts = [t for t, _c in pages_of(pdf.render(gathered, language))]
        assert not any(heading in t for t in texts)


def test_a_search_without_results_in_the_period_still_gets_a_page(people):
    SavedSearch.objects.create(workspace=people.acme, name="Ήσυχη", query="x")
    found = report.section(people.acme, when_of(people.acme))
    row = found["searches"][0]
    assert (row["results"], row["previous_results"], row["change_percent"]) == (0, 0, None)
    assert row["share_of_voice_percent"] == 0.0
    assert [s["percent"] for s in row["sentiment"]] == [0.0, 0.0, 0.0]
    texts = [t for t, _c in pages_of(pdf.render(content.gather(people.acme,
                                                               when_of(people.acme)), "el"))]
    page = next(t for t in texts if "Κοινωνική ακρόαση" in t)
    assert "Ήσυχη" in page and "Κανένα αποτέλεσμα σε αυτή την περίοδο" in page


def pages_of(data: bytes) -> list[tuple[str, int]]:
    """Each page's text and how many of its pixels are the charts' blue."""
    import numpy as np

    out = []
    for page in pdfium.PdfDocument(data):
        image = np.asarray(page.render(scale=1).to_pil().convert("RGB"), dtype=np.int16)
        blue = int((np.abs(image - np.array(BLUE)).sum(axis=2) < 40).sum())
        out.append((page.get_textpage().get_text_range(), blue))
    return out


def test_the_pdf_has_a_listening_page_with_the_greek_names(people, two):
    gathered = content.gather(people.acme, when_of(people.acme))
    pages = pages_of(pdf.render(gathered, "el"))
    listening = [(t, b) for t, b in pages if "Κοινωνική ακρόαση" in t]
    assert len(listening) >= 1
    text = "\n".join(t for t, _b in listening)
    assert "Καφές «Ελληνικός»" in text and "Τσάι" in text
    assert "Μερίδιο φωνής" in text and "Κορυφαίοι συντάκτες" in text
    assert "+100,0 %" in text and "80,0 %" in text and "20,0 %" in text  # Greek numbers
    assert "@maria" in text and "@spam" not in text and "@late" not in text
    assert "Globex secret" not in text and "Disabled" not in text
    assert listening[0][1] > 100  # the charts are drawn
    assert not any("Ακόλουθοι ανά ημέρα" in t for t, _b in listening)  # the report's own
    assert any("Ακόλουθοι ανά ημέρα" in t for t, _b in pages)
    english = "\n".join(t for t, _b in pages_of(pdf.render(gathered, "en")))
    assert "Listening" in english and "+100.0 %" in english


def test_emoji_in_a_search_name_do_not_break_the_page(people):
    search = SavedSearch.objects.create(workspace=people.acme, name="☕🔥 Καφές", query="x")
    add(search, "e1", datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    text = "\n".join(t for t, _b in pages_of(
        pdf.render(content.gather(people.acme, when_of(people.acme)), "el")))
    assert "Καφές" in text


def test_workspace_isolation(people, two):
    theirs = report.section(people.globex, when_of(people.globex))
    assert [(r["name"], r["results"]) for r in theirs["searches"]] == [("Globex secret", 3)]
    assert theirs["searches"][0]["share_of_voice_percent"] == 100.0
    mine = report.section(people.acme, when_of(people.acme))
    assert "@globex" not in json.dumps(mine, default=str)
    text = "\n".join(t for t, _b in pages_of(
        pdf.render(content.gather(people.globex, when_of(people.globex)), "en")))
    assert "Globex secret" in text and "Τσάι" not in text and "@maria" not in text


def test_keryx_report_json_and_listening_csv(people, two, tmp_path):
    out = tmp_path / "report.json"
    args = ["--user", "alice@example.com", "--from", "2026-11-02", "--until", "2026-11-04"]
    call_command("report", *args, "--format", "json", "--output", str(out),
                 stdout=io.StringIO())
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["from"] == "2026-11-02" and "summary" in data and data["goals"] == []
    assert [(r["name"], r["results"], r["change_percent"], r["share_of_voice_percent"])
            for r in data["listening"]["searches"]] == [
        ("Καφές «Ελληνικός»", 4, 100.0, 80.0), ("Τσάι", 1, None, 20.0)]

    csv_out = tmp_path / "listening.csv"
    said = io.StringIO()
    call_command("report", *args, "--format", "csv", "--section", "listening", "--output",
                 str(csv_out), stdout=said)
    assert "2" in said.getvalue()
    rows = list(csv.reader(io.StringIO(csv_out.read_text(encoding="utf-8-sig"))))
    assert rows[0] == report.CSV_COLUMNS
    assert rows[1:] == [
        ["Καφές «Ελληνικός»", "2026-11-02", "2026-11-04", "4", "2", "100.0", "50.0", "25.0",
         "25.0", "80.0"],
        ["Τσάι", "2026-11-02", "2026-11-04", "1", "0", "", "0.0", "100.0", "0.0", "20.0"]]
    with pytest.raises(CommandError, match="--section goes with --format csv"):
        call_command("report", *args, "--format", "pdf", "--section", "listening",
                     "--output", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="No section nope"):
        call_command("report", *args, "--format", "csv", "--section", "nope", "--output",
                     str(tmp_path / "x.csv"))


def test_a_search_name_that_looks_like_a_formula_is_not_one_in_the_csv(people):
    SavedSearch.objects.create(workspace=people.acme, name="=HYPERLINK(1)", query="x")
    out = io.StringIO()
    assert report.write_csv(report.section(people.acme, when_of(people.acme)), out) == 1
    assert not list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"))))[1][0] \
        .startswith("=")


def test_sections_of_the_workspace_alone_still_work(people):
    seen: list[object] = []

    def old_style(workspace):
        seen.append(workspace)
        return {"name": workspace.name}

    def draw(_pdf, _content) -> None:
        return None

    sections.add("old_style", old_style, draw)
    try:
        gathered = content.gather(people.acme, when_of(people.acme))
        assert gathered.extra["old_style"] == {"name": "Acme"} and seen == [people.acme]
    finally:
        del sections.CONTENT["old_style"]
        sections.PDF.remove(draw)
