"""Benchmarks: each channel's targets and the workspace's own trailing average (the 90 days before
the period), against the period's figures, on the page, in `analytics summary --json` and the API.
The expected figures are worked out by hand in each test."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command

from keryx.analytics import benchmarks, services
from keryx.analytics.models import Benchmark, ChannelSnapshot
from keryx.channels.models import Channel
from tests.api_support import Caller
from tests.support.analytics import ATHENS, published, today


@pytest.fixture
def world(people):
    toot = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    now = today()

    def followers(days_ago: int, count: int) -> None:
        ChannelSnapshot.objects.create(
            channel=toot, workspace=people.acme, followers=count,
            taken_at=datetime.combine(now - timedelta(days=days_ago), time(8), ATHENS))

    followers(100, 40)
    followers(20, 100)
    followers(1, 120)
    # The period: the last 14 days. Two posts: 10 % and 5 % of 1000 followers.
    published(toot, now - timedelta(days=10), 100)
    published(toot, now - timedelta(days=3), 50)
    # The 90 days before it: 4 %, 5 %, 6 %.
    for days_ago, eng in ((80, 40), (60, 50), (30, 60)):
        published(toot, now - timedelta(days=days_ago), eng)
    return toot


def period(people):
    return services.period(people.acme, today() - timedelta(days=13), today())


def test_figures_against_the_target_and_the_trailing_average(people, world):
    benchmarks.set_targets(people.acme, world, engagement_rate=8, posts_per_week=2,
                           followers_per_month=30)
    when = period(people)
    summary = services.summary(people.acme, when)
    result = benchmarks.compare(people.acme, when, None, summary)
    assert result["trailing"]["posts"] == 3
    assert result["trailing"]["until"] == when.first_day - timedelta(days=1)
    rate = result["figures"]["engagement_rate_by_followers"]
    # (10 + 5) / 2 = 7.5 against 8 and against (4 + 5 + 6) / 3 = 5.
    assert (rate["value"], rate["target"], rate["trailing"]) == (7.5, 8, 5.0)
    assert (rate["target_difference"], rate["against_target"]) == (-0.5, "below")
    assert (rate["trailing_difference"], rate["against_trailing"]) == (2.5, "above")
    posts = result["figures"]["posts_per_week"]
    # 2 posts in 14 days = 1 a week; the 90 days before: 3 / 90 × 7 = 0.23.
    assert (posts["value"], posts["against_target"], posts["trailing"]) == (1.0, "below", 0.23)
    growth = result["figures"]["followers_per_month"]
    # Period: 100 (the last reading before it) -> 120, 20 in 14 days = 42.86 a month.
    # Trailing: 40 -> 100 in 90 days = 20 a month.
    assert (growth["value"], growth["trailing"]) == (42.86, 20.0)
    assert (growth["target_difference"], growth["against_target"]) == (12.86, "above")
    assert result["channels"] == []  # one channel: the overall figures are its own


def test_several_channels_add_up_posts_targets_and_compare_rates_per_channel(people, world):
    sky = Channel.objects.create(workspace=people.acme, network="bluesky", name="Sky")
    published(sky, today() - timedelta(days=5), 30, saves=0)
    benchmarks.set_targets(people.acme, world, engagement_rate=8, posts_per_week=2,
                           followers_per_month=None)
    benchmarks.set_targets(people.acme, sky, engagement_rate=2, posts_per_week=3,
                           followers_per_month=None)
    when = period(people)
    result = benchmarks.compare(people.acme, when, None, services.summary(people.acme, when))
    figures = result["figures"]
    assert figures["posts_per_week"]["target"] == 5  # 2 + 3
    assert figures["engagement_rate_by_followers"]["target"] is None
    assert "per channel" in result["note"]
    by_channel = {c["channel"]: c["figures"] for c in result["channels"]}
    assert by_channel["Sky"]["engagement_rate_by_followers"]["value"] == 3.0
    assert by_channel["Sky"]["engagement_rate_by_followers"]["against_target"] == "above"
    assert by_channel["Sky"]["posts_per_week"]["value"] == 0.5
    assert by_channel["Toot"]["engagement_rate_by_followers"]["trailing"] == 5.0


def test_empty_targets_remove_them_and_bad_values_are_refused(people, world):
    benchmarks.set_targets(people.acme, world, engagement_rate=8, posts_per_week=None,
                           followers_per_month=None)
    assert Benchmark.objects.count() == 1
    benchmarks.set_targets(people.acme, world, engagement_rate=None, posts_per_week=None,
                           followers_per_month=None)
    assert Benchmark.objects.count() == 0
    with pytest.raises(benchmarks.BenchmarkError, match="out of range"):
        benchmarks.set_targets(people.acme, world, engagement_rate=-1, posts_per_week=None,
                               followers_per_month=None)
    other = Channel.objects.create(workspace=people.globex, network="mastodon", name="Theirs")
    with pytest.raises(benchmarks.BenchmarkError, match="No such channel"):
        benchmarks.set_targets(people.acme, other, engagement_rate=1, posts_per_week=None,
                               followers_per_month=None)


def test_targets_page_then_the_analytics_page_shows_the_comparison(people, world, client):
    client.force_login(people.alice)
    page = client.get("/analytics/targets/")
    assert page.status_code == 200
    saved = client.post("/analytics/targets/", {f"rate_{world.pk}": "8",
                                                f"posts_{world.pk}": "2",
                                                f"followers_{world.pk}": ""})
    assert saved.status_code == 302
    bench = Benchmark.objects.get(channel=world)
    assert (bench.engagement_rate, bench.posts_per_week, bench.followers_per_month) == \
        (8, 2, None)
    first = (today() - timedelta(days=13)).isoformat()
    html = client.get("/analytics/", {"from": first}).content.decode()
    assert 'id="benchmarks"' in html and 'href="/analytics/targets/"' in html
    assert "below by 0.50" in html and "above by 2.50" in html and "no target" in html
    greek = client.get("/analytics/", {"from": first}, HTTP_ACCEPT_LANGUAGE="el")
    assert "κάτω κατά 0,50" in greek.content.decode()
    bad = client.post("/analytics/targets/", {f"rate_{world.pk}": "lots"})
    assert bad.status_code == 400
    client.force_login(people.charlie)  # a viewer sees the comparison but sets no targets
    assert client.get("/analytics/targets/").status_code == 403
    assert 'href="/analytics/targets/"' not in client.get("/analytics/").content.decode()


def test_summary_json_and_api_carry_benchmarks_and_keep_their_keys(people, world, capsys):
    benchmarks.set_targets(people.acme, world, engagement_rate=8, posts_per_week=2,
                           followers_per_month=30)
    first = (today() - timedelta(days=13)).isoformat()
    call_command("analytics", "summary", "--user", "alice@example.com", "--from", first,
                 "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["engagement_rate_by_followers"] == 7.5 and data["posts"] == 2
    assert data["benchmarks"]["figures"]["engagement_rate_by_followers"]["against_target"] == \
        "below"
    api = Caller(people.alice).get("/analytics/summary", **{"from": first}).json()
    assert api["benchmarks"]["figures"]["followers_per_month"]["value"] == 42.86
    assert api["benchmarks"]["trailing"]["from"] == str(today() - timedelta(days=103))
    assert api["engagement_rate_by_followers"] == 7.5  # the existing keys are unchanged
    targets = Caller(people.alice).get("/analytics/targets").json()
    assert targets == [{"channel": "Toot", "engagement_rate": 8.0, "posts_per_week": 2.0,
                        "followers_per_month": 30}]
    put = Caller(people.alice).client.put(
        "/api/v1/analytics/targets", json.dumps({"channel": "Toot", "posts_per_week": 4}),
        content_type="application/json", headers=Caller(people.alice)._headers())
    assert put.status_code == 200
    assert Benchmark.objects.get().posts_per_week == 4 and \
        Benchmark.objects.get().engagement_rate is None
    viewer = Caller(people.charlie)
    denied = viewer.client.put("/api/v1/analytics/targets", json.dumps({"channel": "Toot"}),
                               content_type="application/json", headers=viewer._headers())
    assert denied.status_code == 403
