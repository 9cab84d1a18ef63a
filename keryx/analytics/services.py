"""The figures analytics shows: per post, per period, over time. Reads what keryx.analytics.collect
stored and computes with keryx.analytics.maths; every figure carries its formula.

All functions take a workspace (every query is scoped by it) and a Period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
    Window,
)
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from keryx.analytics import maths
from keryx.analytics.models import ChannelDay, ChannelSnapshot, PostDay, TrackedPost
from keryx.channels.models import Channel
from keryx.core import csvsafe
from keryx.core.models import Workspace
from keryx.links.models import ShortLink
from keryx.links.services import find_short_codes
from keryx.networks.community import POST_METRIC_FIELDS
from keryx.networks.text import find_hashtags
from keryx.planner.models import Campaign, Label
from keryx.publishing.models import Post

DEFAULT_DAYS = 30
TOP_POSTS = 5
# Best and worst posts shown per channel, network, campaign and label.
GROUP_TOP = 3
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


def _tracked(workspace: Workspace, when: Period | None, channels: Sequence[Channel] | None,
             only: PostFilter | None = None) -> QuerySet[TrackedPost]:
    """The workspace's tracked posts published in the period (any time when `when` is None),
    on the channels, with the campaign and any of the labels. No join multiplies the rows
    (labels go through a subquery), so SQL aggregates over it count each post once."""
    qs = TrackedPost.objects.filter(workspace=workspace)
    if when is not None:
        qs = qs.filter(published_at__gte=when.start, published_at__lt=when.end)
    if channels:
        qs = qs.filter(channel__in=list(channels))
    if only and only.campaign:
        qs = qs.filter(target__post__campaign_id=only.campaign)
    if only and only.labels:
        qs = qs.filter(target__post_id__in=Post.labels.through.objects.filter(
            label_id__in=list(only.labels)).values("post_id"))
    return qs


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, RATE_DIGITS)


def _rate_json(rate: maths.Rate) -> dict[str, Any]:
    return {"value": _rounded(rate.value), "formula": rate.formula, "reason": rate.reason}


# Each rate's denominator on TrackedPost (the latest counts are denormalised there).
RATE_BASES = {"by_followers": ("followers_at_publish", "followers"),
              "by_reach": ("reach", "reach"),
              "by_impressions": ("impressions", "impressions")}


def _rate_sql(denominator: str) -> Case:
    """engagements / denominator × 100 in SQL, null where maths.engagement_rate gives None."""
    return Case(When(Q(engagements__isnull=False) & Q(**{f"{denominator}__gt": 0}),
                     then=Cast("engagements", FloatField()) * 100.0
                     / Cast(denominator, FloatField())),
                default=None, output_field=FloatField())


@lru_cache(maxsize=256)
def _parts(formula: str) -> tuple[str, ...]:
    return tuple(p for p in formula.split("+") if p)


@lru_cache(maxsize=256)
def _formula(parts: str, basis: str = "followers") -> str:
    """The rate's formula name from TrackedPost.engagement_parts."""
    return maths.rate_formula(_parts(parts), basis)


ROW_VALUES = (
    "pk", "target_id", "target__post_id", "target__post__text", "text", "channel_id",
    "channel__name", "channel__network", "remote_id", "remote_url", "published_at", "imported",
    "followers_at_publish", "followers_measured_at", *POST_METRIC_FIELDS, "engagement_parts",
    "hashtags", "latest__taken_at", "gone_at", "gone_reason",
)
# The page's posts table shows this many posts a page.
PAGE_POSTS = 50


def _short_links(workspace: Workspace, texts: dict[int, str]) -> dict[int, list[dict[str, Any]]]:
    """Per tracked post: Keryx's short links in its text, with their clicks (one query)."""
    codes = {pk: find_short_codes(text) for pk, text in texts.items() if "/l/" in text}
    wanted = {c for found in codes.values() for c in found}
    if not wanted:
        return {}
    links = {link.code: link for link in ShortLink.objects.filter(
        workspace=workspace, code__in=wanted).only("code", "url", "clicks")}
    return {pk: [{"code": c, "url": links[c].url, "clicks": links[c].clicks}
                 for c in found if c in links] for pk, found in codes.items()}


