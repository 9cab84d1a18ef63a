"""The figures analytics shows: per post, per period, over time. Reads what keryx.analytics.collect
stored and computes with keryx.analytics.maths; every figure carries its formula.

All functions take a workspace (every query is scoped by it) and a Period.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from keryx.analytics import maths
from keryx.analytics.models import ChannelSnapshot, MetricSnapshot, TrackedPost
from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.networks.community import POST_METRIC_FIELDS
from keryx.networks.text import find_hashtags
from keryx.planner.models import Campaign, Label

DEFAULT_DAYS = 30
TOP_POSTS = 5
HASHTAGS_SHOWN = 20
RATE_DIGITS = 4


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, from inclusive local dates in the workspace's time zone."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def period(workspace: Workspace, first: date | None = None, last: date | None = None) -> Period:
    zone = ZoneInfo(workspace.timezone or "UTC")
    today = timezone.now().astimezone(zone).date()
    last = last or today
    first = first or (last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise ValueError("The period starts after it ends.")
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(last + timedelta(days=1), time.min, zone)
    return Period(start, end, first, last)


@dataclass(frozen=True)
class PostFilter:
    """Which posts a figure covers beyond the period and channels: a campaign, labels (a post
    with any of them). Ids of the workspace's own campaigns and labels."""

    campaign: int | None = None
    labels: tuple[int, ...] = ()


def post_filter(workspace: Workspace, campaign: int | None = None,
                labels: Sequence[int] = ()) -> PostFilter:
    """A PostFilter of the workspace's own campaign and labels; LookupError names any other."""
    if campaign and not Campaign.objects.filter(workspace=workspace, pk=campaign).exists():
        raise LookupError(f"No campaign {campaign} in this workspace.")
    wanted = set(labels)
    mine = set(Label.objects.filter(workspace=workspace, pk__in=wanted)
               .values_list("pk", flat=True))
    if wanted - mine:
        raise LookupError(f"No label {', '.join(map(str, sorted(wanted - mine)))} in this "
                          "workspace.")
    return PostFilter(campaign or None, tuple(sorted(mine)))


def _tracked(workspace: Workspace, when: Period, channels: Sequence[Channel] | None,
             only: PostFilter | None = None) -> QuerySet[TrackedPost]:
    qs = TrackedPost.objects.filter(workspace=workspace, published_at__gte=when.start,
                                    published_at__lt=when.end)
    if channels:
        qs = qs.filter(channel__in=list(channels))
    if only and only.campaign:
        qs = qs.filter(target__post__campaign_id=only.campaign)
    if only and only.labels:
        qs = qs.filter(target__post__labels__in=list(only.labels)).distinct()
    return qs


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, RATE_DIGITS)


def _rate_json(rate: maths.Rate) -> dict[str, Any]:
    return {"value": _rounded(rate.value), "formula": rate.formula, "reason": rate.reason}


def post_rows(workspace: Workspace, when: Period, channels: Sequence[Channel] | None = None,
              only: PostFilter | None = None) -> list[dict[str, Any]]:
    """One dict per published delivery in the period, with its latest counts and rates."""
    qs = _tracked(workspace, when, channels, only).select_related(
        "target", "target__post", "channel", "latest").order_by("published_at", "pk")
    rows = []
    for tracked in qs:
        snap = tracked.latest
        counts = {name: getattr(snap, name) if snap else None for name in POST_METRIC_FIELDS}
        eng = maths.engagements(counts)
        rates = {
            "by_followers": maths.engagement_rate(eng, tracked.followers_at_publish, "followers"),
            "by_reach": maths.engagement_rate(eng, counts["reach"], "reach"),
            "by_impressions": maths.engagement_rate(eng, counts["impressions"], "impressions"),
        }
        target = tracked.target
        text = target.post.text if target else tracked.text
        rows.append({
            # None for a post published outside Keryx (imported).
            "post_id": target.post_id if target else None,
            "channel": tracked.channel.name,
            "network": tracked.channel.network,
            "remote_id": tracked.remote_id,
            "url": tracked.remote_url,
            "published_at": tracked.published_at,
            "text": text[:200],
            # Case-folded, so #Ελλάδα and #ελλάδα are one tag.
            "hashtags": sorted({span.value.casefold() for span in find_hashtags(text)}),
            "imported": tracked.imported,
            "followers": tracked.followers_at_publish,
            "followers_measured_at": tracked.followers_measured_at,
            **counts,
            "engagements": eng.value,
            "engagements_formula": eng.formula,
            "engagements_missing": list(eng.missing),
            "engagement_rate": {key: _rounded(r.value) for key, r in rates.items()},
            "engagement_rate_formula": {key: r.formula for key, r in rates.items()},
            "engagement_rate_reason": {key: r.reason for key, r in rates.items() if r.reason},
            "measured_at": snap.taken_at if snap else None,
            "gone": tracked.gone_at is not None,
            "gone_reason": tracked.gone_reason,
            # Kept for the averages (the rounded figure is for show).
            "_rates": rates,
        })
    return rows


