"""The figures beyond the first analytics page, against hand-computed cases, through the
services, the page (English and Greek) and the API: the daily engagement rate, posts per week,
top and bottom posts per channel, network, campaign and label, short-link clicks beside the
post, follower growth per channel, formulas never mixed, the posts table paginated."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from keryx.analytics import rollup, services
from keryx.analytics.models import ChannelSnapshot, MetricSnapshot, PostDay, TrackedPost
from keryx.channels.models import Channel
from keryx.links.models import ShortLink
from keryx.links.services import short_url
from keryx.planner.models import Campaign, Label
from keryx.publishing.models import Post, PostTarget, TargetState
from tests.api_support import Caller

ATHENS = ZoneInfo("Europe/Athens")
TODAY = timezone.now().astimezone(ATHENS).date()


def at(days_ago: int, hour: int) -> datetime:
    """`hour`:00 Athens time, `days_ago` local days before today."""
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour), ATHENS)


def post(channel: Channel, remote_id: str, published: datetime, followers: int | None,
         text: str = "", readings: tuple[tuple[datetime, dict], ...] = ()) -> TrackedPost:
    """A published delivery and its readings, written as the collector writes them."""
    item = Post.objects.create(workspace=channel.workspace, text=text or f"Ανάρτηση {remote_id}",
                               scheduled_at=published)
    target = PostTarget.objects.create(
        post=item, channel=channel, workspace=channel.workspace, state=TargetState.PUBLISHED,
        remote_id=remote_id, remote_url=f"https://net.example/{remote_id}",
        published_at=published)
    tracked = TrackedPost.objects.create(
        target=target, workspace=channel.workspace, channel=channel, published_at=published,
        remote_id=remote_id, remote_url=target.remote_url, followers_at_publish=followers)
    for taken_at, counts in readings:
        MetricSnapshot.objects.create(tracked=tracked, taken_at=taken_at, **counts)
    return tracked


def followers(channel: Channel, when: datetime, count: int) -> None:
    ChannelSnapshot.objects.create(channel=channel, workspace=channel.workspace, taken_at=when,
                                   followers=count)


def masto(likes: int, comments: int = 0, shares: int = 0) -> dict:
    return {"likes": likes, "comments": comments, "shares": shares}


def sky(likes: int, comments: int = 0, shares: int = 0, saves: int = 0) -> dict:
    return {"likes": likes, "comments": comments, "shares": shares, "saves": saves}


@pytest.fixture
def week(people):
    """Seven local days ending yesterday. Toot (Mastodon): 3 posts; Sky (Bluesky): 1 post;
    Quiet (Mastodon): no readings at all."""
    toot = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    skyc = Channel.objects.create(workspace=people.acme, network="bluesky", name="Sky")
    Channel.objects.create(workspace=people.acme, network="mastodon", name="Quiet")
    followers(toot, at(10, 8), 200)   # before the period: the start figure
    followers(toot, at(2, 8), 400)
    followers(toot, at(1, 20), 250)   # the end figure: 200 → 250, +25 %
    followers(skyc, at(5, 8), 100)   # first reading inside the period: the start
    # Toot's daily engagement: day -3: 4 new; day -2: 6 more likes + 2 comments = 8; day -1:
    # a like taken back, nothing new → 0.
    post(toot, "a", at(3, 9), 200, readings=(
        (at(3, 12), masto(4)), (at(2, 12), masto(10, 2)), (at(1, 12), masto(9, 2))))
    post(toot, "b", at(5, 9), 200, readings=((at(5, 10), masto(2)),))           # 1 %
    post(toot, "c", at(6, 9), 100, readings=((at(6, 10), masto(3, 0, 3)),))     # 6 %
    post(skyc, "s", at(4, 9), 100, readings=((at(4, 10), sky(1, 1, 0, 2)),))    # 4 %
    return services.period(people.acme, TODAY - timedelta(days=7), TODAY - timedelta(days=1))


def test_collected_readings_keep_latest_counts_and_per_day_gains(people, week):
    a = TrackedPost.objects.get(remote_id="a")
    assert (a.likes, a.comments, a.shares, a.saves) == (9, 2, 0, None)  # the latest reading
    assert (a.engagements, a.engagement_parts) == (11, "likes+comments+shares")
    days = dict(PostDay.objects.filter(tracked=a).values_list("day", "engagements"))
    assert days == {TODAY - timedelta(days=3): 4, TODAY - timedelta(days=2): 8}
    # Rebuilding from the readings gives the same.
    PostDay.objects.all().delete()
    TrackedPost.objects.update(engagements=None, engagement_parts="", likes=None)
    rollup.refill()
    a.refresh_from_db()
    assert (a.likes, a.engagements) == (9, 11)
    assert dict(PostDay.objects.filter(tracked=a).values_list("day", "engagements")) == days


def test_daily_engagement_rate_per_channel_and_overall(people, week):
    summary = services.summary(people.acme, week)
    toot = next(g for g in summary["by_channel"] if g["channel"] == "Toot")
    # Toot's followers by day (the last reading by the end of each day): 200 on days -7…-3,
    # 400 on day -2, 250 on day -1. Gains: day -6: 6 (post c) → 3 %; day -5: 2 (b) → 1 %;
    # day -3: 4 (a) → 2 %; day -2: 8 (a) → 2 %; day -1: 0 (an unlike gives nothing); the
    # other days 0 %. Average over the 7 days: 8 / 7.
    daily = toot["engagement_rate_daily"]
    assert daily["value"] == pytest.approx(round(8 / 7, 4))
    assert daily["formula"] == ("average over days of new (likes+comments+shares) that day / "
                                "followers that day × 100")
    # Sky: day -4 gained 4 on 100 followers (4 %); no reading before day -5: days -7, -6 have
    # no rate; so (0 + 4 + 0 + 0 + 0) / 5.
    sky_daily = next(g for g in summary["by_channel"] if g["channel"] == "Sky")
    assert sky_daily["engagement_rate_daily"]["value"] == pytest.approx(0.8)
    assert sky_daily["engagement_rate_daily"]["posts_without_rate"] == 2
    # Overall: the two channels count engagement differently (Bluesky has saves): no single
    # daily figure, one per formula, each naming its network.
    overall = summary["engagement_rate"]["daily"]
    assert overall["value"] is None and "differently" in overall["reason"]
    assert {f["networks"][0]: f["value"] for f in overall["by_formula"]} == {
        "mastodon": round(8 / 7, 4), "bluesky": 0.8}


def test_posts_per_week_per_channel_and_network(people, week):
    summary = services.summary(people.acme, week)
    assert summary["posts_per_week"] == 4.0
    assert {g["channel"]: g["posts_per_week"] for g in summary["by_channel"]} == {
        "Toot": 3.0, "Sky": 1.0}
    assert {g["network"]: g["posts_per_week"] for g in summary["by_network"]} == {
        "mastodon": 3.0, "bluesky": 1.0}


def test_rates_of_networks_that_count_differently_are_never_averaged(people, week):
    summary = services.summary(people.acme, week)
    rate = summary["engagement_rate"]["by_followers"]
    assert summary["engagement_rate_by_followers"] is None and rate["value"] is None
    # Mastodon: (5.5 + 1 + 6) / 3 (post a has 11 engagements on 200 followers).
    assert {f["networks"][0]: (f["value"], f["posts"]) for f in rate["by_formula"]} == {
        "mastodon": (pytest.approx(12.5 / 3, abs=1e-4), 3), "bluesky": (4.0, 1)}
    assert summary["top_posts_mixed_formulas"] is True
    mastodon = next(g for g in summary["by_network"] if g["network"] == "mastodon")
    assert mastodon["engagement_rate_by_followers"]["value"] == pytest.approx(12.5 / 3, abs=1e-4)


def test_top_and_bottom_posts_per_channel_network_campaign_and_label(people, week):
    spring = Campaign.objects.create(workspace=people.acme, name="Άνοιξη")
    promo = Label.objects.create(workspace=people.acme, name="promo")
    for remote_id in ("a", "b"):
        item = Post.objects.get(targets__remote_id=remote_id)
        item.campaign = spring
        item.save(update_fields=["campaign"])
    for remote_id in ("b", "c", "s"):
        Post.objects.get(targets__remote_id=remote_id).labels.add(promo)
    summary = services.summary(people.acme, week)
    ids = lambda posts: [p["remote_id"] for p in posts]  # noqa: E731
    assert ids(summary["top_posts"]) == ["c", "a", "s", "b"]  # 6, 5.5, 4, 1 %
    assert ids(summary["bottom_posts"]) == ["b", "s", "a", "c"]
    toot = next(g for g in summary["by_channel"] if g["channel"] == "Toot")
    assert ids(toot["top_posts"]) == ["c", "a", "b"] and ids(toot["bottom_posts"]) == [
        "b", "a", "c"]
    net = {g["network"]: g for g in summary["by_network"]}
    assert ids(net["bluesky"]["top_posts"]) == ["s"]
    campaign = summary["by_campaign"][0]
    assert (campaign["campaign"], campaign["campaign_id"], campaign["posts"]) == (
        "Άνοιξη", spring.pk, 2)
    assert ids(campaign["top_posts"]) == ["a", "b"] and ids(campaign["bottom_posts"]) == [
        "b", "a"]
    assert campaign["engagement_rate_by_followers"]["value"] == pytest.approx(3.25)
    label = summary["by_label"][0]
    assert (label["label"], label["posts"]) == ("promo", 3)
    assert ids(label["top_posts"]) == ["c", "s", "b"]


def test_follower_growth_per_channel_lists_channels_without_readings(people, week):
    summary = services.summary(people.acme, week)
    growth = {g["channel"]: g for g in summary["follower_growth_by_channel"]}
    assert (growth["Toot"]["followers_start"], growth["Toot"]["followers_end"],
            growth["Toot"]["follower_growth"], growth["Toot"]["follower_growth_percent"]) == (
        200, 250, 50, 25.0)
    assert (growth["Sky"]["followers_start"], growth["Sky"]["follower_growth"]) == (100, 0)
    assert growth["Quiet"]["follower_growth"] is None
    assert growth["Quiet"]["follower_growth_reason"] == (
        "no follower reading at the start or the end")
    assert summary["follower_channels_missing"] == ["Quiet"]
    assert (summary["followers_start"], summary["followers_end"]) == (300, 350)


def test_short_link_clicks_beside_the_post(people, week):
    link = ShortLink.objects.create(workspace=people.acme, code="Abc1234",
                                    url="https://example.com/offer", clicks=7)
    other = ShortLink.objects.create(workspace=people.globex, code="Zzz9999",
                                     url="https://example.com/theirs", clicks=99)
    toot = Channel.objects.get(name="Toot")
    post(toot, "l", at(2, 9), 100, text=f"Προσφορά {short_url(link)} και {short_url(other)}",
         readings=((at(2, 10), masto(1)),))
    rows = {r["remote_id"]: r for r in services.post_rows(people.acme, week)}
    # Only Acme's own link counts; Globex's code in the text is not looked up.
    assert rows["l"]["short_link_clicks"] == 7
    assert rows["l"]["short_links"] == [{"code": "Abc1234", "url": "https://example.com/offer",
                                         "clicks": 7}]
    assert rows["a"]["short_link_clicks"] is None and rows["a"]["short_links"] == []
    api = {p["remote_id"]: p for p in Caller(people.alice).get(
        "/analytics/posts", **{"from": str(week.first_day), "until": str(week.last_day)}).json()}
    assert api["l"]["short_link_clicks"] == 7


def test_the_page_shows_the_new_figures(people, week, client):
    spring = Campaign.objects.create(workspace=people.acme, name="Άνοιξη")
    item = Post.objects.get(targets__remote_id="a")
    item.campaign = spring
    item.save(update_fields=["campaign"])
    client.force_login(people.alice)
    html = client.get("/analytics/", {"from": str(week.first_day),
                                      "until": str(week.last_day)}).content.decode()
    assert 'id="rate-daily"' in html and "1.14 %" in html  # Toot's daily rate, 8/7
    assert "new (likes+comments+shares) that day / followers that day × 100" in html
    assert 'id="by-channel"' in html and 'id="by-network"' in html and 'id="by-campaign"' in html
    assert 'id="bottom-posts"' in html and 'id="post-table"' in html
    assert 'id="followers-missing"' in html and "Quiet" in html
    assert "(25.0 %)" in html  # Toot's growth
    assert "Ranked by each post" in html


def test_the_page_in_greek_translates_formulas_and_reasons(people, week, client):
    client.force_login(people.alice)
    html = client.get("/analytics/", {"from": str(week.first_day),
                                      "until": str(week.last_day)},
                      HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "Ημερήσιο ποσοστό αλληλεπίδρασης" in html
    assert "/ ακόλουθοι τη στιγμή της δημοσίευσης × 100" in html
    assert "νέα («Μου αρέσει»+σχόλια+κοινοποιήσεις) εκείνη την ημέρα" in html
    assert "καμία μέτρηση ακολούθων στην αρχή ή στο τέλος" in html  # Quiet's growth
    assert "η αλληλεπίδραση των αναρτήσεων μετριέται διαφορετικά" in html
    assert "no follower reading at the start or the end</" not in html
    # The machine-readable names stay English in the JSON.
    caller = Caller(people.alice)
    summary = caller.client.get(
        "/api/v1/analytics/summary", {"from": str(week.first_day), "until": str(week.last_day)},
        headers={"Authorization": f"Bearer {caller.token}", "Accept-Language": "el"}).json()
    assert summary["engagement_rate"]["by_followers"]["by_formula"][0]["formula"].endswith(
        "/ followers at publish time × 100")
    assert summary["follower_growth_by_channel"][0]["follower_growth_reason"] == (
        "no follower reading at the start or the end")


def test_the_posts_table_is_paginated(people, client):
    toot = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    start = at(3, 0)
    for i in range(services.PAGE_POSTS + 1):
        post(toot, f"p{i}", start + timedelta(minutes=i), 100, text=f"Σειρά-{i}-τέλος",
             readings=((start + timedelta(minutes=i, hours=1), masto(i)),))
    client.force_login(people.alice)
    first = client.get("/analytics/").content.decode()
    assert f"Σειρά-{services.PAGE_POSTS}-τέλος" in first  # newest first
    assert "Σειρά-0-τέλος" not in first.split('id="post-table"')[1]
    assert 'rel="next"' in first
    second = client.get("/analytics/", {"page": 2}).content.decode()
    assert "Σειρά-0-τέλος" in second.split('id="post-table"')[1]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get("/analytics/", {"page": 99}).status_code == 200  # the last page


def test_the_heatmap_from_sql_matches_the_one_from_the_rows(people, week):
    toot = Channel.objects.get(name="Toot")
    sql = services.heatmap(people.acme, week, [toot])
    rows = services.heatmap(people.acme, week, [toot],
                            rows=services.post_rows(people.acme, week, [toot]))
    assert sql.cells == rows.cells and sql.posts == rows.posts == 3
    assert sql.formula == rows.formula and "too few" in sql.warning
    # Post c: published day -6 at 09:00 Athens time, 6 %.
    day = at(6, 9)
    assert sql.cells[(day.weekday(), 9)].average == pytest.approx(6.0)
    # Both networks: their engagement is counted differently, so no map.
    assert services.heatmap(people.acme, week).cells == {}