def post_rows(workspace: Workspace, when: Period, channels: Sequence[Channel] | None = None,
              only: PostFilter | None = None, *, limit: int | None = None, offset: int = 0,
              newest_first: bool = False, ids: Sequence[int] | None = None
              ) -> list[dict[str, Any]]:
    """One dict per published delivery in the period, with its latest counts and rates, in
    publishing order (newest first if asked); `limit`/`offset` give one page of them in SQL,
    `ids` only those tracked posts (of the period's)."""
    qs = _tracked(workspace, when, channels, only)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    qs = qs.order_by(*(("-published_at", "-pk") if newest_first else ("published_at", "pk")))
    if limit is not None:
        qs = qs[offset:offset + limit]
    found = list(qs.values(*ROW_VALUES))
    texts = {v["pk"]: (v["target__post__text"] if v["target_id"] else v["text"]) or ""
             for v in found}
    links = _short_links(workspace, texts)
    rows = []
    for v in found:
        counts = {name: v[name] for name in POST_METRIC_FIELDS}
        eng = maths.engagements(counts)
        rates = {key: maths.engagement_rate(eng, v[column], basis)
                 for key, (column, basis) in RATE_BASES.items()}
        text = texts[v["pk"]]
        tags = v["hashtags"].split() if v["hashtags"] is not None else \
            sorted({span.value.casefold() for span in find_hashtags(text)})
        short = links.get(v["pk"], [])
        rows.append({
            # None for a post published outside Keryx (imported).
            "post_id": v["target__post_id"],
            "channel": v["channel__name"],
            "network": v["channel__network"],
            "remote_id": v["remote_id"],
            "url": v["remote_url"],
            "published_at": v["published_at"],
            "text": text[:200],
            # Case-folded, so #Ελλάδα and #ελλάδα are one tag.
            "hashtags": tags,
            "imported": v["imported"],
            "followers": v["followers_at_publish"],
            "followers_measured_at": v["followers_measured_at"],
            **counts,
            "engagements": eng.value,
            "engagements_formula": eng.formula,
            "engagements_missing": list(eng.missing),
            "engagement_rate": {key: _rounded(r.value) for key, r in rates.items()},
            "engagement_rate_formula": {key: r.formula for key, r in rates.items()},
            "engagement_rate_reason": {key: r.reason for key, r in rates.items() if r.reason},
            "measured_at": v["latest__taken_at"],
            "gone": v["gone_at"] is not None,
            "gone_reason": v["gone_reason"],
            # Keryx's short links in the post, with their clicks (a link's clicks from
            # anywhere: a link used in several posts shows its whole count on each).
            "short_links": short,
            "short_link_clicks": sum(link["clicks"] for link in short) if short else None,
            # Kept for the averages (the rounded figure is for show).
            "_rates": rates,
            "_pk": v["pk"],
        })
    return rows


def public_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _channel_ids(workspace: Workspace, channels: Sequence[Channel] | None) -> list[int]:
    if channels:
        return [c.pk for c in channels if c.workspace_id == workspace.pk]
    return list(Channel.objects.filter(workspace=workspace).values_list("pk", flat=True))


def _average_json(avg: maths.AverageRate) -> dict[str, Any]:
    return {
        "value": _rounded(avg.value), "formula": avg.formula, "posts": avg.posts,
        "posts_without_rate": avg.without_rate, "reason": avg.reason,
        "by_formula": [{"formula": f.formula, "value": _rounded(f.value), "posts": f.posts,
                        "networks": list(f.networks)} for f in avg.by_formula],
    }


