"""The listening pages: the list (counts, runs per network, share of voice, create, edit,
delete, run now), a search's page (filters, pages, feedback, charts), its CSV; roles and other
workspaces; the figures on a known Greek and English dataset; queries that do not grow."""

from __future__ import annotations

import csv
import io
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keryx.core.models import Membership, Role
from keryx.listening import figures
from keryx.listening.models import Match, Result, SavedSearch, SourceState

pytestmark = pytest.mark.django_db
ATHENS = zoneinfo.ZoneInfo("Europe/Athens")


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add(search: SavedSearch, remote_id: str, text: str, when: datetime, *,
        network: str = "mastodon", sentiment: str = "neutral", language: str = "el",
        author: str = "@someone", hashtags: tuple[str, ...] = (),
        irrelevant: bool = False) -> Result:
    result = Result.objects.create(
        workspace=search.workspace, network=network, remote_id=remote_id, text=text,
        sentiment=sentiment, language=language, author_handle=author, hashtags=list(hashtags),
        published_at=when, irrelevant=irrelevant, url=f"https://social.example/{remote_id}")
    Match.objects.create(search=search, result=result, published_at=when, network=network,
                         sentiment=sentiment, irrelevant=irrelevant)
    return result


@pytest.fixture
def greek(people) -> SavedSearch:
    """A search for "καφές" with results at known times in November (Athens is UTC+2)."""
    search = SavedSearch.objects.create(workspace=people.acme, name="Καφές", query="καφές",
                                        networks=["mastodon", "bluesky"])
    add(search, "1", "Ο ΚΑΦΈΣ είναι υπέροχος! #Πρωινό https://x.example/a",
        datetime(2026, 11, 2, 21, 30, tzinfo=UTC), sentiment="positive", author="@maria")
    # 22:30 UTC on the 2nd is 00:30 on the 3rd in Athens: the 3rd's, and its first hour's.
    add(search, "2", "καφες και τσάι στην Αθήνα #πρωινό",
        datetime(2026, 11, 2, 22, 30, tzinfo=UTC), author="@maria")
    add(search, "3", "Ο καφές ήταν κρύος, κακός. ΑΘΗΝΑ @nikos@social.example",
        datetime(2026, 11, 3, 10, 0, tzinfo=UTC), sentiment="negative", author="@nikos")
    add(search, "4", "Coffee καφές in Athens", datetime(2026, 11, 4, 9, 0, tzinfo=UTC),
        network="bluesky", sentiment="positive", language="en", author="@john")
    add(search, "5", "καφές spam spam", datetime(2026, 11, 4, 9, 0, tzinfo=UTC),
        sentiment="negative", author="@spam", irrelevant=True)
    add(search, "6", "καφές later", datetime(2026, 11, 10, 9, 0, tzinfo=UTC), author="@late")
    return search


NOVEMBER = {"from": "2026-11-02", "until": "2026-11-04"}


def test_figures_on_a_known_greek_dataset(greek):
    when = figures.period(date(2026, 11, 2), date(2026, 11, 4), zone=ATHENS)
    found = figures.figures(greek, when)
    assert found["by_day"] == [(date(2026, 11, 2), 1), (date(2026, 11, 3), 2),
                               (date(2026, 11, 4), 1)]
    assert found["total"] == 4
    hours = dict(found["by_hour"])
    assert len(found["by_hour"]) == 72
    assert hours[datetime(2026, 11, 3, 0, 0, tzinfo=ATHENS)] == 1
    assert hours[datetime(2026, 11, 2, 23, 0, tzinfo=ATHENS)] == 1
    assert sum(hours.values()) == 4
    share = {r["sentiment"]: (r["count"], r["percent"]) for r in found["sentiment"]}
    assert share == {"positive": (2, 50.0), "neutral": (1, 25.0), "negative": (1, 25.0)}
    assert [(a["handle"], a["count"]) for a in found["authors"]] == [
        ("@maria", 2), ("@john", 1), ("@nikos", 1)]
    words = [(w["word"], w["count"]) for w in found["words"]]
    # Αθήνα and ΑΘΗΝΑ are one word; καφές (the search's own), stop words, the link, the
    # handle and the hashtags' text are not words here.
    assert words[0] == ("αθήνα", 2)
    assert {w for w, _n in words} == {"αθήνα", "athens", "coffee", "κακός", "κρύος", "τσάι",
                                      "υπέροχος"}
    assert [(t["tag"], t["count"]) for t in found["hashtags"]] == [("πρωινό", 2)]
    # Kolkata is UTC+5:30: hours are cut in its zone (21:30 UTC on the 2nd is 03:00 on the 3rd).
    kolkata = figures.figures(greek, figures.period(date(2026, 11, 2), date(2026, 11, 4),
                                                    zone=zoneinfo.ZoneInfo("Asia/Kolkata")))
    assert [n for _d, n in kolkata["by_day"]] == [0, 3, 1]
    assert sum(n for _h, n in kolkata["by_hour"]) == 4
    assert dict(kolkata["by_hour"])[datetime(2026, 11, 3, 3, 0, tzinfo=zoneinfo.ZoneInfo(
        "Asia/Kolkata"))] == 1
    only_en = figures.figures(greek, when, figures.Filters(language="en"))
    assert only_en["total"] == 1 and only_en["authors"][0]["handle"] == "@john"


