"""The strategy: the template in Greek or English, the channel mix with the warning past four
main channels and the best-performing channel, pillar shares measured from the labels on
published posts, the posting rhythm; the page, the edit form, the PDF (read with pypdfium2);
results this year against last year with "no spend recorded" when budgets are not there."""

from __future__ import annotations

from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from django.test import Client
from django.urls import reverse

from keryx.analytics import services as analytics
from keryx.channels.models import Channel
from keryx.planner.models import Label
from keryx.strategy import goals, pdf, plan, results
from tests.api_support import Caller
from tests.support.analytics import published, today


def text_of(body: bytes) -> str:
    doc = pdfium.PdfDocument(body)
    # Table cells wrap: compare with the line breaks as spaces.
    return " ".join(" ".join(page.get_textpage().get_text_range() for page in doc).split())


@pytest.fixture(autouse=True)
def english():
    """Messages in English, whatever a page test before left active."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def mix(people):
    toot = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    sky = Channel.objects.create(workspace=people.acme, network="bluesky", name="Sky")
    howto = Label.objects.create(workspace=people.acme, name="How-to")
    news = Label.objects.create(workspace=people.acme, name="News")
    # Four posts in the last 30 days: 3 on Toot (10 %, 5 %, 2 %), 1 on Sky (20 %).
    for days, eng, channel, label in ((3, 100, toot, howto), (5, 50, toot, howto),
                                      (7, 20, toot, news), (4, 200, sky, None)):
        tracked = published(channel, today() - timedelta(days=days), eng)
        if label:
            tracked.target.post.labels.add(label)
    return toot, sky, howto, news


def test_strategy_measured_against_the_posts(people, mix):
    toot, sky, howto, news = mix
    strategy = plan.create_strategy(people.acme, "el")
    assert strategy.title == "Στρατηγική κοινωνικών δικτύων"
    plan.update_strategy(strategy, channels=[
        {"channel": toot.pk, "main": True, "posts_per_week": 2},
        {"channel": sky.pk, "main": True, "posts_per_week": 1}],
        pillars=[{"label": howto.pk, "target_share": 60},
                 {"label": news.pk, "target_share": 30}])
    when = analytics.period(people.acme, today() - timedelta(days=27), today())
    m = plan.measured(strategy, when)
    rows = {r["channel"]: r for r in m["channels"]}
    # 3 posts in 28 days = 0.75 a week against 2 planned.
    assert rows["Toot"]["actual_posts_per_week"] == 0.75
    assert rows["Toot"]["rhythm_gap"] == -1.25
    assert rows["Sky"]["best"] and m["best_channel"] == "Sky"
    assert rows["Sky"]["engagement_rate_by_followers"] == pytest.approx(20)
    pillars = {p["label"]: p for p in m["pillars"]}
    # 2 of 4 posts carry How-to, 1 of 4 News.
    assert (pillars["How-to"]["actual_share"], pillars["How-to"]["gap"]) == (50.0, -10.0)
    assert pillars["News"]["actual_share"] == 25.0
    assert m["warnings"] == []


def test_warning_past_four_main_channels(people, mix):
    strategy = plan.create_strategy(people.acme, "en")
    extra = [Channel.objects.create(workspace=people.acme, network="mastodon", name=f"M{i}")
             for i in range(3)]
    plan.update_strategy(strategy, channels=[{"channel": c.pk, "main": True}
                                             for c in [*mix[:2], *extra]])
    m = plan.measured(strategy, analytics.period(people.acme))
    assert m["main_channels"] == 5
    assert "three or four" in m["warnings"][0]


def test_bad_input_is_refused(people, mix):
    with pytest.raises(plan.StrategyError, match="en or el"):
        plan.create_strategy(people.acme, "fr")
    strategy = plan.create_strategy(people.acme, "en")
    with pytest.raises(plan.StrategyError, match="more than 100"):
        plan.update_strategy(strategy, pillars=[{"label": mix[2].pk, "target_share": 70},
                                                {"label": mix[3].pk, "target_share": 40}])
    other = Label.objects.create(workspace=people.globex, name="Theirs")
    with pytest.raises(plan.StrategyError, match="No label"):
        plan.update_strategy(strategy, pillars=[{"label": other.pk, "target_share": 10}])


def test_pdf_of_the_strategy_in_greek(people, mix):
    strategy = plan.create_strategy(people.acme, "el")
    plan.update_strategy(strategy, channels=[{"channel": mix[0].pk, "main": True,
                                              "posts_per_week": 3}],
                         pillars=[{"label": mix[2].pk, "target_share": 50}])
    goal = goals.create_goal(people.acme, name="Ρυθμός", metric="posts_per_week", target=3,
                             deadline=today() + timedelta(days=20), user=people.alice)
    body = pdf.render_plan(plan.measured(strategy, analytics.period(people.acme)), "Acme",
                           [goals.goal_json(goal)], goals.PROJECTION_METHOD, "el")
    text = text_of(body)
    assert "Στρατηγική κοινωνικών δικτύων" in text
    assert "Toot" in text and "How-to" in text and "Ρυθμός" in text


def test_results_this_year_against_last_year_without_spend(people, mix):
    toot = mix[0]
    # Last year, the same stretch: one post.
    published(toot, (today() - timedelta(days=3)).replace(year=today().year - 1), 10)
    r = results.results(people.acme)
    posts = next(f for f in r["figures"] if f["figure"] == "posts")
    this_year = sum(1 for d in (3, 4, 5, 7) if (today() - timedelta(days=d)).year
                    == today().year)
    assert posts["last_year"] == 1 and posts["this_year"] == this_year
    assert all(f["formula"] for f in r["figures"])
    assert r["no_spend"] is True
    text = text_of(pdf.render_results(r, "Acme", "en"))
    assert "No spend recorded" in text and "Engagement rate by followers" in text


def test_pages_and_api(people, mix):
    browser = Client()
    browser.force_login(people.alice)
    assert b"no-strategy" in browser.get(reverse("strategy:page")).content
    assert browser.post(reverse("strategy:page"), {"language": "en"}).status_code == 302
    assert browser.get(reverse("strategy:edit")).status_code == 200
    toot, sky = mix[:2]
    saved = browser.post(reverse("strategy:edit"), {
        "title": "Our plan", "audience": "Αθηναίοι", f"main_{toot.pk}": "on",
        f"ppw_{toot.pk}": "2,5", f"share_{mix[2].pk}": "40"})
    assert saved.status_code == 302
    page = browser.get(reverse("strategy:page")).content.decode()
    assert "Our plan" in page and "Αθηναίοι" in page
    assert browser.get(reverse("strategy:pdf"))["Content-Type"] == "application/pdf"
    assert b"no-spend" in browser.get(reverse("strategy:results")).content
    bad = browser.post(reverse("strategy:goals"), {
        "name": "Clicks", "metric": "link_clicks", "scope": f"channel:{toot.pk}",
        "target": "10", "deadline": (today() + timedelta(days=5)).isoformat()})
    assert bad.status_code == 400 and "does not report link clicks" in bad.content.decode()
    api = Caller(people.alice).get("/strategy", workspace=people.acme.pk)
    assert api.status_code == 200 and api.json()["title"] == "Our plan"
    assert Caller(people.bob).get("/strategy", workspace=people.acme.pk).status_code == 404
    assert Caller(people.alice).get("/strategy/results",
                                    workspace=people.acme.pk).json()["no_spend"] is True
    viewer = Client()
    viewer.force_login(people.charlie)
    assert viewer.get(reverse("strategy:edit")).status_code == 403


def test_the_pages_in_greek(people, mix):
    from django.conf import settings

    browser = Client()
    browser.force_login(people.alice)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    page = browser.get(reverse("strategy:page")).content.decode()
    assert "Δεν υπάρχει ακόμη στρατηγική" in page
    browser.post(reverse("strategy:page"), {"language": "el"})
    page = browser.get(reverse("strategy:page")).content.decode()
    assert "Μείγμα καναλιών" in page and "Στρατηγική κοινωνικών δικτύων" in page
    goals_page = browser.get(reverse("strategy:goals")).content.decode()
    assert "Νέος στόχος" in goals_page