@dataclass
class _Group:
    """SQL aggregates of one group of posts, split by channel and formula parts."""

    posts: int = 0
    engagements: int = 0
    parts: set[str] = field(default_factory=set)
    # basis -> FormulaAverage per (channel, parts) piece
    pieces: dict[str, list[maths.FormulaAverage]] = field(default_factory=dict)

    def average(self, key: str) -> maths.AverageRate:
        pieces = self.pieces.get(key, [])
        return maths.combine(pieces, self.posts - sum(p.posts for p in pieces))


def _group_stats(qs: QuerySet[TrackedPost], key: str | None,
                 networks: dict[int, str]) -> dict[Any, _Group]:
    """Posts, engagements and each rate's average per `key` (a field path; None: one group),
    in one query grouped by key, channel and formula parts."""
    keys = [k for k in (key, "channel_id", "engagement_parts") if k]
    aggregates: dict[str, Any] = {"n": Count("pk"), "eng": Sum("engagements")}
    for name, (column, _basis) in RATE_BASES.items():
        aggregates[f"{name}_avg"] = Avg(_rate_sql(column))
        aggregates[f"{name}_n"] = Count(_rate_sql(column))
    out: dict[Any, _Group] = {}
    for row in qs.order_by().values(*keys).annotate(**aggregates):
        group = out.setdefault(row[key] if key else None, _Group())
        group.posts += row["n"]
        group.engagements += int(row["eng"] or 0)
        group.parts.update(_parts(row["engagement_parts"]))
        for name, (_column, basis) in RATE_BASES.items():
            if row[f"{name}_n"]:
                group.pieces.setdefault(name, []).append(maths.FormulaAverage(
                    _formula(row["engagement_parts"], basis),
                    float(row[f"{name}_avg"]), row[f"{name}_n"],
                    (networks.get(row["channel_id"], ""),)))
    return out


@dataclass(frozen=True)
class _Candidate:
    pk: int
    rate: float
    published_at: datetime

    def best_key(self) -> tuple[float, float, int]:
        return (-self.rate, -self.published_at.timestamp(), self.pk)

    def worst_key(self) -> tuple[float, float, int]:
        return (self.rate, -self.published_at.timestamp(), self.pk)


def _ranked(qs: QuerySet[TrackedPost], partition: str, count: int
            ) -> dict[Any, tuple[list[_Candidate], list[_Candidate]]]:
    """Per `partition` (a field path): its `count` best and worst posts by engagement rate by
    followers, ranked in SQL by window functions, in one query."""
    rate = _rate_sql("followers_at_publish")
    later = [F("published_at").desc(), F("pk").asc()]
    rated = qs.order_by().annotate(rate=rate).filter(rate__isnull=False)
    if partition != "channel_id":
        rated = rated.filter(**{f"{partition}__isnull": False})
    ranked = rated.annotate(
        best=Window(RowNumber(), partition_by=[F(partition)], order_by=[rate.desc(), *later]),
        worst=Window(RowNumber(), partition_by=[F(partition)], order_by=[rate.asc(), *later]),
    ).filter(Q(best__lte=count) | Q(worst__lte=count))
    out: dict[Any, tuple[list[_Candidate], list[_Candidate]]] = {}
    for group, pk, value, published_at, best, worst in ranked.values_list(
            partition, "pk", "rate", "published_at", "best", "worst"):
        tops, bottoms = out.setdefault(group, ([], []))
        candidate = _Candidate(pk, float(value), published_at)
        if best <= count:
            tops.append(candidate)
        if worst <= count:
            bottoms.append(candidate)
    for tops, bottoms in out.values():
        tops.sort(key=_Candidate.best_key)
        bottoms.sort(key=_Candidate.worst_key)
    return out


def _merged(groups: Sequence[tuple[list[_Candidate], list[_Candidate]]], count: int
            ) -> tuple[list[_Candidate], list[_Candidate]]:
    """The best and worst `count` of several groups, from each group's own best and worst
    (enough when each group gave at least `count`)."""
    tops = sorted({c for g in groups for c in g[0]}, key=_Candidate.best_key)[:count]
    bottoms = sorted({c for g in groups for c in g[1]}, key=_Candidate.worst_key)[:count]
    return tops, bottoms


