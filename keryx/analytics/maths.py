"""The engagement maths, as pure functions (no database, no Django): what every figure on the
analytics page, in the API and in the exports is computed with.

The seed's definition (§11): a post's engagement rate is its engagements (likes + comments +
shares + saves) divided by the channel's followers, × 100; the overall rate is the average of
the posts' rates over a period. A part the network does not give (None) is left out and named:
every figure carries its formula, and an average never mixes posts whose formulas differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

ENGAGEMENT_PARTS = ("likes", "comments", "shares", "saves")
BASES = {
    "followers": "followers at publish time",
    "reach": "reach",
    "impressions": "impressions",
    # Competitors: their followers when their posts were read (keryx.analytics.competitors).
    "followers_read": "followers when read",
}
# The heatmap warns below these: too few posts behind a cell, or behind the whole map.
THIN_CELL_POSTS = 3
THIN_MAP_POSTS = 20


@dataclass(frozen=True)
class Engagements:
    """likes + comments + shares + saves, over the parts the network gives."""

    value: int | None
    parts: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def formula(self) -> str:
        return "+".join(self.parts)


def engagements(counts: Mapping[str, int | None]) -> Engagements:
    parts = tuple(p for p in ENGAGEMENT_PARTS if counts.get(p) is not None)
    missing = tuple(p for p in ENGAGEMENT_PARTS if counts.get(p) is None)
    if not parts:
        return Engagements(None, (), missing)
    return Engagements(sum(int(counts[p] or 0) for p in parts), parts, missing)


@dataclass(frozen=True)
class Rate:
    """A percentage with its formula; value None comes with the reason."""

    value: float | None
    formula: str
    reason: str = ""


def rate_formula(parts: Sequence[str], basis: str) -> str:
    return f"({'+'.join(parts) or 'no counts'}) / {BASES[basis]} × 100"


def engagement_rate(eng: Engagements, denominator: int | None, basis: str) -> Rate:
    """eng / denominator × 100. basis: "followers" (at publish time), "reach", "impressions"."""
    formula = rate_formula(eng.parts, basis)
    if eng.value is None:
        return Rate(None, formula, "the network gives none of likes, comments, shares, saves")
    if denominator is None:
        return Rate(None, formula, f"no {BASES[basis]} figure")
    if denominator <= 0:
        return Rate(None, formula, f"{BASES[basis]} is 0: no rate can be computed")
    return Rate(eng.value / denominator * 100, formula)


@dataclass(frozen=True)
class FormulaAverage:
    formula: str
    value: float
    posts: int
    # The networks whose posts stand behind it, where the caller knows them.
    networks: tuple[str, ...] = ()


@dataclass(frozen=True)
class AverageRate:
    """The seed's overall rate: the mean of the posts' rates. `value` is None when no post has
    a rate, or when the posts' formulas differ (then see `by_formula`)."""

    value: float | None
    formula: str
    posts: int
    without_rate: int
    reason: str = ""
    by_formula: tuple[FormulaAverage, ...] = field(default_factory=tuple)


def average_rate(rates: Sequence[Rate], over: str = "posts") -> AverageRate:
    known = [r for r in rates if r.value is not None]
    groups: dict[str, list[float]] = {}
    for r in known:
        groups.setdefault(r.formula, []).append(float(r.value or 0.0))
    return combine([FormulaAverage(f, sum(v) / len(v), len(v)) for f, v in groups.items()],
                   len(rates) - len(known), over)


def combine(parts: Iterable[FormulaAverage], without: int, over: str = "posts") -> AverageRate:
    """The average rate from averages of groups of posts (e.g. per channel, as SQL gives
    them): groups of one formula are merged, weighted by their posts (so the result is the
    mean of all their posts' rates); different formulas stay apart and give no single value.
    `without`: the posts that have no rate."""
    merged: dict[str, tuple[float, int, set[str]]] = {}
    for part in parts:
        if part.posts <= 0:
            continue
        total, count, networks = merged.get(part.formula, (0.0, 0, set()))
        merged[part.formula] = (total + part.value * part.posts, count + part.posts,
                                networks | set(part.networks))
    if not merged:
        reason = "no posts in the period" if not without else "no post in the period has a rate"
        return AverageRate(None, "", 0, without, reason)
    by_formula = tuple(FormulaAverage(f, total / count, count, tuple(sorted(networks)))
                       for f, (total, count, networks) in sorted(merged.items()))
    known = sum(f.posts for f in by_formula)
    groups = merged
    if len(groups) > 1:
        return AverageRate(None, "", known, without,
                           "the posts' engagement is counted differently (see each formula)",
                           by_formula)
    only = by_formula[0]
    return AverageRate(only.value, f"average over {over} of {only.formula}", only.posts, without,
                       by_formula=by_formula)


