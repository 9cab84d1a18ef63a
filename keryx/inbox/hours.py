"""Business hours: the weekly SPEC people type, holidays, and "are we open at this moment?".

SPEC (issue 15): `mon-fri 09:00-17:00; sat 10:00-14:00`, or `none` (no business hours: always
away). Parts are separated by `;`; each names days (`mon`, `mon-fri`, `mon,wed,fri`, English
or Greek abbreviations or full names, any case) and one or more ranges (`09:00-13:00,
17:00-21:00`). `24:00` may end a range; a range that ends at or before its start runs past
midnight (`fri 22:00-02:00` is open until Saturday 02:00). A range belongs to the day it
starts: a holiday closes the ranges that start on that date.

Everything is read in the workspace's time zone on the wall clock, so 09:00 stays 09:00 across
the summer-time changes (Europe/Athens: 06:00 UTC in summer, 07:00 UTC in winter).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from keryx.classify.text import fold

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NAMES: dict[str, int] = {}
for _index, _names in enumerate([
    ("mon", "monday", "δευ", "δευτερα"), ("tue", "tuesday", "τρι", "τριτη"),
    ("wed", "wednesday", "τετ", "τεταρτη"), ("thu", "thursday", "πεμ", "πεμπτη"),
    ("fri", "friday", "παρ", "παρασκευη"), ("sat", "saturday", "σαβ", "σαββατο"),
    ("sun", "sunday", "κυρ", "κυριακη"),
]):
    for _name in _names:
        _NAMES[fold(_name)] = _index

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
DAY_MINUTES = 24 * 60


class HoursError(ValueError):
    """A SPEC, time zone or holiday list that cannot be read; the message says which part."""


@dataclass(frozen=True)
class WeeklyHours:
    """Per weekday (0 = Monday) the ranges in minutes from that day's midnight; an end past
    1440 runs into the next day. Empty: no business hours at all (always away)."""

    days: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    @property
    def always_away(self) -> bool:
        return not any(self.days.values())


def _minutes(text: str, part: str, *, end: bool) -> int:
    found = _TIME.match(text.strip())
    if not found:
        raise HoursError(_("“%(time)s” in “%(part)s” is not a time like 09:00.")
                         % {"time": text.strip(), "part": part})
    hours, minutes = int(found.group(1)), int(found.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not end)):
        raise HoursError(_("“%(time)s” in “%(part)s” is not a time of day (00:00–24:00).")
                         % {"time": text.strip(), "part": part})
    return hours * 60 + minutes


def _day(name: str, part: str) -> int:
    index = _NAMES.get(fold(name.strip().rstrip(".")))
    if index is None:
        raise HoursError(_("“%(day)s” in “%(part)s” is not a day; use mon, tue, wed, thu, fri, "
                           "sat, sun.") % {"day": name.strip(), "part": part})
    return index


def _days(text: str, part: str) -> list[int]:
    chosen: list[int] = []
    for piece in text.split(","):
        if not piece.strip():
            raise HoursError(_("An empty day in “%(part)s”.") % {"part": part})
        if "-" in piece:
            first, _sep, last = piece.partition("-")
            start, stop = _day(first, part), _day(last, part)
            span = (stop - start) % 7
            chosen += [(start + i) % 7 for i in range(span + 1)]
        else:
            chosen.append(_day(piece, part))
    return chosen


def parse_spec(spec: str) -> WeeklyHours:
    """The weekly hours a SPEC names; HoursError saying which part is wrong."""
    text = (spec or "").strip()
    if not text:
        raise HoursError(_("No hours given: write e.g. “mon-fri 09:00-17:00”, or “none”."))
    if text.lower() == "none":
        return WeeklyHours({})
    days: dict[int, list[tuple[int, int]]] = {}
    for raw in text.split(";"):
        part = raw.strip()
        if not part:
            continue
        found = re.match(r"^(\S+(?:\s*,\s*\S+)*?)\s+(\d.*)$", part)
        if not found:
            raise HoursError(_("“%(part)s” should be days then hours, like “mon-fri "
                               "09:00-17:00”.") % {"part": part})
        day_text = re.sub(r"\s+", "", found.group(1))
        for index in _days(day_text, part):
            for span in found.group(2).split(","):
                start_text, sep, end_text = span.partition("-")
                if not sep:
                    raise HoursError(_("“%(range)s” in “%(part)s” is not a range like "
                                       "09:00-17:00.") % {"range": span.strip(), "part": part})
                start = _minutes(start_text, part, end=False)
                end = _minutes(end_text, part, end=True)
                if start == end:
                    raise HoursError(_("“%(range)s” in “%(part)s” is empty; for the whole day "
                                       "write 00:00-24:00.")
                                     % {"range": span.strip(), "part": part})
                if end < start:
                    end += DAY_MINUTES  # overnight: into the next day
                days.setdefault(index, []).append((start, end))
    if not days:
        raise HoursError(_("No hours given: write e.g. “mon-fri 09:00-17:00”, or “none”."))
    for index, spans in days.items():
        spans.sort()
        for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
            if s2 < e1:
                raise HoursError(_("The hours of %(day)s overlap.") % {"day": DAYS[index]})
    return WeeklyHours({i: tuple(spans) for i, spans in sorted(days.items())})


def _clock(minutes: int) -> str:
    minutes %= DAY_MINUTES * 2
    if minutes > DAY_MINUTES:
        minutes -= DAY_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_spec(hours: WeeklyHours) -> str:
    """The canonical SPEC: consecutive days with the same hours grouped (`mon-fri ...`)."""
    if hours.always_away:
        return "none"
    parts: list[str] = []
    index = 0
    while index < 7:
        spans = hours.days.get(index)
        if not spans:
            index += 1
            continue
        last = index
        while last + 1 < 7 and hours.days.get(last + 1) == spans:
            last += 1
        names = DAYS[index] if last == index else f"{DAYS[index]}-{DAYS[last]}"
        ranges = ",".join(f"{_clock(s)}-{_clock(e)}" for s, e in spans)
        parts.append(f"{names} {ranges}")
        index = last + 1
    return "; ".join(parts)


def parse_holidays(text: str | Iterable[str]) -> list[date]:
    """ISO dates (YYYY-MM-DD) separated by commas, spaces or lines; `none` or empty: none."""
    pieces = re.split(r"[\s,;]+", text.strip()) if isinstance(text, str) else list(text)
    found: set[date] = set()
    for piece in pieces:
        piece = str(piece).strip()
        if not piece or piece.lower() == "none":
            continue
        try:
            found.add(date.fromisoformat(piece))
        except ValueError:
            raise HoursError(_("“%(value)s” is not a date like 2026-12-25.")
                             % {"value": piece}) from None
    return sorted(found)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(_("“%(zone)s” is not a time zone (e.g. Europe/Athens).")
                         % {"zone": name}) from None


def is_open(hours: WeeklyHours, at: datetime, tz: ZoneInfo,
            holidays: Iterable[date] = ()) -> bool:
    """Whether `at` (an aware datetime) falls in business hours, on the local wall clock."""
    if hours.always_away:
        return False
    closed = set(holidays)
    local = at.astimezone(tz)
    today = local.date()
    minute = local.hour * 60 + local.minute
    if today not in closed:
        for start, end in hours.days.get(local.weekday(), ()):
            if start <= minute < end:
                return True
    yesterday = today - timedelta(days=1)
    if yesterday not in closed:
        for _start, end in hours.days.get(yesterday.weekday(), ()):
            if end > DAY_MINUTES and minute < end - DAY_MINUTES:
                return True
    return False