@dataclass(frozen=True)
class _ChannelFollowers:
    name: str
    network: str
    start: int | None  # the last reading at the start, or the first one inside the period
    end: int | None  # the last reading by the end (or now)
    before: int | None  # the last reading at or before the start


def _channel_followers(ids: list[int], start: datetime, until: datetime
                       ) -> dict[int, _ChannelFollowers]:
    """Every channel's follower readings at both ends of the period, in one query."""
    readings = ChannelSnapshot.objects.filter(channel_id=OuterRef("pk"), followers__isnull=False)
    rows = Channel.objects.filter(pk__in=ids).annotate(
        before=Subquery(readings.filter(taken_at__lte=start).order_by("-taken_at", "-pk")
                        .values("followers")[:1]),
        first_in=Subquery(readings.filter(taken_at__gte=start, taken_at__lte=until)
                          .order_by("taken_at", "pk").values("followers")[:1]),
        last=Subquery(readings.filter(taken_at__lte=until).order_by("-taken_at", "-pk")
                      .values("followers")[:1]),
    ).values_list("pk", "name", "network", "before", "first_in", "last")
    return {pk: _ChannelFollowers(name, network, before if before is not None else first_in,
                                  last, before)
            for pk, name, network, before, first_in, last in rows}


def _growth_json(growth: maths.Growth) -> dict[str, Any]:
    return {"followers_start": growth.start, "followers_end": growth.end,
            "follower_growth": growth.absolute,
            "follower_growth_percent": _rounded(growth.percent),
            "follower_growth_reason": growth.reason}


def _days(workspace: Workspace, channels: Sequence[Channel] | None,
          only: PostFilter | None, first: date, last: date) -> QuerySet[Any]:
    """Engagements gained per day (rows with channel_id, day, parts, engagements) by the posts
    in scope, whenever they were published: ChannelDay (one row per channel and day) unless a
    campaign or labels narrow the posts, then PostDay of those posts."""
    if only and (only.campaign or only.labels):
        qs: QuerySet[Any] = PostDay.objects.filter(
            workspace=workspace, tracked__in=_tracked(workspace, None, channels, only))
    else:
        qs = ChannelDay.objects.filter(workspace=workspace)
        if channels:
            qs = qs.filter(channel__in=list(channels))
    return qs.filter(day__gte=first, day__lte=last)


def _daily_rates(workspace: Workspace, when: Period, channels: Sequence[Channel] | None,
                 only: PostFilter | None, followers: dict[int, _ChannelFollowers],
                 post_parts: dict[int, set[str]]) -> dict[int, list[maths.Rate]]:
    """Per channel: the daily engagement rate of each day of the period up to today, from
    PostDay (the engagements its posts in scope gained that day) and the last follower
    reading by the end of that day."""
    zone = ZoneInfo(workspace.timezone or "UTC")
    today = timezone.now().astimezone(zone).date()
    last_day = min(when.last_day, today)
    if last_day < when.first_day:
        return {}
    days_qs = _days(workspace, channels, only, when.first_day, last_day).filter(
        channel_id__in=list(followers))
    gained: dict[int, dict[date, int]] = defaultdict(dict)
    parts: dict[int, set[str]] = defaultdict(set)
    for channel_id, day, formula, total in days_qs.order_by().values_list(
            "channel_id", "day", "parts").annotate(total=Sum("engagements")):
        gained[channel_id][day] = gained[channel_id].get(day, 0) + int(total or 0)
        parts[channel_id].update(_parts(formula))
    readings = ChannelSnapshot.objects.filter(
        channel_id__in=list(followers), followers__isnull=False, taken_at__gte=when.start,
        taken_at__lt=when.end).order_by("taken_at", "pk").values_list(
        "channel_id", "taken_at", "followers")
    per_day: dict[int, dict[date, int]] = defaultdict(dict)
    for channel_id, taken_at, count in readings:
        per_day[channel_id][taken_at.astimezone(zone).date()] = int(count)
    out: dict[int, list[maths.Rate]] = {}
    for channel_id, info in followers.items():
        known = parts[channel_id] | post_parts.get(channel_id, set())
        if not known:
            continue  # no engagement figures from this channel at all
        ordered = tuple(p for p in maths.ENGAGEMENT_PARTS if p in known)
        current = info.before
        rates = []
        day = when.first_day
        while day <= last_day:
            current = per_day[channel_id].get(day, current)
            rates.append(maths.daily_rate(gained[channel_id].get(day, 0), current, ordered))
            day += timedelta(days=1)
        out[channel_id] = rates
    return out


