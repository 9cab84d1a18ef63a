"""Queues: slot arithmetic across daylight saving changes, "add to queue", reshuffle, pause."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from keryx.publishing import services as publishing
from keryx.publishing.models import PostTarget, TargetState
from keryx.publishing.scheduler import claim_due
from keryx.queues import services
from keryx.queues.models import QueueEntry
from tests.ui_helpers import mastodon_channel

ATHENS = ZoneInfo("Europe/Athens")
# Europe/Athens: clocks go forward at 03:00 on Sunday 28 March 2027 and back at 04:00 on
# Sunday 31 October 2027.
BEFORE_SPRING = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)  # Friday 14:00 in Athens


def _daily(schedule, *times: time) -> None:
    services.set_slots(schedule, [(day, t) for day in range(7) for t in times])


def _next_nine(after: datetime) -> datetime:
    return next(services.upcoming_slots("Europe/Athens", [(d, time(9)) for d in range(7)], after))


def test_slots_keep_wall_clock_time_across_spring_forward(people):
    slots = [(day, time(9, 0)) for day in range(7)]
    got = list(services.upcoming_slots("Europe/Athens", slots, BEFORE_SPRING, days=3))
    assert [at.astimezone(ATHENS).strftime("%a %H:%M") for at in got] == [
        "Sat 09:00", "Sun 09:00", "Mon 09:00",
    ]
    # 09:00 local is 07:00 UTC in winter and 06:00 UTC in summer.
    assert [at.hour for at in got] == [7, 6, 6]


def test_slot_in_the_spring_gap_is_skipped_and_repeated_hour_is_first(people):
    slots = [(6, time(3, 30))]  # Sundays 03:30
    got = list(services.upcoming_slots("Europe/Athens", slots, BEFORE_SPRING, days=10))
    # 28 March 03:30 never happens in Athens; the next Sunday it does.
    assert [at.astimezone(ATHENS).date().isoformat() for at in got] == ["2027-04-04"]
    autumn = datetime(2027, 10, 29, tzinfo=UTC)
    first = next(services.upcoming_slots("Europe/Athens", slots, autumn))
    # 31 October 03:30 happens twice; the queue means the first time (summer time, UTC+3).
    assert first == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_add_to_queue_takes_next_free_slot_per_channel_across_dst(people):
    one = mastodon_channel(people.acme, "One")
    two = mastodon_channel(people.acme, "Two")
    _daily(services.schedule_for(one), time(9, 0))
    s2 = services.schedule_for(two)
    _daily(s2, time(18, 0))
    assert s2.timezone == "Europe/Athens"  # the workspace's zone by default

    def queue(text):
        return services.add_to_queue(
            workspace=people.acme, author=people.alice, text=text, channels=[one, two],
            actor="test", not_before=BEFORE_SPRING,
        )

    posts = [queue(f"post {i}") for i in range(3)]
    local = {
        (t.post.text, t.channel.name): t.due_at.astimezone(ATHENS).strftime("%d %H:%M")
        for t in PostTarget.objects.select_related("post", "channel")
    }
    assert local == {
        ("post 0", "One"): "27 09:00", ("post 0", "Two"): "26 18:00",
        ("post 1", "One"): "28 09:00", ("post 1", "Two"): "27 18:00",
        ("post 2", "One"): "29 09:00", ("post 2", "Two"): "28 18:00",
    }
    # Across the change, the wall-clock time holds and UTC moves.
    assert PostTarget.objects.get(post=posts[2], channel=one).due_at.hour == 6
    assert PostTarget.objects.get(post=posts[0], channel=one).due_at.hour == 7
    # The post's time is its earliest target.
    assert posts[0].scheduled_at == PostTarget.objects.get(post=posts[0], channel=two).due_at


def test_a_minute_taken_by_a_hand_scheduled_post_is_not_free(people):
    one = mastodon_channel(people.acme, "One")
    _daily(services.schedule_for(one), time(9, 0))
    slot = _next_nine(datetime.now(UTC))
    publishing.create_post(workspace=people.acme, author=people.alice, text="by hand",
                           channels=[one], scheduled_at=slot, actor="test")
    post = services.add_to_queue(workspace=people.acme, author=people.alice, text="queued",
                                 channels=[one], actor="test")
    assert post.targets.get().due_at == _next_nine(slot)


def test_channel_without_schedule_is_refused_and_nothing_is_created(people):
    one = mastodon_channel(people.acme, "One")
    bare = mastodon_channel(people.acme, "Bare")
    _daily(services.schedule_for(one), time(9, 0))
    with pytest.raises(publishing.PostRejected) as exc:
        services.add_to_queue(workspace=people.acme, author=people.alice, text="x",
                              channels=[one, bare], actor="test")
    assert "Bare has no posting schedule" in exc.value.summary()
    assert not PostTarget.objects.exists()


def test_invalid_post_is_refused_by_validation(people):
    one = mastodon_channel(people.acme, "One")
    _daily(services.schedule_for(one), time(9, 0))
    with pytest.raises(publishing.PostRejected):
        services.add_to_queue(workspace=people.acme, author=people.alice, text="x" * 501,
                              channels=[one], actor="test")
    assert not PostTarget.objects.exists()


def test_reshuffle_repacks_in_order(people):
    one = mastodon_channel(people.acme, "One")
    schedule = services.schedule_for(one)
    _daily(schedule, time(9, 0))
    posts = [
        services.add_to_queue(workspace=people.acme, author=people.alice, text=f"p{i}",
                              channels=[one], actor="test", not_before=BEFORE_SPRING)
        for i in range(4)
    ]
    publishing.cancel_post(posts[1], actor="test")  # leaves a gap on Sunday
    # A second daily slot appears: re-packing fills the earliest free slots, order kept.
    _daily(schedule, time(9, 0), time(15, 0))
    moved = services.reshuffle(one, actor="test", now=BEFORE_SPRING)
    due = [
        PostTarget.objects.get(post=p).due_at.astimezone(ATHENS).strftime("%d %H:%M")
        for p in (posts[0], posts[2], posts[3])
    ]
    assert due == ["26 15:00", "27 09:00", "27 15:00"]
    assert moved == 3
    for post in (posts[0], posts[2], posts[3]):
        post.refresh_from_db()
        target = post.targets.get()
        assert post.scheduled_at == target.due_at == target.queue_entry.slot_at


def test_pause_holds_queued_targets_and_resume_releases_them(people):
    one = mastodon_channel(people.acme, "One")
    other = mastodon_channel(people.acme, "Other")
    _daily(services.schedule_for(one), time(9, 0))
    queued = services.add_to_queue(workspace=people.acme, author=people.alice, text="queued",
                                   channels=[one], actor="test")
    target = queued.targets.get()
    slot = target.due_at
    by_hand = publishing.create_post(workspace=people.acme, author=people.alice, text="hand",
                                     channels=[one], scheduled_at=slot + timedelta(hours=1),
                                     actor="test").targets.get()
    _daily(services.schedule_for(other), time(9, 0))
    other_post = services.add_to_queue(workspace=people.acme, author=people.alice, text="o",
                                       channels=[other], actor="test")

    assert services.pause_queue(one, actor="test") == 1
    target.refresh_from_db()
    assert (target.state, target.due_at, target.queue_entry.slot_at) == (
        TargetState.SCHEDULED, None, slot
    )
    # The engine, claiming everything due in a year, never picks the held target.
    claims = claim_due("test-worker", now=slot + timedelta(days=365), limit=100)
    claimed = {c.target_id for c in claims}
    assert target.pk not in claimed
    assert {by_hand.pk, other_post.targets.get().pk} <= claimed

    # While paused, a new queued post still gets its own slot (after the held one) and waits.
    later = services.add_to_queue(workspace=people.acme, author=people.alice, text="later",
                                  channels=[one], actor="test").targets.get()
    assert later.due_at is None
    assert later.queue_entry.slot_at == _next_nine(slot)

    assert services.resume_queue(one, actor="test") == 2
    target.refresh_from_db()
    later.refresh_from_db()
    assert (target.due_at, later.due_at) == (slot, _next_nine(slot))


def test_resume_moves_slots_that_passed_while_paused(people):
    one = mastodon_channel(people.acme, "One")
    _daily(services.schedule_for(one), time(9, 0))
    post = services.add_to_queue(workspace=people.acme, author=people.alice, text="q",
                                 channels=[one], actor="test")
    slot = post.targets.get().due_at
    services.pause_queue(one, actor="test")
    services.resume_queue(one, actor="test", now=slot + timedelta(hours=2))
    target = post.targets.get()
    assert target.due_at == _next_nine(slot + timedelta(hours=2))
    assert QueueEntry.objects.get(target=target).slot_at == target.due_at


def test_pausing_leaves_a_claimed_target_alone_and_records_each_hold(people):
    channel = mastodon_channel(people.acme, "One")
    _daily(services.schedule_for(channel), time(9, 0))
    first, second = (services.add_to_queue(workspace=people.acme, author=people.alice,
                                           text=text, channels=[channel], actor="test")
                     .targets.get() for text in ("first", "second"))
    # The engine claims the first meanwhile: it is on its way and pausing must not touch it.
    PostTarget.objects.filter(pk=first.pk).update(state=TargetState.PUBLISHING)

    assert services.pause_queue(channel, actor="test") == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.due_at is not None and second.due_at is None
    assert not first.events.filter(message="Queue paused").exists()
    held = second.events.get(message="Queue paused")
    assert (held.from_state, held.to_state, held.actor) == (
        TargetState.SCHEDULED, TargetState.SCHEDULED, "test")