def test_figures_period_rules():
    with pytest.raises(ValueError):
        figures.period(date(2026, 11, 5), date(2026, 11, 1))
    with pytest.raises(ValueError):
        figures.period(date(2024, 1, 1), date(2026, 1, 1))
    assert not figures.period(days=7).hourly and figures.period(days=3).hourly


def test_share_of_voice_and_counts(people, greek):
    rival = SavedSearch.objects.create(workspace=people.acme, name="Rival", query="τσάι")
    add(rival, "r1", "τσάι", datetime(2026, 11, 3, 8, 0, tzinfo=UTC))
    when = figures.period(date(2026, 11, 2), date(2026, 11, 4), zone=ATHENS)
    share = figures.share_of_voice(people.acme, when, [greek, rival])
    assert [(r["name"], r["count"], r["percent"]) for r in share] == [
        ("Καφές", 4, 80.0), ("Rival", 1, 20.0)]
    page = browser(people.alice).get(reverse("listening:list"), NOVEMBER)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="share-of-voice"' in body and "80.0 %" in body and "20.0 %" in body


def test_list_shows_counts_and_source_errors(people):
    search = SavedSearch.objects.create(workspace=people.acme, name="Brand", query="acme",
                                        networks=["mastodon", "rss"])
    now = timezone.now()
    add(search, "new", "acme", now - timedelta(days=1))
    add(search, "old", "acme", now - timedelta(days=9))
    add(search, "bad", "acme", now - timedelta(days=2), irrelevant=True)
    SourceState.objects.create(search=search, network="mastodon", last_run_at=now,
                               last_error="mastodon asks to slow down: <b>429</b>")
    SourceState.objects.create(search=search, network="rss", key="https://feed.example/rss",
                               last_run_at=now)
    body = browser(people.charlie).get(reverse("listening:list")).content.decode()
    assert '<td class="week">1</td>' in body
    assert "mastodon asks to slow down: &lt;b&gt;429&lt;/b&gt;" in body
    assert "https://feed.example/rss" in body
    # A viewer sees no form and no run button.
    assert 'id="search-form"' not in body and reverse("listening:run", args=[search.pk]) \
        not in body


def test_create_edit_delete_and_validation(people):
    alice = browser(people.alice)
    made = alice.post(reverse("listening:list"), {
        "name": "Brand", "query": "acme OR #acme", "hashtags": "#acme, acmecorp",
        "networks": ["rss"], "languages": "el, EN",
        "feeds": "https://news.example/rss\n\nhttps://blog.example/atom", "enabled": "on"})
    assert made.status_code == 302, made.content.decode()[-3000:]
    search = SavedSearch.objects.get(workspace=people.acme, name="Brand")
    assert made.status_code == 302 and made.url == reverse("listening:search", args=[search.pk])
    assert search.hashtags == ["acme", "acmecorp"] and search.languages == ["el", "en"]
    assert search.feeds == ["https://news.example/rss", "https://blog.example/atom"]
    assert search.networks == ["rss"] and search.enabled
    bad = alice.post(reverse("listening:list"), {"name": "Bad", "query": "(acme"})
    assert bad.status_code == 422 and "never closed" in bad.content.decode()
    assert 'value="Bad"' in bad.content.decode()  # what was typed stays
    duplicate = alice.post(reverse("listening:list"), {"name": "Brand", "query": "x"})
    assert duplicate.status_code == 422
    edit = alice.post(reverse("listening:edit", args=[search.pk]), {
        "name": "Brand 2", "query": "acme", "networks": ["rss"],
        "feeds": "https://news.example/rss"})
    assert edit.status_code == 302
    search.refresh_from_db()
    assert search.name == "Brand 2" and not search.enabled and search.hashtags == []
    assert alice.get(reverse("listening:edit", args=[search.pk])).status_code == 200
    assert alice.post(reverse("listening:delete", args=[search.pk])).status_code == 302
    assert not SavedSearch.objects.filter(pk=search.pk).exists()