def _hashtags(qs: QuerySet[TrackedPost]) -> list[dict[str, Any]]:
    """Per hashtag (case-folded) of the posts: how many, their engagements, their rates.
    Grouped in SQL by the posts' set of hashtags and formula, then split per tag."""
    rate = _rate_sql("followers_at_publish")
    posts: dict[str, int] = defaultdict(int)
    engagements: dict[str, int] = defaultdict(int)
    pieces: dict[str, list[maths.FormulaAverage]] = defaultdict(list)
    rated: dict[str, int] = defaultdict(int)

    def add(names: Iterable[str], count: int, eng: int, formula: str, avg: float | None,
            with_rate: int) -> None:
        for tag in names:
            posts[tag] += count
            engagements[tag] += eng
            if with_rate:
                rated[tag] += with_rate
                pieces[tag].append(maths.FormulaAverage(
                    _formula(formula), float(avg or 0), with_rate))

    for row in qs.order_by().filter(hashtags__isnull=False).exclude(hashtags="") \
            .values("hashtags", "engagement_parts").annotate(
                n=Count("pk"), eng=Sum("engagements"), avg=Avg(rate), rated=Count(rate)):
        add(row["hashtags"].split(), row["n"], int(row["eng"] or 0), row["engagement_parts"],
            row["avg"], row["rated"])
    # Posts whose hashtags were not worked out yet: from their text.
    for post_text, own_text, target_id, eng, value, formula in qs.order_by().filter(
            hashtags__isnull=True).annotate(rate=rate).values_list(
            "target__post__text", "text", "target_id", "engagements", "rate",
            "engagement_parts"):
        text = (post_text if target_id else own_text) or ""
        add({span.value.casefold() for span in find_hashtags(text)}, 1, int(eng or 0), formula,
            value, 1 if value is not None else 0)
    ordered = sorted(posts, key=lambda tag: (-posts[tag], tag))[:HASHTAGS_SHOWN]
    return [{"hashtag": tag, "posts": posts[tag], "engagements": engagements[tag],
             "engagement_rate_by_followers": _average_json(
                 maths.combine(pieces[tag], posts[tag] - rated[tag]))}
            for tag in ordered]


def headline(workspace: Workspace, when: Period, channels: Sequence[Channel] | None = None,
             only: PostFilter | None = None) -> dict[str, Any]:
    """The few figures benchmarks compare (posts, posts a week, follower growth, the overall
    engagement rate by followers), the same as summary gives, in two queries: no ranking,
    breakdowns, hashtags or daily rates."""
    qs = _tracked(workspace, when, channels, only)
    ids = _channel_ids(workspace, channels)
    followers = _channel_followers(ids, when.start, min(when.end, timezone.now()))
    networks = {pk: f.network for pk, f in followers.items()}
    every = _Group()
    for group in _group_stats(qs, None, networks).values():
        every = group
    both = [c for c, info in followers.items() if info.start is not None
            and info.end is not None]
    growth = maths.follower_growth(
        sum(followers[c].start or 0 for c in both) if both else None,
        sum(followers[c].end or 0 for c in both) if both else None,
    )
    return {"posts": every.posts, "posts_per_week": round(every.posts / when.days * 7, 2),
            "follower_growth": growth.absolute,
            "engagement_rate_by_followers": _rounded(every.average("by_followers").value)}