def public_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _followers_at(channel_ids: list[int], at: datetime,
                  or_first_until: datetime | None = None) -> dict[int, int]:
    """Each channel's last follower reading at or before `at`; with or_first_until, when there
    is none before, its first reading between `at` and then (a channel measured only since)."""
    found: dict[int, int] = {}
    for channel_id in channel_ids:
        readings = ChannelSnapshot.objects.filter(channel_id=channel_id,
                                                  followers__isnull=False)
        last = readings.filter(taken_at__lte=at).order_by("-taken_at", "-pk").first()
        if last is None and or_first_until is not None:
            last = readings.filter(taken_at__gte=at, taken_at__lte=or_first_until) \
                .order_by("taken_at", "pk").first()
        if last is not None and last.followers is not None:
            found[channel_id] = last.followers
    return found


def _channel_ids(workspace: Workspace, channels: Sequence[Channel] | None) -> list[int]:
    if channels:
        return [c.pk for c in channels if c.workspace_id == workspace.pk]
    return list(Channel.objects.filter(workspace=workspace).values_list("pk", flat=True))


def _average_json(avg: maths.AverageRate) -> dict[str, Any]:
    return {
        "value": _rounded(avg.value), "formula": avg.formula, "posts": avg.posts,
        "posts_without_rate": avg.without_rate, "reason": avg.reason,
        "by_formula": [{"formula": f.formula, "value": _rounded(f.value), "posts": f.posts}
                       for f in avg.by_formula],
    }


