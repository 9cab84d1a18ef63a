"""Times typed in the workspace's zone land on the right UTC instant on both sides of a DST
change, and the engine publishes at that instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from keryx.core.timeutil import InvalidLocalTime, parse_local_datetime
from keryx.publishing import services
from keryx.publishing.models import PostTarget
from tests.support.engine import fast_passwords, loopback, make_channel, run_due  # noqa: F401

ATHENS = "Europe/Athens"


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


# EU rules: clocks go back on the last Sunday of October, forward on the last Sunday of March.
# Use next year's changes so the times are always in the future.
YEAR = datetime.now(UTC).year + 1
AUTUMN = last_sunday(YEAR, 10)
SPRING = last_sunday(YEAR, 3)


def local(day: date, hour: int = 9) -> str:
    return f"{day.isoformat()}T{hour:02d}:00"


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (AUTUMN - timedelta(days=1), 6),  # EEST, UTC+3
        (AUTUMN + timedelta(days=1), 7),  # EET, UTC+2
        (SPRING - timedelta(days=1), 7),
        (SPRING + timedelta(days=1), 6),
    ],
)
def test_nine_in_athens_is_six_or_seven_utc(day, utc_hour):
    parsed = parse_local_datetime(local(day), ATHENS)
    assert parsed == datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)


def test_an_explicit_offset_is_kept():
    assert parse_local_datetime("2030-01-01T09:00+05:30", ATHENS) == datetime(
        2030, 1, 1, 3, 30, tzinfo=UTC
    )
    assert parse_local_datetime("2030-01-01T09:00Z", ATHENS) == datetime(
        2030, 1, 1, 9, tzinfo=UTC
    )


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(InvalidLocalTime, match="does not exist in Europe/Athens"):
        parse_local_datetime(f"{SPRING.isoformat()}T03:30", ATHENS)


def test_the_repeated_hour_means_its_first_occurrence():
    # 03:30 happens twice on the autumn Sunday; the first is still summer time (UTC+3).
    parsed = parse_local_datetime(f"{AUTUMN.isoformat()}T03:30", ATHENS)
    assert parsed == datetime(AUTUMN.year, AUTUMN.month, AUTUMN.day, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "tomorrow", "2030-13-01T09:00", "9am"])
def test_nonsense_gets_a_clear_error(text):
    with pytest.raises(InvalidLocalTime):
        parse_local_datetime(text, ATHENS)


def test_unknown_zone_is_refused():
    with pytest.raises(InvalidLocalTime, match="Unknown time zone"):
        parse_local_datetime("2030-01-01T09:00", "Mars/Olympus")


@pytest.mark.django_db
def test_posts_at_nine_athens_publish_at_the_right_utc_instant(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    expected = {}
    for day, utc_hour in ((AUTUMN - timedelta(days=1), 6), (AUTUMN + timedelta(days=1), 7)):
        when = parse_local_datetime(local(day), people.acme.timezone)
        post = services.create_post(
            workspace=people.acme, author=people.alice, text=f"Good morning {day}",
            channels=[channel], scheduled_at=when, actor="alice",
        )
        expected[post.pk] = datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)

    for post_pk, instant in sorted(expected.items(), key=lambda item: item[1]):
        target = PostTarget.objects.get(post_id=post_pk)
        assert target.due_at == instant
        # A second early nothing goes; at 09:00 Athens time it does.
        assert run_due(now=instant - timedelta(seconds=1)) == []
        assert run_due(now=instant) == ["published"]


@pytest.mark.django_db
def test_a_time_in_the_past_is_rejected(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    with pytest.raises(services.PostRejected) as caught:
        services.create_post(
            workspace=people.acme, author=people.alice, text="late", channels=[channel],
            scheduled_at=timezone.now() - timedelta(minutes=5), actor="alice",
        )
    assert [p.code for p in caught.value.problems[channel]] == ["scheduled_in_past"]
    assert "in the past" in str(caught.value)
    assert not PostTarget.objects.exists()
    # Within the one-minute grace it is simply "now".
    post = services.create_post(
        workspace=people.acme, author=people.alice, text="just now", channels=[channel],
        scheduled_at=timezone.now() - timedelta(seconds=20), actor="alice",
    )
    assert run_due() == ["published"]
    assert services.post_state(post) == "published"