def summary(workspace: Workspace, when: Period, channels: Sequence[Channel] | None = None,
            only: PostFilter | None = None,
            rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The period's figures, aggregated in SQL (a fixed number of queries whatever the number
    of posts). `rows` is accepted for callers that have post_rows already; the figures do not
    need them."""
    del rows
    qs = _tracked(workspace, when, channels, only)
    ids = _channel_ids(workspace, channels)
    until = min(when.end, timezone.now())
    followers = _channel_followers(ids, when.start, until)
    networks = {pk: f.network for pk, f in followers.items()}
    names = {pk: f.name for pk, f in followers.items()}

    per_channel = _group_stats(qs, "channel_id", networks)
    every = _Group()
    per_network: dict[str, _Group] = defaultdict(_Group)
    for channel_id, group in per_channel.items():
        for target in (every, per_network[networks.get(channel_id, "")]):
            target.posts += group.posts
            target.engagements += group.engagements
            for key, pieces in group.pieces.items():
                target.pieces.setdefault(key, []).extend(pieces)
    averages = {key: every.average(key) for key in RATE_BASES}
    post_parts = {channel_id: group.parts for channel_id, group in per_channel.items()}
    daily = _daily_rates(workspace, when, channels, only, followers, post_parts)
    averages["daily"] = maths.average_rate(
        [r for rates in daily.values() for r in rates], over="channel-days")
    averages["daily"] = _with_networks(averages["daily"], daily, networks)

    # Follower growth: per channel, and summed over the channels read at both ends.
    growth_by_channel = []
    both = []
    for channel_id in sorted(followers, key=lambda pk: names[pk]):
        info = followers[channel_id]
        growth = maths.follower_growth(info.start, info.end)
        if info.start is not None and info.end is not None:
            both.append(channel_id)
        growth_by_channel.append({"channel": info.name, "network": info.network,
                                  **_growth_json(growth)})
    growth = maths.follower_growth(
        sum(followers[c].start or 0 for c in both) if both else None,
        sum(followers[c].end or 0 for c in both) if both else None,
    )

    campaign_names = dict(Campaign.objects.filter(workspace=workspace)
                          .values_list("pk", "name"))
    label_names = dict(Label.objects.filter(workspace=workspace).values_list("pk", "name"))
    per_campaign = _group_stats(qs, "target__post__campaign_id", networks) \
        if campaign_names else {}
    per_label = _group_stats(qs, "target__post__labels", networks) if label_names else {}
    # Best and worst posts: per channel in SQL (enough of them to give the overall and the
    # per-network lists too), per campaign and label only when the workspace has any.
    per_channel_ranked = _ranked(qs, "channel_id", max(TOP_POSTS, GROUP_TOP))
    best: dict[str, dict[Any, list[int]]] = defaultdict(dict)
    worst: dict[str, dict[Any, list[int]]] = defaultdict(dict)

    def keep(kind: str, key: Any, ranked: tuple[list[_Candidate], list[_Candidate]],
             count: int) -> None:
        best[kind][key] = [c.pk for c in ranked[0][:count]]
        worst[kind][key] = [c.pk for c in ranked[1][:count]]

    for channel_id, ranked in per_channel_ranked.items():
        keep("channel", channel_id, ranked, GROUP_TOP)
    keep("overall", None, _merged(list(per_channel_ranked.values()), TOP_POSTS), TOP_POSTS)
    for network in {networks.get(c, "") for c in per_channel_ranked}:
        keep("network", network, _merged([r for c, r in per_channel_ranked.items()
                                          if networks.get(c, "") == network], GROUP_TOP),
             GROUP_TOP)
    for kind, path, names_known in (("campaign", "target__post__campaign_id", campaign_names),
                                    ("label", "target__post__labels", label_names)):
        if names_known:
            for key, ranked in _ranked(qs, path, GROUP_TOP).items():
                keep(kind, key, ranked, GROUP_TOP)
    wanted = {pk for ranked in (*best.values(), *worst.values())
              for pks in ranked.values() for pk in pks}
    by_pk = {r["_pk"]: public_row(r)
             for r in post_rows(workspace, when, channels, only, ids=sorted(wanted))} \
        if wanted else {}

    def posts_of(ranked: dict[Any, list[int]], group: Any) -> list[dict[str, Any]]:
        return [by_pk[pk] for pk in ranked.get(group, []) if pk in by_pk]

    def breakdown(kind: str, groups: dict[Any, _Group], label: str,
                  name_of: dict[Any, str]) -> list[dict[str, Any]]:
        out = []
        for key, group in groups.items():
            if key is None or key not in name_of:
                continue
            item = {label: name_of[key], "posts": group.posts,
                    "posts_per_week": round(group.posts / when.days * 7, 2),
                    "engagements": group.engagements,
                    "engagement_rate_by_followers": _average_json(group.average("by_followers")),
                    "top_posts": posts_of(best[kind], key),
                    "bottom_posts": posts_of(worst[kind], key)}
            if kind == "channel":
                item["network"] = networks.get(key, "")
                item["engagement_rate_daily"] = _average_json(maths.average_rate(
                    daily.get(key, []), over="days"))
            if kind in ("campaign", "label"):
                item[f"{label}_id"] = key
            out.append(item)
        return sorted(out, key=lambda g: str(g[label]).casefold())

    posts = every.posts
    ranked_formulas = {by_pk[pk]["engagement_rate_formula"]["by_followers"]
                       for pk in best["overall"].get(None, []) if pk in by_pk}
    return {
        "from": when.first_day,
        "until": when.last_day,
        "channels": sorted(names[c] for c in ids if c in names),
        "posts": posts,
        "posts_per_week": round(posts / when.days * 7, 2),
        "empty": not posts,
        "message": "No posts were published in this period." if not posts else "",
        "followers_start": growth.start,
        "followers_end": growth.end,
        "follower_growth": growth.absolute,
        "follower_growth_percent": _rounded(growth.percent),
        "follower_growth_reason": growth.reason,
        "follower_channels_missing": sorted(names[c] for c in ids
                                            if c in names and c not in both),
        "follower_growth_by_channel": growth_by_channel,
        "engagement_rate_by_followers": _rounded(averages["by_followers"].value),
        "engagement_rate_by_followers_formula": averages["by_followers"].formula,
        "engagement_rate": {key: _average_json(avg) for key, avg in averages.items()},
        "engagements": every.engagements,
        "engagements_formula": "sum over posts of likes+comments+shares+saves "
                               "(the parts each network gives)",
        "by_network": breakdown("network", per_network, "network",
                                {n: n for n in per_network}),
        "by_channel": breakdown("channel", per_channel, "channel", names),
        "by_campaign": breakdown("campaign", per_campaign, "campaign", campaign_names),
        "by_label": breakdown("label", per_label, "label", label_names),
        "hashtags": _hashtags(qs),
        "top_posts": posts_of(best["overall"], None),
        "bottom_posts": posts_of(worst["overall"], None),
        # Top and bottom posts are ranked by each one's own rate; when their formulas differ
        # the lists say so (each row carries its formula).
        "top_posts_mixed_formulas": len(ranked_formulas) > 1,
    }


def _with_networks(avg: maths.AverageRate, daily: dict[int, list[maths.Rate]],
                   networks: dict[int, str]) -> maths.AverageRate:
    """The daily average's per-formula parts, with the networks behind each."""
    behind: dict[str, set[str]] = defaultdict(set)
    for channel_id, rates in daily.items():
        for r in rates:
            if r.value is not None:
                behind[r.formula].add(networks.get(channel_id, ""))
    return replace(avg, by_formula=tuple(replace(f, networks=tuple(sorted(behind[f.formula])))
                                         for f in avg.by_formula))


