"""Turning what a person types into an aware UTC instant, safely across DST changes.

Times are stored in UTC. A time typed without an offset means wall-clock time in the workspace's
time zone: "2026-10-24T09:00" in Europe/Athens is 06:00 UTC, a week later it is 07:00 UTC.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from django.utils.translation import gettext as _


class InvalidLocalTime(ValueError):
    """The text is not a time, names an unknown zone, or names a local time that never happens."""


def get_zone(tz_name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidLocalTime(_("Unknown time zone: %(tz)s") % {"tz": tz_name}) from exc


def localize(naive: datetime, tz_name: str) -> datetime:
    """Attach a zone to a wall-clock time.

    An ambiguous time (the repeated hour when clocks go back) means its first occurrence
    (fold=0, still summer time). A time in the gap when clocks go forward never happens on the
    wall clock, so it is refused rather than silently moved.
    """
    zone = get_zone(tz_name)
    aware = naive.replace(tzinfo=zone, fold=0)
    # A nonexistent local time does not survive a round trip through UTC.
    round_trip = aware.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != naive.replace(fold=0):
        raise InvalidLocalTime(
            _("%(time)s does not exist in %(tz)s (the clocks skip it for daylight saving time).")
            % {"time": naive.strftime("%Y-%m-%d %H:%M"), "tz": tz_name}
        )
    return aware


def parse_local_datetime(value: str, tz_name: str) -> datetime:
    """Parse ISO 8601 text into an aware datetime in UTC.

    An explicit offset ("...+02:00", "...Z") is kept as given; a naive time is read in tz_name.
    """
    text = (value or "").strip()
    if not text:
        raise InvalidLocalTime(_("No date and time given."))
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError as exc:
        raise InvalidLocalTime(
            _("%(value)s is not a date and time; use ISO 8601, e.g. 2026-03-29T09:00.")
            % {"value": text}
        ) from exc
    if parsed.tzinfo is None:
        parsed = localize(parsed, tz_name)
    return parsed.astimezone(UTC)


def is_aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.tzinfo.utcoffset(value) is not None
