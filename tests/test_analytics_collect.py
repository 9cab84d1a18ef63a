"""The collector's schedule and claims, and the figures it feeds, with a scripted provider
(the real servers are in tests/test_analytics_e2e.py): one claim per job across workers, the
young-post schedule, channels needing reconnection skipped and said so, rate limits, 0
followers, counts that go down, an empty period."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

import pytest
from django.core.management import call_command

from keryx.analytics import collect, services
from keryx.analytics.models import (
    ChannelSnapshot,
    CollectionJob,
    JobKind,
    JobStatus,
    MetricSnapshot,
    TrackedPost,
)
from keryx.analytics.tracking import ensure_tracked
from keryx.channels.models import Channel, ChannelStatus
from keryx.networks import registry
from keryx.networks.base import AuthExpired, Capabilities, ProviderContext, RateLimited
from keryx.networks.community import ChannelMetrics, PostMetrics
from keryx.publishing.models import Post, PostTarget, TargetState

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday, 11:00 in Athens


class Scripted:
    """A provider whose answers the test sets: counts per remote id, followers, or an error."""

    network: ClassVar[str] = "scripted"
    display_name: ClassVar[str] = "Scripted"
    capabilities: ClassVar[Capabilities] = Capabilities(text_limit=500, counting="chars",
                                                        metrics=True)
    posts: ClassVar[dict[str, Any]] = {}
    followers: ClassVar[Any] = 100
    calls: ClassVar[list[str]] = []

    def __init__(self, context: ProviderContext) -> None:
        self.context = context

    def fetch_metrics(self, remote_id: str) -> PostMetrics:
        self.calls.append(remote_id)
        answer = self.posts[remote_id]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def fetch_channel_metrics(self) -> ChannelMetrics:
        self.calls.append("channel")
        if isinstance(self.followers, Exception):
            raise self.followers
        return ChannelMetrics(followers=self.followers, following=5, posts=9)


@pytest.fixture
def scripted() -> Iterator[type[Scripted]]:
    registry.register("scripted", Scripted)
    Scripted.posts, Scripted.followers, Scripted.calls = {}, 100, []
    yield Scripted
    registry.unregister("scripted")


@pytest.fixture
def channel(people, scripted) -> Channel:
    return Channel.objects.create(workspace=people.acme, network="scripted", name="Script")


def published(channel: Channel, remote_id: str, at: datetime, text: str = "hi") -> PostTarget:
    post = Post.objects.create(workspace=channel.workspace, text=text, scheduled_at=at)
    target = PostTarget.objects.create(
        post=post, channel=channel, workspace=channel.workspace, state=TargetState.PUBLISHED,
        remote_id=remote_id, remote_url=f"https://net.example/{remote_id}", published_at=at)
    ensure_tracked([target], now=at)
    return target


def counts(likes: int | None, comments: int | None = 0, shares: int | None = 0,
           saves: int | None = None, **more: int) -> PostMetrics:
    return PostMetrics(likes=likes, comments=comments, shares=shares, saves=saves, **more)


def test_a_job_is_claimed_by_one_worker_only_and_comes_back_after_its_lease(channel):
    published(channel, "a", T0)
    now = T0 + timedelta(hours=2)
    _, first = collect.claim_due(now=now)
    _, second = collect.claim_due(now=now)
    assert len(first) == 2 and second == []  # the post's job and the channel's
    # A worker that died leaves its jobs due again once the lease has run out.
    _, later = collect.claim_due(now=now + collect.LEASE - timedelta(seconds=1))
    assert later == []
    _, again = collect.claim_due(now=now + collect.LEASE + timedelta(seconds=1))
    assert sorted(again) == sorted(first)


def test_young_posts_are_read_on_the_dense_schedule(channel, scripted):
    target = published(channel, "a", T0)
    scripted.posts["a"] = counts(3)
    tracked = TrackedPost.objects.get(target=target)
    job = CollectionJob.objects.get(tracked=tracked)
    assert job.due_at == T0 + timedelta(hours=1)

    assert collect.collect_due(now=T0 + timedelta(minutes=1)) == 1  # the channel only
    tracked.refresh_from_db()
    assert tracked.followers_at_publish == 100  # measured right after publishing
    assert collect.collect_due(now=T0 + timedelta(minutes=30)) == 0

    assert collect.collect_due(now=T0 + timedelta(hours=1, minutes=1)) == 1
    job.refresh_from_db()
    assert (job.step, job.due_at, job.last_status) == (1, T0 + timedelta(hours=6), JobStatus.OK)
    # A worker back after days takes one reading for the missed ones, then waits for 7 d.
    collect.collect_due(now=T0 + timedelta(days=5))
    job.refresh_from_db()
    assert (job.step, job.due_at) == (4, T0 + timedelta(days=7))
    collect.collect_due(now=T0 + timedelta(days=40))
    job.refresh_from_db()
    assert (job.due_at, job.last_status) == (None, JobStatus.DONE)
    assert MetricSnapshot.objects.filter(tracked=tracked).count() == 3
    assert scripted.calls.count("a") == 3


def test_a_channel_needing_reconnection_is_skipped_and_says_so(channel, scripted):
    published(channel, "a", T0)
    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.NEEDS_RECONNECT,
                                                 status_message="token revoked")
    assert collect.collect_due(now=T0 + timedelta(hours=2)) == 0
    assert scripted.calls == []
    for job in CollectionJob.objects.all():
        assert job.last_status == JobStatus.SKIPPED
        assert "needs reconnecting (token revoked)" in job.last_message
        assert job.due_at == T0 + timedelta(hours=2) + collect.RETRY_AFTER_REFUSAL
    out = io.StringIO()
    call_command("metrics", "collect", "--user", "alice@example.com", "--json", stdout=out)
    [report] = json.loads(out.getvalue())
    assert report["status"] == "skipped" and "reconnecting" in report["message"]


def test_refused_credentials_mark_the_channel_and_stop_its_batch(channel, scripted):
    published(channel, "a", T0)
    published(channel, "b", T0)
    scripted.followers = AuthExpired("The access token was revoked")
    collect.collect_due(now=T0 + timedelta(hours=2))
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_RECONNECT
    assert scripted.calls == ["channel"]  # the posts were not tried after the refusal
    statuses = set(CollectionJob.objects.values_list("last_status", flat=True))
    assert statuses == {JobStatus.SKIPPED}


def test_a_rate_limit_puts_the_channels_jobs_off_until_the_reset(channel, scripted):
    published(channel, "a", T0)
    published(channel, "b", T0)
    scripted.posts["a"] = RateLimited("slow down", retry_after=600)
    scripted.posts["b"] = counts(1)
    now = T0 + timedelta(hours=2)
    collect.collect_due(now=now)
    posts = CollectionJob.objects.filter(kind=JobKind.POST).order_by("pk")
    assert [j.last_status for j in posts] == [JobStatus.RATE_LIMITED] * 2
    assert [j.due_at for j in posts] == [now + timedelta(seconds=600)] * 2
    assert "b" not in scripted.calls


def test_zero_followers_give_no_rate_but_a_reason(channel, scripted):
    published(channel, "a", T0)
    scripted.followers = 0
    scripted.posts["a"] = counts(4, 1, 0)
    collect.collect_channel_now(channel, now=T0 + timedelta(minutes=5))
    when = services.period(channel.workspace, date(2026, 11, 1), date(2026, 11, 30))
    [row] = services.post_rows(channel.workspace, when)
    assert row["followers"] == 0 and row["engagements"] == 5
    assert row["engagement_rate"]["by_followers"] is None
    assert "is 0" in row["engagement_rate_reason"]["by_followers"]
    data = services.summary(channel.workspace, when)
    assert data["engagement_rate_by_followers"] is None
    assert data["engagement_rate"]["by_followers"]["posts_without_rate"] == 1


def test_counts_that_go_down_are_kept_and_add_no_negative_engagement(channel, scripted):
    published(channel, "a", T0)
    scripted.posts["a"] = counts(10, 2, 1)
    collect.collect_channel_now(channel, now=T0 + timedelta(hours=1))
    scripted.posts["a"] = counts(7, 2, 3)  # three unlikes, two more reposts
    collect.collect_channel_now(channel, now=T0 + timedelta(days=1, hours=1))
    when = services.period(channel.workspace, date(2026, 11, 1), date(2026, 11, 5))
    [row] = services.post_rows(channel.workspace, when)
    assert (row["likes"], row["shares"], row["engagements"]) == (7, 3, 12)
    series = dict(services.engagement_series(channel.workspace, when))
    assert series[date(2026, 11, 2)] == 13  # 10 + 2 + 1 from 0
    assert series[date(2026, 11, 3)] == 2   # +2 reposts; the 3 lost likes are not -3
    assert min(series.values()) >= 0


def test_rates_summary_growth_and_heatmap(channel, scripted):
    # Followers 200 at publish of "a" (Monday 11:00 Athens), 250 when "b" goes out.
    scripted.followers = 200
    published(channel, "a", T0)
    scripted.posts["a"] = counts(10, 4, 6, saves=None)          # 20 / 200 = 10 %
    collect.collect_channel_now(channel, now=T0 + timedelta(minutes=2))
    scripted.followers = 250
    t1 = T0 + timedelta(days=1, hours=3)
    published(channel, "b", t1)
    scripted.posts["b"] = counts(5, 0, 0, saves=None)           # 5 / 250 = 2 %
    collect.collect_channel_now(channel, now=t1 + timedelta(minutes=2))
    when = services.period(channel.workspace, date(2026, 11, 1), date(2026, 11, 7))
    data = services.summary(channel.workspace, when)
    assert data["posts"] == 2
    assert data["engagement_rate_by_followers"] == pytest.approx(6.0)  # (10 + 2) / 2
    assert (data["followers_start"], data["followers_end"]) == (200, 250)
    assert (data["follower_growth"], data["follower_growth_percent"]) == (50, 25.0)
    assert [p["remote_id"] for p in data["top_posts"]] == ["a", "b"]
    heat = services.heatmap(channel.workspace, when)
    assert heat.cells[(0, 11)].average == pytest.approx(10.0)  # Monday 11:00 local
    assert heat.cells[(1, 14)].average == pytest.approx(2.0)
    assert heat.warning
    lines = services.csv_rows(services.post_rows(channel.workspace, when))
    header = services.CSV_COLUMNS
    first = dict(zip(header, lines[0], strict=True))
    assert first["engagement_rate_by_followers"] == 10.0
    assert first["engagement_rate_by_followers_formula"] == (
        "(likes+comments+shares) / followers at publish time × 100")
    assert first["engagements_missing"] == "saves" and first["saves"] == ""


def test_an_empty_period_says_so(channel):
    when = services.period(channel.workspace, date(2026, 1, 1), date(2026, 1, 31))
    data = services.summary(channel.workspace, when)
    assert data["posts"] == 0 and data["empty"] is True and data["message"]
    assert data["engagement_rate_by_followers"] is None
    assert data["engagement_rate"]["by_followers"]["reason"] == "no posts in the period"
    assert services.post_rows(channel.workspace, when) == []


def test_followers_at_publish_are_not_taken_from_a_reading_days_later(channel, scripted):
    target = published(channel, "old", T0)
    scripted.posts["old"] = counts(1)
    collect.collect_channel_now(channel, now=T0 + timedelta(days=3))
    tracked = TrackedPost.objects.get(target=target)
    assert tracked.followers_at_publish is None
    assert ChannelSnapshot.objects.filter(channel=channel).count() == 1


class PostsOnly:
    """A network with post counts but no account counts (as X, Threads... today)."""

    network: ClassVar[str] = "postsonly"
    display_name: ClassVar[str] = "PostsOnly"
    capabilities: ClassVar[Capabilities] = Scripted.capabilities

    def __init__(self, context: ProviderContext) -> None:
        self.context = context

    def fetch_metrics(self, remote_id: str) -> PostMetrics:
        return counts(2)


def test_posts_are_read_even_where_the_network_gives_no_account_counts(people, scripted):
    registry.register("postsonly", PostsOnly)
    try:
        channel = Channel.objects.create(workspace=people.acme, network="postsonly", name="P")
        published(channel, "p", T0)
        report = collect.collect_channel_now(channel, now=T0 + timedelta(hours=1))
        assert report.posts_collected == 1 and report.followers is None
        assert "no account counts" in report.message
        collect.collect_due(now=T0 + timedelta(hours=2))
        channel_job = CollectionJob.objects.get(kind=JobKind.CHANNEL, channel=channel)
        assert channel_job.last_status == JobStatus.DONE and channel_job.due_at is None
    finally:
        registry.unregister("postsonly")


def test_suggested_slots_for_the_queues(channel, scripted):
    for week in range(3):  # three Mondays at 11:00 Athens, 5 % each
        at = T0 + timedelta(weeks=week)
        published(channel, f"m{week}", at)
        scripted.posts[f"m{week}"] = counts(5, 0, 0)
        collect.collect_channel_now(channel, now=at + timedelta(minutes=1))
    published(channel, "lucky", T0 + timedelta(days=1))  # one post: too thin to suggest
    scripted.posts["lucky"] = counts(90, 0, 0)
    collect.collect_channel_now(channel, now=T0 + timedelta(days=1, minutes=1))
    assert services.suggested_slots(channel.workspace) == [(0, time(11))]
