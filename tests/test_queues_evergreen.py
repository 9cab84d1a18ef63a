"""Evergreen posts: fresh copies every N days or weeks, spaced, never twice in a row, stopping
at the end date or the maximum count."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from keryx.publishing.models import Post, PostTarget, TargetState
from keryx.queues import services
from keryx.queues.models import EvergreenCopy
from tests.ui_helpers import mastodon_channel

ATHENS = ZoneInfo("Europe/Athens")
START = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)  # Friday; first 09:00 slot is Saturday 27


@pytest.fixture
def channel(people):
    channel = mastodon_channel(people.acme, "One")
    services.set_slots(services.schedule_for(channel), [(d, time(9, 0)) for d in range(7)])
    return channel


def _source(people, channel, text="Evergreen tip"):
    return services.add_to_queue(workspace=people.acme, author=people.alice, text=text,
                                 channels=[channel], actor="test", not_before=START)


def _local_days(rule) -> list[str]:
    posts = Post.objects.filter(evergreen_copy__rule=rule).order_by("scheduled_at")
    return [p.scheduled_at.astimezone(ATHENS).strftime("%d/%m %H:%M") for p in posts]


def test_copies_skip_the_slot_right_after_the_same_content(people, channel):
    source = _source(people, channel)
    rule = services.make_evergreen(source, every=1, unit="days", max_count=2)
    assert services.recycle_due(now=rule.next_at) == 1
    rule.refresh_from_db()
    assert services.recycle_due(now=rule.next_at) == 1
    # Daily would be 28 and 29; each would follow the same post in the slot before it.
    assert _local_days(rule) == ["29/03 09:00", "31/03 09:00"]
    rule.refresh_from_db()
    assert (rule.copies, rule.active) == (2, False)
    assert services.recycle_due(now=datetime(2028, 1, 1, tzinfo=UTC)) == 0


def test_a_slot_between_other_posts_is_fine(people, channel):
    source = _source(people, channel)
    _source(people, channel, text="Something else")  # Sunday 28
    rule = services.make_evergreen(source, every=1, unit="days", max_count=1)
    services.recycle_due(now=rule.next_at)
    # 28 is taken; 29 follows "Something else", so the copy may run there.
    assert _local_days(rule) == ["29/03 09:00"]


def test_weekly_copies_are_new_posts_spaced_a_week_apart_until_the_end_date(people, channel):
    source = _source(people, channel)
    source_target = source.targets.get()
    rule = services.make_evergreen(source, every=1, unit="weeks", until=date(2027, 4, 5))
    assert services.recycle_due(now=START) == 0  # nothing due yet
    assert services.recycle_due(now=rule.next_at) == 1
    rule.refresh_from_db()
    # A week later, at 09:00 local time, across the change to summer time.
    assert _local_days(rule) == ["03/04 09:00"]
    assert rule.active is False  # the next copy (10 April) would fall after the end date
    copy = EvergreenCopy.objects.get().post
    copy_target = copy.targets.get()
    assert copy.pk != source.pk and copy_target.pk != source_target.pk
    assert copy.text == source.text
    assert copy_target.state == TargetState.SCHEDULED
    assert PostTarget.objects.count() == 2


def test_a_rule_needs_an_end(people, channel):
    source = _source(people, channel)
    with pytest.raises(ValidationError):
        services.make_evergreen(source, every=2, unit="weeks")


def test_a_rule_that_can_no_longer_be_queued_stops_with_the_reason(people, channel):
    source = _source(people, channel)
    rule = services.make_evergreen(source, every=1, unit="days", max_count=5)
    services.set_slots(channel.queue, [])
    assert services.recycle_due(now=rule.next_at) == 0
    rule.refresh_from_db()
    assert rule.active is False
    assert "no posting schedule" in rule.last_error


def test_the_periodic_loop_runs_evergreen_feeds_and_metrics(people, channel):
    from django.utils import timezone

    from keryx.queues.periodic import run_once

    source = _source(people, channel)
    rule = services.make_evergreen(source, every=1, unit="days", max_count=1)
    rule.next_at = timezone.now()
    rule.save(update_fields=["next_at"])
    # Metric readings and inbox syncs are jobs of the same loop; only these two are looked at.
    ran = run_once()
    assert {k: ran[k] for k in ("evergreen", "feeds")} == {"evergreen": 1, "feeds": 0}
    assert EvergreenCopy.objects.get().post.scheduled_at > timezone.now()
    ran = run_once()
    assert {k: ran[k] for k in ("evergreen", "feeds")} == {"evergreen": 0, "feeds": 0}