def daily_formula(parts: Sequence[str]) -> str:
    return f"new ({'+'.join(parts) or 'no counts'}) that day / followers that day × 100"


def daily_rate(gained: int, followers: int | None, parts: Sequence[str]) -> Rate:
    """The daily engagement rate of one channel on one day: the engagements its posts gained
    that day / its followers that day (the last reading by the end of the day) × 100."""
    formula = daily_formula(parts)
    if not parts:
        return Rate(None, formula, "the network gives none of likes, comments, shares, saves")
    if followers is None:
        return Rate(None, formula, "no follower reading by that day")
    if followers <= 0:
        return Rate(None, formula, "followers that day is 0: no rate can be computed")
    return Rate(gained / followers * 100, formula)


def positive_deltas(values: Iterable[int | None]) -> list[int]:
    """Increments between consecutive known readings, never below 0: a count that went down
    (an unlike, a deleted reply) is not negative engagement."""
    out: list[int] = []
    last: int | None = None
    for value in values:
        if value is None:
            continue
        if last is not None:
            out.append(max(0, value - last))
        last = value
    return out


@dataclass(frozen=True)
class Growth:
    start: int | None
    end: int | None
    absolute: int | None
    percent: float | None
    reason: str = ""


def follower_growth(start: int | None, end: int | None) -> Growth:
    if start is None or end is None:
        return Growth(start, end, None, None, "no follower reading at the start or the end")
    if start == 0:
        return Growth(start, end, end - start, None, "0 followers at the start: no percentage")
    return Growth(start, end, end - start, (end - start) / start * 100)


@dataclass(frozen=True)
class Cell:
    weekday: int  # Monday = 0
    hour: int
    average: float
    posts: int

    @property
    def thin(self) -> bool:
        return self.posts < THIN_CELL_POSTS


@dataclass(frozen=True)
class Heatmap:
    cells: dict[tuple[int, int], Cell]
    posts: int
    formula: str
    warning: str = ""


def best_times(items: Iterable[tuple[datetime, Rate]]) -> Heatmap:
    """Weekday × hour of the (already local) publish times, each cell the average rate of the
    posts published then. Posts without a rate are left out; mixed formulas are refused."""
    sums: dict[tuple[int, int], list[float]] = {}
    formulas: set[str] = set()
    for when, r in items:
        if r.value is None:
            continue
        formulas.add(r.formula)
        sums.setdefault((when.weekday(), when.hour), []).append(r.value)
    total = sum(len(v) for v in sums.values())
    if len(formulas) > 1:
        return Heatmap({}, total, "", "the posts' engagement is counted differently; choose "
                                      "channels of one network")
    cells = {key: Cell(key[0], key[1], sum(v) / len(v), len(v)) for key, v in sums.items()}
    warning = ""
    if total == 0:
        warning = "no posts with an engagement rate yet"
    elif total < THIN_MAP_POSTS:
        warning = f"only {total} posts: too few to tell good times from chance"
    formula = f"average per cell of {next(iter(formulas))}" if formulas else ""
    return Heatmap(cells, total, formula, warning)


def heatmap_of_cells(cells: Iterable[tuple[int, int, str, float, int]]) -> Heatmap:
    """best_times from per-cell averages already worked out (weekday Monday = 0, hour, formula,
    average rate, posts with a rate), as SQL gives them: the same map, warnings and refusal of
    mixed formulas."""
    merged: dict[tuple[int, int], tuple[float, int]] = {}
    formulas: set[str] = set()
    for weekday, hour, formula, average, posts in cells:
        if posts <= 0:
            continue
        formulas.add(formula)
        total, count = merged.get((weekday, hour), (0.0, 0))
        merged[(weekday, hour)] = (total + average * posts, count + posts)
    total = sum(count for _total, count in merged.values())
    if len(formulas) > 1:
        return Heatmap({}, total, "", "the posts' engagement is counted differently; choose "
                                      "channels of one network")
    out = {key: Cell(key[0], key[1], value / count, count)
           for key, (value, count) in merged.items()}
    warning = ""
    if total == 0:
        warning = "no posts with an engagement rate yet"
    elif total < THIN_MAP_POSTS:
        warning = f"only {total} posts: too few to tell good times from chance"
    formula = f"average per cell of {next(iter(formulas))}" if formulas else ""
    return Heatmap(out, total, formula, warning)


def suggestions(heat: Heatmap, count: int = 3) -> list[Cell]:
    """The best cells to post in: highest average rate among those with enough posts behind
    them (never a thin cell, so one lucky post does not become a schedule)."""
    solid = [c for c in heat.cells.values() if not c.thin]
    return sorted(solid, key=lambda c: (-c.average, -c.posts, c.weekday, c.hour))[:count]
