"""Business hours: the SPEC people type (incl. overnight ranges, holidays and bad specs) and
"are we open?" on the wall clock of Europe/Athens across the summer-time changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from keryx.inbox.hours import (
    HoursError,
    format_spec,
    is_open,
    parse_holidays,
    parse_spec,
    zone,
)

ATHENS = zone("Europe/Athens")


def at(text: str) -> datetime:
    """A local Athens wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=ATHENS)


def test_the_issues_example():
    hours = parse_spec("mon-fri 09:00-17:00; sat 10:00-14:00")
    assert hours.days[0] == ((540, 1020),) and hours.days[4] == ((540, 1020),)
    assert hours.days[5] == ((600, 840),) and 6 not in hours.days
    assert format_spec(hours) == "mon-fri 09:00-17:00; sat 10:00-14:00"
    # 2026-12-07 is a Monday.
    assert is_open(hours, at("2026-12-07T09:00"), ATHENS)
    assert is_open(hours, at("2026-12-07T16:59"), ATHENS)
    assert not is_open(hours, at("2026-12-07T17:00"), ATHENS)  # the end is exclusive
    assert not is_open(hours, at("2026-12-07T08:59"), ATHENS)
    assert is_open(hours, at("2026-12-12T13:00"), ATHENS)  # Saturday
    assert not is_open(hours, at("2026-12-13T12:00"), ATHENS)  # Sunday


def test_several_ranges_day_lists_greek_names_and_case():
    hours = parse_spec("Mon,WED 09:00-13:00, 17:00-21:00 ;  Παρ 10:00-12:00")
    assert hours.days[0] == ((540, 780), (1020, 1260)) and hours.days[2] == hours.days[0]
    assert hours.days[4] == ((600, 720),) and 1 not in hours.days
    assert not is_open(hours, at("2026-12-07T15:00"), ATHENS)  # Monday's break
    assert is_open(hours, at("2026-12-07T18:00"), ATHENS)
    assert format_spec(hours) == "mon 09:00-13:00,17:00-21:00; wed 09:00-13:00,17:00-21:00; " \
                                 "fri 10:00-12:00"


def test_overnight_range_runs_into_the_next_day_and_wraps_the_week():
    hours = parse_spec("fri-sun 22:00-02:00")
    assert is_open(hours, at("2026-12-11T23:30"), ATHENS)  # Friday night
    assert is_open(hours, at("2026-12-12T01:59"), ATHENS)  # Saturday small hours
    assert not is_open(hours, at("2026-12-12T02:00"), ATHENS)
    assert is_open(hours, at("2026-12-14T01:00"), ATHENS)  # Sunday's range into Monday
    assert not is_open(hours, at("2026-12-11T01:00"), ATHENS)  # Thursday's night: closed
    assert format_spec(hours) == "fri-sun 22:00-02:00"
    assert format_spec(parse_spec("sun-mon 00:00-24:00")) == "mon 00:00-24:00; sun 00:00-24:00"


def test_holidays_close_the_ranges_that_start_on_them():
    hours = parse_spec("mon-sun 09:00-17:00; fri 22:00-03:00")
    christmas = parse_holidays("2026-12-25, 2027-01-01")
    assert christmas == [date(2026, 12, 25), date(2027, 1, 1)]
    assert not is_open(hours, at("2026-12-25T10:00"), ATHENS, christmas)
    assert is_open(hours, at("2026-12-24T10:00"), ATHENS, christmas)
    # Friday the 25th's night range belongs to the holiday; Saturday morning is closed too.
    assert not is_open(hours, at("2026-12-26T01:00"), ATHENS, christmas)
    assert is_open(hours, at("2026-12-26T01:00"), ATHENS, [])
    assert parse_holidays("none") == [] and parse_holidays("") == []
    with pytest.raises(HoursError, match="25/12/2026"):
        parse_holidays("2026-12-24 25/12/2026")


def test_dst_in_athens_keeps_the_wall_clock():
    hours = parse_spec("mon-sun 09:00-17:00")
    # Winter (EET, UTC+2): 09:00 local is 07:00 UTC.
    assert is_open(hours, datetime(2026, 12, 7, 7, 0, tzinfo=UTC), ATHENS)
    assert not is_open(hours, datetime(2026, 12, 7, 6, 59, tzinfo=UTC), ATHENS)
    # Summer (EEST, UTC+3): 09:00 local is 06:00 UTC.
    assert is_open(hours, datetime(2027, 7, 5, 6, 0, tzinfo=UTC), ATHENS)
    assert not is_open(hours, datetime(2027, 7, 5, 14, 0, tzinfo=UTC), ATHENS)  # 17:00 local
    # The change days themselves: 2027-03-28 (clocks go 03:00 -> 04:00) and 2026-10-25.
    assert is_open(hours, datetime(2027, 3, 28, 6, 0, tzinfo=UTC), ATHENS)  # 09:00 EEST
    assert not is_open(hours, datetime(2027, 3, 28, 5, 30, tzinfo=UTC), ATHENS)  # 08:30
    assert is_open(hours, datetime(2026, 10, 25, 7, 0, tzinfo=UTC), ATHENS)  # 09:00 EET
    assert not is_open(hours, datetime(2026, 10, 25, 6, 30, tzinfo=UTC), ATHENS)  # 08:30
    night = parse_spec("sat 23:00-05:00")
    # The night the clocks go forward: 03:30 local does not exist, 04:30 EEST is 01:30 UTC.
    assert is_open(night, datetime(2027, 3, 28, 1, 30, tzinfo=UTC), ATHENS)
    assert not is_open(night, datetime(2027, 3, 28, 2, 0, tzinfo=UTC), ATHENS)  # 05:00 EEST


def test_none_is_always_away():
    hours = parse_spec("none")
    assert hours.always_away and format_spec(hours) == "none"
    assert not is_open(hours, at("2026-12-07T10:00"), ATHENS)
    assert parse_spec(" NONE ").always_away


@pytest.mark.parametrize(("spec", "message"), [
    ("", "No hours given"),
    ("mon-fri", "should be days then hours"),
    ("funday 09:00-17:00", "“funday” in “funday 09:00-17:00” is not a day"),
    ("mon 9-17", "“9” in “mon 9-17” is not a time"),
    ("mon 09:00", "is not a range"),
    ("mon 25:00-26:00", "is not a time of day"),
    ("mon 09:60-10:00", "is not a time of day"),
    ("mon 24:00-02:00", "is not a time of day"),
    ("mon 09:00-09:00", "is empty; for the whole day write 00:00-24:00"),
    ("mon 09:00-13:00,12:00-15:00", "The hours of mon overlap"),
    ("mon,,tue 09:00-10:00", "An empty day"),
    (";;", "No hours given"),
])
def test_bad_specs_say_what_is_wrong(spec, message):
    with pytest.raises(HoursError, match=message):
        parse_spec(spec)


def test_bad_time_zone():
    with pytest.raises(HoursError, match="Mars/Olympus"):
        zone("Mars/Olympus")