def summary(workspace: Workspace, when: Period, channels: Sequence[Channel] | None = None,
            only: PostFilter | None = None,
            rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    rows = post_rows(workspace, when, channels, only) if rows is None else rows
    averages = {key: maths.average_rate([r["_rates"][key] for r in rows])
                for key in ("by_followers", "by_reach", "by_impressions")}
    ids = _channel_ids(workspace, channels)
    until = min(when.end, timezone.now())
    start = _followers_at(ids, when.start, or_first_until=until)
    end = _followers_at(ids, until)
    both = sorted(set(start) & set(end))
    growth = maths.follower_growth(
        sum(start[c] for c in both) if both else None,
        sum(end[c] for c in both) if both else None,
    )
    names = dict(Channel.objects.filter(pk__in=ids).values_list("pk", "name"))
    ranked = sorted((r for r in rows if r["_rates"]["by_followers"].value is not None),
                    key=lambda r: r["_rates"]["by_followers"].value, reverse=True)
    def breakdown(key: str) -> list[dict[str, Any]]:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            groups[r[key]].append(r)
        return [{key: name, "posts": len(group),
                 "engagements": sum(r["engagements"] or 0 for r in group),
                 "engagement_rate_by_followers": _average_json(
                     maths.average_rate([r["_rates"]["by_followers"] for r in group]))}
                for name, group in sorted(groups.items())]

    by_tag: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        for tag in r["hashtags"]:
            by_tag[tag].append(r)
    hashtags = [{"hashtag": tag, "posts": len(group),
                 "engagements": sum(r["engagements"] or 0 for r in group),
                 "engagement_rate_by_followers": _average_json(
                     maths.average_rate([r["_rates"]["by_followers"] for r in group]))}
                for tag, group in sorted(by_tag.items(), key=lambda kv: (-len(kv[1]), kv[0]))]

    return {
        "from": when.first_day,
        "until": when.last_day,
        "channels": sorted(names[c] for c in ids),
        "posts": len(rows),
        "posts_per_week": round(len(rows) / when.days * 7, 2),
        "empty": not rows,
        "message": "No posts were published in this period." if not rows else "",
        "followers_start": growth.start,
        "followers_end": growth.end,
        "follower_growth": growth.absolute,
        "follower_growth_percent": _rounded(growth.percent),
        "follower_growth_reason": growth.reason,
        "follower_channels_missing": sorted(names[c] for c in ids if c not in both),
        "engagement_rate_by_followers": _rounded(averages["by_followers"].value),
        "engagement_rate_by_followers_formula": averages["by_followers"].formula,
        "engagement_rate": {key: _average_json(avg) for key, avg in averages.items()},
        "engagements": sum(r["engagements"] or 0 for r in rows),
        "engagements_formula": "sum over posts of likes+comments+shares+saves "
                               "(the parts each network gives)",
        "by_network": breakdown("network"),
        "by_channel": breakdown("channel"),
        "hashtags": hashtags[:HASHTAGS_SHOWN],
        "top_posts": [public_row(r) for r in ranked[:TOP_POSTS]],
        "bottom_posts": [public_row(r) for r in ranked[::-1][:TOP_POSTS]],
    }


def follower_series(workspace: Workspace, when: Period,
                    channels: Sequence[Channel] | None = None) -> dict[str, list[tuple[date, int]]]:
    """Per channel name: the last follower reading of each local day that has one."""
    zone = ZoneInfo(workspace.timezone or "UTC")
    ids = _channel_ids(workspace, channels)
    readings = ChannelSnapshot.objects.filter(
        channel_id__in=ids, followers__isnull=False, taken_at__gte=when.start,
        taken_at__lt=when.end).select_related("channel").order_by("taken_at", "pk")
    days: dict[str, dict[date, int]] = defaultdict(dict)
    for reading in readings:
        days[reading.channel.name][reading.taken_at.astimezone(zone).date()] = \
            int(reading.followers or 0)
    return {name: sorted(per_day.items()) for name, per_day in sorted(days.items())}


ENGAGEMENT_SERIES_FORMULA = ("new likes+comments+shares+saves per day (the parts each network "
                             "gives; a count that went down adds 0)")


def engagement_series(workspace: Workspace, when: Period,
                      channels: Sequence[Channel] | None = None,
                      only: PostFilter | None = None) -> list[tuple[date, int]]:
    """Engagements gained per local day by the period's posts, from the readings: each part's
    increase since the reading before (from 0 at publishing), never negative."""
    zone = ZoneInfo(workspace.timezone or "UTC")
    tracked = _tracked(workspace, when, channels, only).values_list("pk", flat=True)
    snaps = MetricSnapshot.objects.filter(tracked_id__in=list(tracked)).order_by(
        "tracked_id", "taken_at", "pk").values_list(
        "tracked_id", "taken_at", *maths.ENGAGEMENT_PARTS)
    gained: dict[date, int] = defaultdict(int)
    last: dict[tuple[int, int], int] = {}
    for tracked_id, taken_at, *parts in snaps:
        day = taken_at.astimezone(zone).date()
        for index, value in enumerate(parts):
            if value is None:
                continue
            key = (tracked_id, index)
            before = last.get(key, 0)
            gained[day] += maths.positive_deltas([before, value])[0]
            last[key] = value
    out = []
    current = when.first_day
    while current <= when.last_day:
        out.append((current, gained.get(current, 0)))
        current += timedelta(days=1)
    return out


def heatmap(workspace: Workspace, when: Period,
            channels: Sequence[Channel] | None = None,
            rows: list[dict[str, Any]] | None = None) -> maths.Heatmap:
    zone = ZoneInfo(workspace.timezone or "UTC")
    rows = post_rows(workspace, when, channels) if rows is None else rows
    return maths.best_times(
        (r["published_at"].astimezone(zone), r["_rates"]["by_followers"]) for r in rows)


CSV_COLUMNS = (
    "post_id", "channel", "network", "remote_id", "url", "published_at", "followers",
    *POST_METRIC_FIELDS, "engagements", "engagements_formula", "engagements_missing",
    "engagement_rate_by_followers", "engagement_rate_by_followers_formula",
    "engagement_rate_by_reach", "engagement_rate_by_reach_formula",
    "engagement_rate_by_impressions", "engagement_rate_by_impressions_formula",
    "measured_at", "gone", "imported",
)


def csv_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """One line per post per channel, every metric and each figure's formula."""
    out = []
    for r in rows:
        flat = dict(r)
        flat["engagements_missing"] = "+".join(r["engagements_missing"])
        for key in ("by_followers", "by_reach", "by_impressions"):
            flat[f"engagement_rate_{key}"] = r["engagement_rate"][key]
            flat[f"engagement_rate_{key}_formula"] = r["engagement_rate_formula"][key]
        out.append(["" if flat.get(c) is None else flat.get(c) for c in CSV_COLUMNS])
    return out


def write_csv(out: TextIO, rows: list[dict[str, Any]]) -> None:
    """The CSV export: a header of CSV_COLUMNS, then csv_rows. UTF-8 with a byte-order mark
    written first, so spreadsheet programs read the Greek text right."""
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(rows))


SUGGESTION_DAYS = 90


def suggested_slots(workspace: Workspace, channels: Sequence[Channel] | None = None,
                    count: int = 3) -> list[tuple[int, time]]:
    """(weekday Monday = 0, local time) of the best times to post, from the workspace's own
    last 90 days: what a queue's posting schedule (keryx.queues, QueueSlot) takes. Empty while
    no weekday-and-hour has enough posts behind it."""
    return [(s.weekday, s.time) for s in slot_suggestions(workspace, channels, count)[0]]


@dataclass(frozen=True)
class SlotSuggestion:
    """A suggested posting time (workspace time zone) with what stands behind it."""

    weekday: int  # Monday = 0
    time: time
    average: float  # the cell's average rate by followers
    posts: int


def slot_suggestions(workspace: Workspace, channels: Sequence[Channel] | None = None,
                     count: int = 3) -> tuple[list[SlotSuggestion], maths.Heatmap]:
    """suggested_slots with the posts and average behind each, and the heatmap they come from
    (its `warning` says when the data is thin)."""
    today = timezone.now().astimezone(ZoneInfo(workspace.timezone or "UTC")).date()
    when = period(workspace, today - timedelta(days=SUGGESTION_DAYS - 1), today)
    heat = heatmap(workspace, when, channels)
    return ([SlotSuggestion(c.weekday, time(c.hour), c.average, c.posts)
             for c in maths.suggestions(heat, count)], heat)