def follower_series(workspace: Workspace, when: Period,
                    channels: Sequence[Channel] | None = None) -> dict[str, list[tuple[date, int]]]:
    """Per channel name: the last follower reading of each local day that has one."""
    zone = ZoneInfo(workspace.timezone or "UTC")
    ids = _channel_ids(workspace, channels)
    names = dict(Channel.objects.filter(pk__in=ids).values_list("pk", "name"))
    readings = ChannelSnapshot.objects.filter(
        channel_id__in=ids, followers__isnull=False, taken_at__gte=when.start,
        taken_at__lt=when.end).order_by("taken_at", "pk").values_list(
        "channel_id", "taken_at", "followers")
    days: dict[str, dict[date, int]] = defaultdict(dict)
    for channel_id, taken_at, followers in readings:
        days[names[channel_id]][taken_at.astimezone(zone).date()] = int(followers or 0)
    return {name: sorted(per_day.items()) for name, per_day in sorted(days.items())}


ENGAGEMENT_SERIES_FORMULA = ("new likes+comments+shares+saves per day (the parts each network "
                             "gives; a count that went down adds 0)")


def engagement_series(workspace: Workspace, when: Period,
                      channels: Sequence[Channel] | None = None,
                      only: PostFilter | None = None) -> list[tuple[date, int]]:
    """Engagements gained per local day of the period by the posts in scope (the channels'
    posts, or the campaign's / labels'), whenever they were published: each part's increase
    since the reading before (from 0 at publishing), never negative. Summed from the per-day
    rows the collector keeps with each reading."""
    gained = dict(_days(workspace, channels, only, when.first_day, when.last_day).order_by()
                  .values_list("day").annotate(total=Sum("engagements"))
                  .values_list("day", "total"))
    out = []
    current = when.first_day
    while current <= when.last_day:
        out.append((current, int(gained.get(current) or 0)))
        current += timedelta(days=1)
    return out