def test_roles_and_other_workspaces(people, greek):
    viewer = browser(people.charlie)
    assert viewer.get(reverse("listening:search", args=[greek.pk])).status_code == 200
    assert viewer.post(reverse("listening:list"), {"name": "X", "query": "x"}).status_code == 403
    assert not SavedSearch.objects.filter(name="X").exists()
    result = Result.objects.get(workspace=people.acme, remote_id="1")
    for name, pk in (("edit", greek.pk), ("delete", greek.pk), ("run", greek.pk),
                     ("irrelevant", result.pk), ("inbox", result.pk)):
        assert viewer.post(reverse(f"listening:{name}", args=[pk])).status_code == 403, name
    result.refresh_from_db()
    assert not result.irrelevant and SavedSearch.objects.filter(pk=greek.pk).exists()
    outsider = browser(people.bob)
    for name, pk in (("search", greek.pk), ("csv", greek.pk), ("edit", greek.pk)):
        assert outsider.get(reverse(f"listening:{name}", args=[pk])).status_code == 404, name
    for name, pk in (("delete", greek.pk), ("run", greek.pk), ("irrelevant", result.pk),
                     ("inbox", result.pk)):
        assert outsider.post(reverse(f"listening:{name}", args=[pk])).status_code == 404, name
    assert "Καφές" not in outsider.get(reverse("listening:list")).content.decode()
    assert Client().get(reverse("listening:list")).status_code == 302
    # A contributor may manage searches.
    contributor = type(people.bob).objects.create_user("dora@example.com", "dora@example.com",
                                                       "pw-pw-pw-pw")
    Membership.objects.create(workspace=people.acme, user=contributor, role=Role.CONTRIBUTOR)
    assert browser(contributor).post(reverse("listening:list"), {
        "name": "Mine", "query": "acme", "networks": ["rss"]}).status_code == 302


def test_search_page_filters_pages_and_feedback(people, greek):
    alice = browser(people.alice)
    url = reverse("listening:search", args=[greek.pk])
    body = alice.get(url, NOVEMBER).content.decode()
    for remote_id in "1234":
        assert f"https://social.example/{remote_id}" in body
    assert "spam spam" not in body and "later" not in body  # irrelevant; out of the period
    listed = body[body.index('id="results"'):]
    assert listed.index("Coffee") < listed.index("κρύος")  # newest first
    assert "<svg" in body and "Αθήνα".lower() in body
    only = alice.get(url, {**NOVEMBER, "network": "bluesky"}).content.decode()
    assert "Coffee" in only and "κρύος" not in only
    negative = alice.get(url, {**NOVEMBER, "sentiment": "negative"}).content.decode()
    assert "κρύος" in negative and "Coffee" not in negative
    english = alice.get(url, {**NOVEMBER, "language": "en"}).content.decode()
    assert "Coffee" in english and "κρύος" not in english
    one_day = alice.get(url, {"from": "2026-11-04", "until": "2026-11-04"}).content.decode()
    assert "Coffee" in one_day and "κρύος" not in one_day
    assert "Results per hour" in one_day
    # A nonsense period is said and replaced, not a 500.
    odd = alice.get(url, {"from": "2026-11-09", "until": "2026-11-01", "days": "x",
                          "sentiment": "<script>"})
    assert odd.status_code == 200 and "<script>" not in odd.content.decode()
    result = Result.objects.get(workspace=people.acme, remote_id="4")
    back = alice.post(reverse("listening:irrelevant", args=[result.pk]),
                      {"next": f"{url}?from=2026-11-02"})
    assert back.status_code == 302 and back.url == f"{url}?from=2026-11-02"
    assert Match.objects.get(result=result).irrelevant
    assert "Coffee" not in alice.get(url, NOVEMBER).content.decode()
    alice.post(reverse("listening:irrelevant", args=[result.pk]), {"irrelevant": "0"})
    assert not Match.objects.get(result=result).irrelevant
    no_channel = alice.post(reverse("listening:inbox", args=[result.pk]), follow=True)
    assert "No connected bluesky channel" in no_channel.content.decode()
    # An outside address in `next` is not followed.
    away = alice.post(reverse("listening:irrelevant", args=[result.pk]),
                      {"next": "https://evil.example/"})
    assert away.url == reverse("listening:list")


def test_pages_and_queries_do_not_grow(people):
    search = SavedSearch.objects.create(workspace=people.acme, name="Many", query="acme")
    now = timezone.now()

    def seed(start: int, n: int) -> None:
        for i in range(start, start + n):
            add(search, f"m{i}", f"acme number {i} #tag{i % 3}", now - timedelta(minutes=i),
                author=f"@a{i % 4}")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page = browser(people.alice).get(reverse("listening:search", args=[search.pk]))
            assert page.status_code == 200
        return len(queries)

    seed(0, 5)
    few = count()
    seed(5, 70)
    assert count() == few
    second = browser(people.alice).get(reverse("listening:search", args=[search.pk]),
                                       {"page": 2}).content.decode()
    assert "acme number 74" in second and "acme number 0 " not in second

    def list_count() -> int:
        with CaptureQueriesContext(connection) as queries:
            browser(people.alice).get(reverse("listening:list"))
        return len(queries)

    before = list_count()
    for i in range(5):
        SavedSearch.objects.create(workspace=people.acme, name=f"More {i}", query="x")
    assert list_count() == before


