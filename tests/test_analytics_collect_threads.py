"""The periodic collector reads channels concurrently (KERYX_COLLECT_THREADS) and drains more
than one claimed batch per call, with each channel's jobs still in order on one thread. Rows
committed (transaction=True): the collecting threads have their own connections."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from keryx.analytics import collect
from keryx.analytics.models import ChannelSnapshot, CollectionJob, JobStatus, MetricSnapshot
from keryx.analytics.tracking import ensure_tracked
from keryx.channels.models import Channel
from keryx.networks import registry
from keryx.networks.base import Capabilities, ProviderContext
from keryx.networks.community import ChannelMetrics, PostMetrics
from keryx.publishing.models import Post, PostTarget, TargetState

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Slow:
    """Answers after a short wait, as a network does; records (channel, what, thread)."""

    network: ClassVar[str] = "slowscripted"
    display_name: ClassVar[str] = "Slow"
    capabilities: ClassVar[Capabilities] = Capabilities(text_limit=500, counting="chars",
                                                        metrics=True)
    calls: ClassVar[list[tuple[str, str, str]]] = []
    lock = threading.Lock()
    in_flight: ClassVar[int] = 0
    most: ClassVar[int] = 0

    def __init__(self, context: ProviderContext) -> None:
        self.name = context.settings["name"]

    def _wait(self, what: str) -> None:
        with self.lock:
            Slow.in_flight += 1
            Slow.most = max(Slow.most, Slow.in_flight)
            Slow.calls.append((self.name, what, threading.current_thread().name))
        time.sleep(0.02)
        with self.lock:
            Slow.in_flight -= 1

    def fetch_metrics(self, remote_id: str) -> PostMetrics:
        self._wait(remote_id)
        return PostMetrics(likes=3, comments=1, shares=0)

    def fetch_channel_metrics(self) -> ChannelMetrics:
        self._wait("channel")
        return ChannelMetrics(followers=100, following=5, posts=9)


@pytest.fixture
def slow() -> Iterator[type[Slow]]:
    registry.register("slowscripted", Slow)
    Slow.calls, Slow.in_flight, Slow.most = [], 0, 0
    yield Slow
    registry.unregister("slowscripted")


def channels_with_posts(people: Any, count: int, posts: int) -> list[Channel]:
    made = []
    for i in range(count):
        channel = Channel.objects.create(workspace=people.acme, network="slowscripted",
                                         name=f"C{i}", settings={"name": f"C{i}"})
        for n in range(posts):
            post = Post.objects.create(workspace=people.acme, text="hi", scheduled_at=T0)
            target = PostTarget.objects.create(
                post=post, channel=channel, workspace=people.acme,
                state=TargetState.PUBLISHED, remote_id=f"C{i}-{n}", published_at=T0)
            ensure_tracked([target], now=T0)
        made.append(channel)
    return made


def test_channels_are_read_at_once_each_in_order_on_one_thread(people, slow):
    channels_with_posts(people, 12, 3)
    now = T0 + timedelta(hours=2)
    assert collect.collect_due(now=now) == 12 * 4
    assert ChannelSnapshot.objects.count() == 12 and MetricSnapshot.objects.count() == 36
    assert 1 < slow.most <= collect.collect_threads()
    for name in {c[0] for c in slow.calls}:
        mine = [c for c in slow.calls if c[0] == name]
        # The channel's reading first (followers at publish time), then its posts, in order,
        # all on the same thread.
        assert [c[1] for c in mine] == ["channel", f"{name}-0", f"{name}-1", f"{name}-2"]
        assert len({c[2] for c in mine}) == 1
    assert not CollectionJob.objects.filter(claim_token__gt="").exists()
    assert set(CollectionJob.objects.values_list("last_status", flat=True)) == {JobStatus.OK}


def test_one_call_drains_more_than_one_claimed_batch(people, slow):
    channels_with_posts(people, 60, 3)  # 240 jobs: more than one claim's worth
    assert collect.CLAIM_BATCH < 240
    assert collect.collect_due(now=T0 + timedelta(hours=2)) == 240
    assert not CollectionJob.objects.filter(due_at__lte=T0 + timedelta(hours=2)).exists()
