"""No N+1 queries: each list-like page runs the same number of queries for 3 posts as for 15."""

from __future__ import annotations

import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keryx.publishing import services
from tests.ui_helpers import mastodon_channel, scheduled_post

ATHENS = zoneinfo.ZoneInfo("Europe/Athens")


def _post(people, channel, text: str, day: int):
    """A post on `day` of March next year, 10:00 Athens: one day each, so every calendar view
    (whose days show only the first few posts) shows each of them."""
    year = timezone.now().year + 1
    when = timezone.datetime(year, 3, day, 10, 0, tzinfo=ATHENS)
    return services.create_post(workspace=people.acme, author=people.alice, text=text,
                                channels=[channel], scheduled_at=when, actor="test")

PAGES = [
    "dashboard",
    "posts:list",
    "planner:month",
    "planner:week",
    "planner:list",
]


def _queries(client: Client, url: str, expect_text: str) -> int:
    client.get(url)  # warm per-process caches (content types, translations)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    # The posts must really be on the page, or the comparison proves nothing.
    assert expect_text in response.content.decode(), f"{url} does not show {expect_text!r}"
    return len(captured)


def _url_showing(page: str, when) -> str:
    """The page's URL positioned on the day the posts are scheduled."""
    local = timezone.localtime(when, ATHENS)
    query = {
        "planner:month": f"?month={local:%Y-%m}",
        "planner:week": f"?day={local:%Y-%m-%d}",
        "planner:list": f"?from={local:%Y-%m-%d}&days=31",
    }.get(page, "")
    return reverse(page) + query


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_query_count_does_not_grow_with_posts(people, page):
    channel = mastodon_channel(people.acme)
    other = mastodon_channel(people.acme, name="Second channel")
    client = Client()
    client.force_login(people.alice)
    def make(i: int, on) -> object:
        if page in ("dashboard", "posts:list"):  # these show what is coming soon
            return scheduled_post(people.acme, people.alice, on, f"batch {i}")
        # Calendar views: spread over days (a day cell shows only its first few posts); the
        # week view needs them inside one week (2–6 March).
        return _post(people, on, f"batch {i}", day=2 + (i % 5 if page == "planner:week" else i))

    first = [make(i, channel) for i in range(3)][0]
    url = _url_showing(page, first.scheduled_at)
    few = _queries(client, url, "batch 2")
    for i in range(3, 15):
        make(i, other if i % 2 else channel)
    many = _queries(client, url, "batch 14" if page != "planner:week" else "batch 13")
    assert many == few, f"{page}: {few} queries for 3 posts but {many} for 15"


def _analytics_posts(people, channels, count: int, start: int) -> None:
    """`count` published, measured posts over the channels, with a campaign and a label."""
    from datetime import timedelta

    from keryx.analytics.models import ChannelSnapshot, MetricSnapshot, TrackedPost
    from keryx.planner.models import Campaign, Label
    from keryx.publishing.models import Post, PostTarget, TargetState

    campaign, _ = Campaign.objects.get_or_create(workspace=people.acme, name="Spring")
    label, _ = Label.objects.get_or_create(workspace=people.acme, name="promo")
    now = timezone.now()
    for i in range(start, start + count):
        channel = channels[i % len(channels)]
        at = now - timedelta(days=1 + i % 20, hours=i % 7)
        ChannelSnapshot.objects.create(channel=channel, workspace=people.acme, taken_at=at,
                                       followers=100 + i)
        post = Post.objects.create(workspace=people.acme, text=f"analytics {i} #tag{i % 3}",
                                   scheduled_at=at, campaign=campaign)
        post.labels.add(label)
        target = PostTarget.objects.create(post=post, channel=channel, workspace=people.acme,
                                           state=TargetState.PUBLISHED, remote_id=f"r{i}",
                                           published_at=at)
        tracked = TrackedPost.objects.create(target=target, workspace=people.acme,
                                             channel=channel, published_at=at,
                                             remote_id=f"r{i}", followers_at_publish=100 + i)
        for hours in (1, 30):
            MetricSnapshot.objects.create(tracked=tracked, taken_at=at + timedelta(hours=hours),
                                          likes=i + hours, comments=1, shares=0)


@pytest.mark.django_db
def test_analytics_summary_and_page_query_counts_do_not_grow_with_posts(people):
    """The summary is aggregated in SQL: never one query per post (or per channel reading)."""
    from keryx.analytics import services
    from keryx.channels.models import Channel

    channels = [mastodon_channel(people.acme),
                Channel.objects.create(workspace=people.acme, network="bluesky", name="Sky")]
    when = services.period(people.acme)
    client = Client()
    client.force_login(people.alice)

    def measure() -> tuple[int, int]:
        services.summary(people.acme, when)  # warm
        with CaptureQueriesContext(connection) as summary_queries:
            figures = services.summary(people.acme, when)
        assert figures["by_campaign"] and figures["by_label"] and figures["top_posts"]
        return len(summary_queries), _queries(client, reverse("analytics:page"),
                                              "analytics 2")

    _analytics_posts(people, channels, 3, 0)
    few = measure()
    _analytics_posts(people, channels, 15, 3)
    many = measure()
    assert many == few, f"analytics (summary, page): {few} queries for 3 posts, {many} for 18"
    # Nor one query per channel (follower readings are looked up for all channels at once).
    more = [Channel.objects.create(workspace=people.acme, network="mastodon", name=f"More {i}")
            for i in range(3)]
    _analytics_posts(people, more, 6, 18)
    wider = measure()
    assert wider == few, f"analytics (summary, page): {few} queries for 2 channels, {wider} for 5"