def test_csv_export_is_formula_safe_and_filtered(people, greek):
    add(greek, "evil", "=HYPERLINK(\"https://evil.example\") καφές",
        datetime(2026, 11, 3, 12, 0, tzinfo=UTC), author="@evil", sentiment="negative")
    response = browser(people.charlie).get(reverse("listening:csv", args=[greek.pk]), NOVEMBER)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["published_at", "network", "author"]
    texts = [r[4] for r in rows[1:]]
    assert texts[-1].startswith("Ο ΚΑΦΈΣ")  # newest first, oldest last
    assert "'=HYPERLINK(\"https://evil.example\") καφές" in texts
    assert len(rows) == 6  # the header, the 4 in November and the new one; not irrelevant
    # Times in the viewer's zone (Acme is Europe/Athens): 21:30 UTC is 23:30 there.
    assert rows[-1][0] == "2026-11-02T23:30:00+02:00"
    negative = browser(people.charlie).get(reverse("listening:csv", args=[greek.pk]),
                                           {**NOVEMBER, "sentiment": "negative"})
    negative_rows = list(csv.reader(io.StringIO(
        b"".join(negative.streaming_content).decode())))
    assert len(negative_rows) == 3


def test_navigation_entry_by_role(people):
    assert 'id="nav-listening"' in browser(people.charlie).get("/").content.decode()
    approver = type(people.bob).objects.create_user("eve@example.com", "eve@example.com",
                                                    "pw-pw-pw-pw")
    Membership.objects.create(workspace=people.acme, user=approver, role=Role.CLIENT_APPROVER)
    page = browser(approver).get(reverse("approvals:inbox"))
    assert 'id="nav-listening"' not in page.content.decode()
    assert browser(approver).get(reverse("listening:list")).status_code == 302


def test_greek_page(people, greek):
    alice = browser(people.alice)
    alice.cookies["django_language"] = "el"
    body = alice.get(reverse("listening:search", args=[greek.pk]), {
        **NOVEMBER}, HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "Αποτελέσματα ανά ημέρα" in body and "Εξαγωγή CSV" in body
    assert "2 (50,0 %)" in body  # the chart's figures with the Greek decimal comma
    assert "Κοινωνική ακρόαση" in body  # the navigation entry


def test_run_now_keeps_each_sources_error_and_shows_it(people):
    search = SavedSearch.objects.create(workspace=people.acme, name="Feed", query="acme",
                                        networks=["rss"], feeds=["https://feed.invalid/rss"])
    alice = browser(people.alice)
    page = reverse("listening:search", args=[search.pk])
    ran = alice.post(reverse("listening:run", args=[search.pk]), {"next": page}, follow=True)
    assert ran.redirect_chain[-1][0] == page
    assert search.runs.count() == 1
    state = SourceState.objects.get(search=search, network="rss")
    assert state.last_error and state.last_run_at
    body = ran.content.decode()
    assert "Feed ran: 0 fetched, 0 new." in body and "rss:https://feed.invalid/rss" in body
    listed = alice.get(reverse("listening:list")).content.decode()
    assert "https://feed.invalid/rss" in listed and 'class="error"' in listed
    assert browser(people.charlie).post(reverse("listening:run", args=[search.pk])
                                        ).status_code == 403
    assert search.runs.count() == 1


def test_list_shows_the_request_budget_per_network(people):
    from keryx.listening.models import Run

    searches = [SavedSearch.objects.create(workspace=people.acme, name=f"S{i}",
                                           query="acme OR kafes", networks=["mastodon"])
                for i in range(3)]
    SavedSearch.objects.create(workspace=people.globex, name="Theirs", query="x",
                               networks=["reddit"])
    Run.objects.create(search=searches[0], per_source={"mastodon:channel:1": {"requests": 2}})
    body = browser(people.charlie).get(reverse("listening:list")).content.decode()
    section = body.split('id="request-budget"', 1)[1].split("</section>", 1)[0]
    # 3 searches of two terms, every 5 minutes: 6 requests a 5-minute window of 300 a channel.
    row = section.split('<tr data-network="mastodon">', 1)[1].split("</tr>", 1)[0]
    cells = [cell.split(">", 1)[1].strip() for cell in row.split("</td>")[:4]]
    assert cells == ["Mastodon", "3", "2.0", "6"], cells
    assert "300 per 5 min (channel)" in section and "<td>2</td><td>fits</td>" in section
    assert 'data-network="reddit"' not in section  # another workspace's search is not counted
