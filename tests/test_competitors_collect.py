"""The competitors' schedule and maths with a scripted network (the real servers are in
tests/test_competitors_mastodon.py and tests/test_competitors_bluesky_appview.py): one claim per
period across processes, the lease, the rate limit's reset time, a reading channel that needs
reconnecting, 0 followers, and the window figures against hand-computed cases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from keryx.analytics import competitors
from keryx.analytics.models import Competitor, CompetitorSnapshot, JobStatus
from keryx.channels.models import Channel, ChannelStatus
from keryx.networks import registry
from keryx.networks.base import AuthExpired, Capabilities, ProviderContext, RateLimited
from keryx.networks.community import AccountNotFound, PublicAccount, PublicPost

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Rivals:
    """A network whose public accounts the test sets (or an error to raise)."""

    network: ClassVar[str] = "rivals"
    display_name: ClassVar[str] = "Rivals"
    capabilities: ClassVar[Capabilities] = Capabilities(text_limit=500, counting="chars",
                                                        competitors=True)
    answer: ClassVar[Any] = None
    posts: ClassVar[list[PublicPost]] = []
    calls: ClassVar[list[str]] = []

    def __init__(self, context: ProviderContext) -> None:
        self.context = context

    def public_account(self, handle: str) -> PublicAccount:
        self.calls.append(handle)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def public_posts(self, account: PublicAccount, since: datetime) -> list[PublicPost]:
        return [p for p in self.posts if p.published_at >= since]


@pytest.fixture
def rivals() -> Iterator[type[Rivals]]:
    registry.register("rivals", Rivals)
    Rivals.answer = PublicAccount(ref="r1", handle="rival", followers=200, following=3,
                                  posts=40)
    Rivals.posts, Rivals.calls = [], []
    yield Rivals
    registry.unregister("rivals")


@pytest.fixture
def channel(people, rivals) -> Channel:
    return Channel.objects.create(workspace=people.acme, network="rivals", name="Mine")


def post(days_before: int, likes: int | None, comments: int | None = 0,
         shares: int | None = 0) -> PublicPost:
    return PublicPost(f"p{days_before}", "", T0 - timedelta(days=days_before), likes=likes,
                      comments=comments, shares=shares)


def test_window_figures_by_hand():
    posts = [post(1, 10, 2, 0), post(5, 4, 0, 2), post(9, None, None, None)]
    figures = competitors.window_figures(posts, 200)
    assert figures["window_posts"] == 3 and figures["posts_per_week"] == round(3 / 30 * 7, 2)
    # Averages over the posts that give the part: likes (10 + 4) / 2.
    assert (figures["avg_likes"], figures["avg_comments"], figures["avg_shares"]) == (7, 1, 1)
    # Rates: 12 / 200 × 100 = 6, 6 / 200 × 100 = 3; the third has no counts (no rate).
    assert figures["avg_engagement_rate"] == pytest.approx(4.5)
    assert figures["engagement_rate_formula"] == (
        "average over posts of (likes+comments+shares) / followers when read × 100")
    zero = competitors.window_figures(posts[:1], 0)
    assert zero["avg_engagement_rate"] is None and "is 0" in zero["engagement_rate_reason"]
    empty = competitors.window_figures([], 200)
    assert empty["avg_engagement_rate"] is None and empty["window_posts"] == 0
    assert empty["engagement_rate_reason"] == "no posts in the 30 days before the reading"


def test_added_once_read_daily_claimed_by_one_process(people, channel, rivals):
    rivals.posts = [post(1, 10, 2, 0), post(40, 99)]  # the second is outside the window
    competitor = competitors.add(people.acme, "rivals", "Rival", actor=people.alice, now=T0)
    assert competitor.due_at == T0 + timedelta(days=1) and competitor.channel == channel
    assert CompetitorSnapshot.objects.get().window_posts == 1
    later = T0 + timedelta(days=1, minutes=1)
    _, first = competitors.claim_due(now=later)
    _, second = competitors.claim_due(now=later)
    assert first == [competitor.pk] and second == []
    # A process that died: due again once the lease has run out, not before.
    assert competitors.claim_due(now=later + competitors.LEASE - timedelta(seconds=1))[1] == []
    assert competitors.collect_due(now=later + competitors.LEASE + timedelta(seconds=1)) == 1
    assert CompetitorSnapshot.objects.count() == 2
    with pytest.raises(competitors.CompetitorError, match="already followed"):
        competitors.add(people.acme, "rivals", "rival", now=T0)


def test_rate_limit_waits_for_reset_then_reads(people, channel, rivals):
    competitor = competitors.add(people.acme, "rivals", "rival", now=T0)
    rivals.answer, saved = RateLimited("slow down", retry_after=600), rivals.answer
    due = T0 + timedelta(days=1)
    assert competitors.collect_due(now=due) == 0
    competitor.refresh_from_db()
    assert competitor.last_status == JobStatus.RATE_LIMITED
    assert competitor.due_at == due + timedelta(seconds=600)
    rivals.answer = saved
    assert competitors.collect_due(now=due + timedelta(seconds=599)) == 0
    assert competitors.collect_due(now=due + timedelta(seconds=600)) == 1


def test_unknown_at_add_time_gone_later_and_no_channel(people, channel, rivals):
    rivals.answer = AccountNotFound("ghost", "No account ghost.")
    with pytest.raises(competitors.CompetitorError, match="No account ghost"):
        competitors.add(people.acme, "rivals", "ghost", now=T0)
    assert not Competitor.objects.exists()
    with pytest.raises(competitors.CompetitorError, match="not on linkedin"):
        competitors.add(people.acme, "linkedin", "someone", now=T0)
    with pytest.raises(competitors.CompetitorError, match="Connect a Mastodon channel first"):
        competitors.add(people.acme, "mastodon", "@x@example.com", now=T0)

    rivals.answer = PublicAccount(ref="r1", handle="rival", followers=5)
    competitor = competitors.add(people.acme, "rivals", "rival", now=T0)
    # The reading channel needs reconnecting: skipped and said so, the competitor waits.
    rivals.answer = AuthExpired("token revoked")
    assert competitors.read_now(competitor, now=T0 + timedelta(days=1)) == JobStatus.ERROR
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_RECONNECT
    assert competitors.read_now(competitor, now=T0 + timedelta(days=2)) == JobStatus.SKIPPED
    competitor.refresh_from_db()
    assert "No connected Rivals channel" in competitor.last_message
    # Another connected channel of the network takes over; the account is gone by then.
    Channel.objects.create(workspace=people.acme, network="rivals", name="Second")
    rivals.answer = AccountNotFound("rival", "The account rival is gone.")
    assert competitors.read_now(competitor, now=T0 + timedelta(days=3)) == JobStatus.GONE
    competitor.refresh_from_db()
    assert competitor.gone_reason == "The account rival is gone." and competitor.due_at is None
    assert competitor.snapshots.count() == 1  # kept
    assert competitors.claim_due(now=T0 + timedelta(days=30))[1] == []


def test_a_channel_of_another_workspace_is_never_used(people, rivals):
    Channel.objects.create(workspace=people.globex, network="rivals", name="Theirs")
    with pytest.raises(competitors.CompetitorError, match="Connect a Rivals channel first"):
        competitors.add(people.acme, "rivals", "rival", now=T0)


def test_the_list_command_in_words(people, channel, rivals):
    import io

    from django.core.management import call_command

    now = datetime.now(UTC)
    rivals.posts = [PublicPost("p", "", now - timedelta(days=1), likes=10, comments=2,
                               shares=0)]
    competitors.add(people.acme, "rivals", "rival", now=now)
    out = io.StringIO()
    call_command("competitors", "list", "--user", "alice@example.com", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("* Mine (rivals): followers —")
    # 12 engagements / 200 followers × 100; one post in 30 days; one reading: growth 0.
    assert lines[1] == ("  rival (rivals): followers 200, growth 0, posts a week 0.23, "
                        "engagement rate 6.00 %")
