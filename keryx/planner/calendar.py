"""What the calendar shows: the days of a month or week in the viewer's time zone, and the
posts on them, filtered, read in a fixed number of queries however many posts there are.

Cards are plain dataclasses built here rather than model instances walked by the template: a
month of a busy workspace holds hundreds of posts, and the page must render in well under
150 ms (bench/calendar_month.py).
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import QueryDict

from keryx.channels.models import Channel
from keryx.core.models import Membership, Role, Workspace
from keryx.planner.models import Campaign, Label
from keryx.publishing import services as publishing
from keryx.publishing.models import Post, PostTarget, TargetState

# A month cell shows this many cards; the rest are one link away (the day in the list view).
DAY_LIMIT = 6
# The list view's window when no month is given.
LIST_DAYS = 31


@dataclass
class Filters:
    channels: list[int] = field(default_factory=list)
    campaigns: list[int] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    authors: list[int] = field(default_factory=list)

    @classmethod
    def from_query(cls, query: QueryDict) -> Filters:
        def ints(name: str) -> list[int]:
            return [int(v) for v in query.getlist(name) if v.isdigit()][:50]

        return cls(
            channels=ints("channel"),
            campaigns=ints("campaign"),
            labels=ints("label"),
            statuses=[s for s in query.getlist("status") if s in TargetState.values][:10],
            authors=ints("author"),
        )

    @property
    def active(self) -> bool:
        return any((self.channels, self.campaigns, self.labels, self.statuses, self.authors))

    def query_string(self) -> str:
        """These filters as a query string (for links that keep them)."""
        parts = [f"channel={v}" for v in self.channels]
        parts += [f"campaign={v}" for v in self.campaigns]
        parts += [f"label={v}" for v in self.labels]
        parts += [f"status={v}" for v in self.statuses]
        parts += [f"author={v}" for v in self.authors]
        return "&".join(parts)

    def apply(self, posts: QuerySet[Post]) -> QuerySet[Post]:
        # Conditions on targets go in one filter() so "channel X in state Y" means one target.
        target_q = Q()
        if self.channels:
            target_q &= Q(targets__channel_id__in=self.channels)
        if self.statuses:
            target_q &= Q(targets__state__in=self.statuses)
        if target_q:
            posts = posts.filter(target_q)
        if self.campaigns:
            posts = posts.filter(campaign_id__in=self.campaigns)
        if self.labels:
            posts = posts.filter(labels__id__in=self.labels)
        if self.authors:
            posts = posts.filter(author_id__in=self.authors)
        if target_q or self.labels:
            posts = posts.distinct()
        return posts


@dataclass
class Dot:
    channel: str
    state: str
    state_label: str


@dataclass
class Card:
    pk: int
    when: datetime  # in the viewer's zone
    day: date
    time: str
    zone_title: str  # the time in the workspace's zone, for the title attribute
    excerpt: str
    state: str
    dots: list[Dot]
    campaign: str
    campaign_colour: str
    labels: list[tuple[str, str]]
    kind: str
    movable: bool


@dataclass
class Day:
    day: date
    in_month: bool
    is_today: bool
    cards: list[Card] = field(default_factory=list)

    @property
    def shown(self) -> list[Card]:
        return self.cards[:DAY_LIMIT]

    @property
    def more(self) -> int:
        return max(0, len(self.cards) - DAY_LIMIT)


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def day_start(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    """Midnight of `day` on the viewer's clock, as a UTC instant (fold=0: a day starts once)."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def month_days(year: int, month: int) -> list[date]:
    """Whole weeks, Monday first, covering the month."""
    first = date(year, month, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def week_days(day: date) -> list[date]:
    start = day - timedelta(days=day.weekday())
    return [start + timedelta(days=i) for i in range(7)]


def may_move(membership: Membership, post: Post) -> bool:
    """Editors move any post; contributors their own; viewers none (as publishing.views)."""
    if membership.allows(Role.EDITOR):
        return True
    return membership.allows(Role.CONTRIBUTOR) and post.author_id == membership.user_id


def posts_between(
    workspace: Workspace, start: datetime, end: datetime, filters: Filters
) -> QuerySet[Post]:
    posts = Post.objects.filter(
        workspace=workspace, scheduled_at__gte=start, scheduled_at__lt=end
    )
    return (
        filters.apply(posts)
        .select_related("campaign")
        .prefetch_related(
            Prefetch(
                "targets",
                queryset=PostTarget.objects.only(
                    "id", "post_id", "channel_id", "state", "error_code"
                ).order_by("channel_id"),
            ),
            Prefetch("labels", queryset=Label.objects.only("id", "name", "colour")),
        )
        .only(
            "id", "workspace_id", "author_id", "text", "scheduled_at", "kind",
            "campaign__id", "campaign__name", "campaign__colour",
        )
        .order_by("scheduled_at", "pk")
    )


def build_cards(
    posts: QuerySet[Post] | list[Post],
    *,
    membership: Membership,
    channels: dict[int, Channel],
    viewer_tz: zoneinfo.ZoneInfo,
) -> list[Card]:
    workspace_tz = zone(membership.workspace.timezone)
    ws_name = membership.workspace.timezone
    state_labels = dict(TargetState.choices)
    cards = []
    for post in posts:
        targets = list(post.targets.all())
        local = post.scheduled_at.astimezone(viewer_tz)
        there = post.scheduled_at.astimezone(workspace_tz)
        movable = may_move(membership, post) and any(
            t.state in publishing.RESCHEDULABLE
            and not (t.state == TargetState.FAILED and t.error_code == "outcome_unknown")
            for t in targets
        )
        campaign = post.campaign
        cards.append(
            Card(
                pk=post.pk,
                when=local,
                day=local.date(),
                time=local.strftime("%H:%M"),
                zone_title=f"{there:%Y-%m-%d %H:%M} {ws_name}",
                excerpt=(post.text[:80] + "…") if len(post.text) > 80 else post.text,
                state=publishing.post_state(post),
                dots=[
                    Dot(
                        channels[t.channel_id].name if t.channel_id in channels else "?",
                        t.state,
                        str(state_labels.get(t.state, t.state)),
                    )
                    for t in targets
                ],
                campaign=campaign.name if campaign else "",
                campaign_colour=campaign.colour if campaign else "",
                labels=[(label.name, label.colour) for label in post.labels.all()],
                kind=post.kind,
                movable=movable,
            )
        )
    return cards


def group_by_day(days: list[date], cards: list[Card], *, month: int | None,
                 today: date) -> list[Day]:
    by_day: dict[date, list[Card]] = defaultdict(list)
    for card in cards:
        by_day[card.day].append(card)
    return [
        Day(day=d, in_month=month is None or d.month == month, is_today=d == today,
            cards=by_day.get(d, []))
        for d in days
    ]


def choices(workspace: Workspace) -> dict[str, Any]:
    """What the filter bar offers (four small queries, independent of the number of posts)."""
    return {
        "channels": list(Channel.objects.filter(workspace=workspace).only("id", "name")),
        "campaigns": list(Campaign.objects.filter(workspace=workspace).only("id", "name",
                                                                            "colour")),
        "labels": list(Label.objects.filter(workspace=workspace).only("id", "name", "colour")),
        "authors": list(
            Membership.objects.filter(workspace=workspace).select_related("user")
            .order_by("user__email")
        ),
        "statuses": TargetState.choices,
    }