def heatmap(workspace: Workspace, when: Period,
            channels: Sequence[Channel] | None = None,
            rows: list[dict[str, Any]] | None = None,
            only: PostFilter | None = None) -> maths.Heatmap:
    zone = ZoneInfo(workspace.timezone or "UTC")
    if rows is not None:
        return maths.best_times((r["published_at"].astimezone(zone), r["_rates"]["by_followers"])
                                for r in rows)
    # Weekday and hour in the workspace's time zone (kept on the post with its first
    # reading), averaged in SQL; posts without them yet are placed in Python.
    rate = _rate_sql("followers_at_publish")
    scoped = _tracked(workspace, when, channels, only).order_by().annotate(rate=rate) \
        .filter(rate__isnull=False)
    cells = [(c["published_weekday"], c["published_hour"], _formula(c["engagement_parts"]),
              float(c["avg"]), c["n"])
             for c in scoped.filter(published_hour__isnull=False).values(
                 "published_weekday", "published_hour", "engagement_parts").annotate(
                 avg=Avg(rate), n=Count(rate))]
    for published_at, value, parts in scoped.filter(published_hour__isnull=True).values_list(
            "published_at", "rate", "engagement_parts"):
        local = published_at.astimezone(zone)
        cells.append((local.weekday(), local.hour, _formula(parts), float(value), 1))
    return maths.heatmap_of_cells(cells)


CSV_COLUMNS = (
    "post_id", "channel", "network", "remote_id", "url", "published_at", "followers",
    *POST_METRIC_FIELDS, "engagements", "engagements_formula", "engagements_missing",
    "engagement_rate_by_followers", "engagement_rate_by_followers_formula",
    "engagement_rate_by_reach", "engagement_rate_by_reach_formula",
    "engagement_rate_by_impressions", "engagement_rate_by_impressions_formula",
    "measured_at", "gone", "imported", "short_link_clicks",
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
    writer = csvsafe.writer(out)
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
