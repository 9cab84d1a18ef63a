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
from typing import Any, NamedTuple

from django.db.models import Q, QuerySet
from django.db.models.functions import Substr
from django.http import QueryDict
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from keryx.channels.models import Channel
from keryx.core.models import Membership, Workspace
from keryx.core.permissions import Action, can
from keryx.planner.models import Campaign, Label
from keryx.publishing import services as publishing
from keryx.publishing.models import Post, PostKind, PostTarget, TargetState

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
            return [int(v) for v in query.getlist(name) if v.isdecimal()][:50]

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
    total: int = 0  # posts on this day, shown or not

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.cards))


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


class _Author(NamedTuple):
    author_id: int | None


class _Target(NamedTuple):
    channel_id: int
    state: str
    error_code: str


class _Targets:
    """Quacks like a post for publishing.services.post_state (which reads post.targets.all()),
    so the calendar summarises states the same way as every other page."""

    def __init__(self, rows: list[_Target]) -> None:
        self.rows = rows
        self.targets = self

    def all(self) -> list[_Target]:
        return self.rows


def _movable_state(t: _Target) -> bool:
    return t.state in publishing.RESCHEDULABLE and not (
        t.state == TargetState.FAILED and t.error_code == "outcome_unknown"
    )


# Past this many ids, related rows are selected by a subquery rather than an IN list.
MAX_IDS = 900


def cards_between(
    membership: Membership,
    start: datetime,
    end: datetime,
    filters: Filters,
    *,
    viewer_tz: zoneinfo.ZoneInfo,
    options: dict[str, Any],
    per_day: int | None = None,
) -> tuple[list[Card], dict[date, int]]:
    """The cards of the posts scheduled in [start, end), and how many posts each day holds.

    With `per_day`, only the first that many posts of each day become cards (a month cell
    shows a few and links to the rest). Four queries whatever the number of posts: rows are
    read as tuples, not model instances, because a busy month holds thousands."""
    workspace = membership.workspace
    posts = filters.apply(
        Post.objects.filter(workspace=workspace, scheduled_at__gte=start, scheduled_at__lt=end)
    ).order_by("scheduled_at", "pk")
    rows = list(
        posts.annotate(excerpt=Substr("text", 1, 81)).values_list(
            "id", "author_id", "scheduled_at", "kind", "campaign_id", "excerpt"
        )
    )
    counts: dict[date, int] = defaultdict(int)
    kept = []
    for row in rows:
        day = row[2].astimezone(viewer_tz).date()
        counts[day] += 1
        if per_day is None or counts[day] <= per_day:
            kept.append(row)
    ids = [row[0] for row in kept]
    related: Any = ids if len(ids) <= MAX_IDS else posts.values("id")
    targets: dict[int, list[_Target]] = defaultdict(list)
    for post_id, channel_id, state, error_code in (
        PostTarget.objects.filter(post_id__in=related).order_by("channel_id")
        .values_list("post_id", "channel_id", "state", "error_code")
    ):
        targets[post_id].append(_Target(channel_id, state, error_code))
    labels_of: dict[int, list[int]] = defaultdict(list)
    for post_id, label_id in Post.labels.through.objects.filter(post_id__in=related).values_list(
        "post_id", "label_id"
    ):
        labels_of[post_id].append(label_id)

    channels = {c.pk: c.name for c in options["channels"]}
    campaigns = {c.pk: c for c in options["campaigns"]}
    labels = {label.pk: label for label in options["labels"]}
    workspace_tz = zone(workspace.timezone)
    state_labels = {k: str(v) for k, v in TargetState.choices}
    # Cards are tuples, not posts: the own-posts rule is asked with a stand-in holding the author.
    movable_by = {author_id: can(membership, Action.RESCHEDULE_POST, _Author(author_id))
                  for author_id in {row[1] for row in kept}}
    cards = []
    for pk, author_id, scheduled_at, kind, campaign_id, excerpt in kept:
        mine = targets.get(pk, [])
        local = scheduled_at.astimezone(viewer_tz)
        campaign = campaigns.get(campaign_id)
        cards.append(
            Card(
                pk=pk,
                when=local,
                day=local.date(),
                time=f"{local:%H:%M}",
                zone_title=f"{scheduled_at.astimezone(workspace_tz):%Y-%m-%d %H:%M} "
                f"{workspace.timezone}",
                excerpt=(excerpt[:80] + "…") if len(excerpt) > 80 else excerpt,
                state=publishing.post_state(_Targets(mine)),  # type: ignore[arg-type]
                dots=[
                    Dot(channels.get(t.channel_id, "?"), t.state,
                        state_labels.get(t.state, t.state))
                    for t in mine
                ],
                campaign=campaign.name if campaign else "",
                campaign_colour=campaign.colour if campaign else "",
                labels=[(labels[i].name, labels[i].colour) for i in labels_of.get(pk, [])
                        if i in labels],
                kind=kind,
                movable=movable_by[author_id] and any(_movable_state(t) for t in mine),
            )
        )
    return cards, counts


def card_html(card: Card, posts_base: str, calendar_base: str) -> SafeString:
    """One card's markup. Built here rather than with {% include %} per card: a month renders
    hundreds of them, and this is about twenty times faster."""
    attrs = [f'class="cal-card state-{escape(card.state)}'
             + (' has-campaign"' if card.campaign_colour else '"'),
             f'href="{escape(posts_base)}{card.pk}/"', f'data-post="{card.pk}"',
             f'title="{escape(card.zone_title)}"']
    if card.movable:
        attrs.append(f'draggable="true" data-move="{escape(calendar_base)}posts/{card.pk}/move/"')
    if card.campaign_colour:
        attrs.append(f'style="--campaign:{escape(card.campaign_colour)}"')
    dots = "".join(
        f'<span class="dot state-{escape(d.state)}" title="{escape(d.channel)}: '
        f'{escape(d.state_label)}"></span><span class="sr-only">{escape(d.channel)}: '
        f"{escape(d.state_label)}.</span>"
        for d in card.dots
    )
    extra = f'<span class="sr-only"> · {escape(card.campaign)}</span>' if card.campaign else ""
    extra += "".join(
        f'<span class="cal-label" style="--label:{escape(colour)}">{escape(name)}</span>'
        for name, colour in card.labels
    )
    if card.kind == PostKind.PAID:
        extra += f'<span class="cal-paid">{escape(_("Paid"))}</span>'
    return mark_safe(  # noqa: S308 - every interpolated value above is escaped
        f'<a {" ".join(attrs)}><time datetime="{card.when.isoformat()}" class="cal-time">'
        f'{card.time}</time> <span class="cal-dots">{dots}</span> '
        f'<span class="cal-text">{escape(card.excerpt) or "…"}</span>{extra}</a>'
    )


def group_by_day(days: list[date], cards: list[Card], counts: dict[date, int], *,
                 month: int | None, today: date) -> list[Day]:
    by_day: dict[date, list[Card]] = defaultdict(list)
    for card in cards:
        by_day[card.day].append(card)
    return [
        Day(day=d, in_month=month is None or d.month == month, is_today=d == today,
            cards=by_day.get(d, []), total=counts.get(d, 0))
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
