"""Goals' progress: the metric's value now, a reading a day, the status and the projection.

Metrics (every one from what analytics and the inbox stored; None = nothing to measure):
- followers: the channel's last follower reading by the end of the day (the workspace: the sum
  over its channels that have one). Not for a campaign (followers belong to a channel).
- engagement_rate: the average engagement rate by followers of the posts published in the 28
  days up to the day (keryx.analytics.services.headline: engagements ÷ followers at publish
  time × 100, averaged over posts).
- posts_per_week: posts published in those 28 days ÷ 28 × 7.
- link_clicks: the clicks the network reports on posts published in those 28 days.
- response_time: the median time to our first sent reply (hours) of the inbox items that arrived
  in those 28 days (keryx.inbox.responsetimes; automatic replies left out).

Status: reached once the value is at or above the target (at or below it for the response
time, where lower is better); missed when the deadline passed first;
otherwise on track when the projection reaches the target by the deadline, behind when not.

Projection: an ordinary least-squares line through the goal's daily readings of the last
PROJECTION_DAYS days (value against day); it needs readings on two days at least. The date
it would be reached is where the line crosses the target (none if the line heads away).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keryx.analytics import services as analytics
from keryx.analytics.models import ChannelSnapshot, TrackedPost
from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.networks.registry import get_provider_class
from keryx.planner.models import Campaign
from keryx.strategy.models import Goal, GoalReading, GoalRun, Metric, Status

logger = logging.getLogger(__name__)

WINDOW_DAYS = 28
PROJECTION_DAYS = 28
PROJECTION_METHOD = ("least-squares line through the daily readings of the last 28 days "
                     "(two days at least); reached where the line crosses the target")
# The method said to readers, in their language (the JSON keeps PROJECTION_METHOD as it is).
PROJECTION_METHOD_TEXT = gettext_lazy(
    "least-squares line through the daily readings of the last 28 days (two days at least); "
    "reached where the line crosses the target")
# Lower is better for these metrics (whatever the start value).
LOWER_IS_BETTER = frozenset({Metric.RESPONSE_TIME})


class GoalError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _spec(channel: Channel) -> Any:
    try:
        return get_provider_class(channel.network).capabilities
    except Exception:  # noqa: BLE001 - an unknown network declares nothing
        return None


def refusal(metric: str, channel: Channel | None, campaign: Campaign | None,
            workspace: Workspace) -> str | None:
    """Why a goal on `metric` cannot be measured for that channel / campaign, or None."""
    if metric not in Metric.values:
        return _("Unknown metric %(m)s; choose one of %(all)s.") % {
            "m": metric, "all": ", ".join(Metric.values)}
    if channel is not None and campaign is not None:
        return _("A goal is for a channel or a campaign, not both.")
    if campaign is not None and metric in (Metric.FOLLOWERS, Metric.RESPONSE_TIME):
        return _("%(metric)s belongs to a channel, not to a campaign: set the goal on a "
                 "channel or the workspace.") % {"metric": Metric(metric).label}
    if metric == Metric.POSTS_PER_WEEK:
        return None
    channels = [channel] if channel is not None else list(
        Channel.objects.filter(workspace=workspace))
    if not channels:
        return _("The workspace has no channels to measure %(metric)s on.") % {
            "metric": Metric(metric).label}
    reasons = []
    for c in channels:
        caps = _spec(c)
        spec = getattr(caps, "metrics_spec", None)
        if metric == Metric.RESPONSE_TIME:
            if caps is not None and caps.inbox:
                return None
            reasons.append(_("%(network)s channels have no inbox in Keryx") % {
                "network": c.network})
            continue
        if spec is None:
            reasons.append(_("%(network)s gives Keryx no figures") % {"network": c.network})
            continue
        if metric == Metric.FOLLOWERS and "followers" not in spec.channel:
            reasons.append(_("%(network)s does not report the follower count")
                           % {"network": c.network})
        elif metric == Metric.ENGAGEMENT_RATE and ("followers" not in spec.channel or not (
                spec.post & {"likes", "comments", "shares", "saves"})):
            reasons.append(_("%(network)s does not report followers and engagements")
                           % {"network": c.network})
        elif metric == Metric.LINK_CLICKS and "clicks" not in spec.post:
            reasons.append(_("%(network)s does not report link clicks") % {"network": c.network})
        else:
            return None
    return _("This goal cannot be measured: %(why)s.") % {"why": "; ".join(sorted(set(reasons)))}


def _zone(workspace: Workspace) -> ZoneInfo:
    return ZoneInfo(workspace.timezone or "UTC")


def today_of(workspace: Workspace) -> date:
    return timezone.now().astimezone(_zone(workspace)).date()


def measure(workspace: Workspace, metric: str, channel: Channel | None,
            campaign: Campaign | None, day: date) -> float | None:
    """The metric's value on the local day `day` (see the module's docstring)."""
    zone = _zone(workspace)
    end = min(datetime.combine(day + timedelta(days=1), time.min, zone), timezone.now())
    channels = [channel] if channel is not None else None
    if metric == Metric.FOLLOWERS:
        ids = [channel.pk] if channel is not None else list(
            Channel.objects.filter(workspace=workspace).values_list("pk", flat=True))
        total, found = 0, False
        for pk in ids:
            value = (ChannelSnapshot.objects.filter(channel_id=pk, workspace=workspace,
                                                    taken_at__lt=end, followers__isnull=False)
                     .order_by("-taken_at", "-pk").values_list("followers", flat=True).first())
            if value is not None:
                total, found = total + value, True
        return float(total) if found else None
    when = analytics.period(workspace, day - timedelta(days=WINDOW_DAYS - 1), day)
    only = analytics.PostFilter(campaign=campaign.pk) if campaign is not None else None
    if metric in (Metric.ENGAGEMENT_RATE, Metric.POSTS_PER_WEEK):
        head = analytics.headline(workspace, when, channels, only)
        value = head["engagement_rate_by_followers"] if metric == Metric.ENGAGEMENT_RATE \
            else round(head["posts"] / WINDOW_DAYS * 7, 2)
        return None if value is None else float(value)
    if metric == Metric.LINK_CLICKS:
        qs = TrackedPost.objects.filter(workspace=workspace, published_at__gte=when.start,
                                        published_at__lt=when.end, clicks__isnull=False)
        if channel is not None:
            qs = qs.filter(channel=channel)
        if campaign is not None:
            qs = qs.filter(target__post__campaign=campaign)
        if not qs.exists():
            return None
        return float(qs.aggregate(n=Sum("clicks"))["n"] or 0)
    if metric == Metric.RESPONSE_TIME:
        from keryx.inbox.responsetimes import figures

        found = figures(workspace.pk, when.start, when.end,
                        channel_ids=[channel.pk] if channel is not None else None)
        median = found["reply_time"]["median_seconds"]
        return None if median is None else round(median / 3600, 2)
    raise GoalError(_("Unknown metric %(m)s.") % {"m": metric}, "metric")


def create_goal(workspace: Workspace, *, name: str, metric: str, target: float,
                deadline: date, channel: Channel | None = None,
                campaign: Campaign | None = None, user: Any = None) -> Goal:
    """A new goal, its start value measured now. GoalError says what is wrong."""
    if channel is not None and channel.workspace_id != workspace.pk:
        raise GoalError(_("No such channel in this workspace."), "channel")
    if campaign is not None and campaign.workspace_id != workspace.pk:
        raise GoalError(_("No such campaign in this workspace."), "campaign")
    if not (name or "").strip():
        raise GoalError(_("Give the goal a name."), "name")
    why = refusal(metric, channel, campaign, workspace)
    if why:
        raise GoalError(why, "metric")
    if target is None or target != target or target < 0 or target > 1e12:
        raise GoalError(_("The target must be a number of 0 or more."), "target")
    today = today_of(workspace)
    if deadline <= today:
        raise GoalError(_("The deadline must be after today (%(today)s).")
                        % {"today": today.isoformat()}, "deadline")
    start = measure(workspace, metric, channel, campaign, today)
    with transaction.atomic():
        goal = Goal.objects.create(workspace=workspace, name=name.strip()[:200], metric=metric,
                                   channel=channel, campaign=campaign, target=float(target),
                                   deadline=deadline, start_date=today, start_value=start,
                                   created_by=user if getattr(user, "pk", None) else None)
        if start is not None:
            GoalReading.objects.create(goal=goal, day=today, value=start)
    return progress(goal)


def lower_is_better(goal: Goal) -> bool:
    return goal.metric in LOWER_IS_BETTER


def _reached(goal: Goal, value: float) -> bool:
    return value <= goal.target if lower_is_better(goal) else value >= goal.target


@dataclass(frozen=True)
class Projection:
    slope_per_day: float | None
    value_at_deadline: float | None
    reached_on: date | None
    readings: int


def project(points: list[tuple[date, float]], target: float, deadline: date,
            lower: bool) -> Projection:
    """Least-squares line through (day, value); where it is at the deadline and the first day
    (from the last reading on) it is at the target."""
    days = sorted({d for d, _v in points})
    if len(days) < 2:
        return Projection(None, None, None, len(points))
    origin = days[0]
    xs = [(d - origin).days for d, _v in points]
    ys = [v for _d, v in points]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = my - slope * mx
    at_deadline = intercept + slope * (deadline - origin).days
    reached_on = None
    last_x = (days[-1] - origin).days
    last_value = intercept + slope * last_x
    if (last_value <= target) if lower else (last_value >= target):
        reached_on = days[-1]
    elif slope != 0 and ((slope < 0) if lower else (slope > 0)):
        x = (target - intercept) / slope
        reached_on = origin + timedelta(days=max(last_x, int(-(-x // 1))))
    return Projection(round(slope, 6), round(at_deadline, 4), reached_on, n)


def progress(goal: Goal, *, record: bool = True) -> Goal:
    """Measure the goal today, keep the day's reading, set status and projection."""
    workspace = goal.workspace
    today = today_of(workspace)
    day = min(today, goal.deadline)
    value = measure(workspace, goal.metric, goal.channel, goal.campaign, day)
    if value is not None and record:
        GoalReading.objects.update_or_create(goal=goal, day=day, defaults={"value": value})
    since = day - timedelta(days=PROJECTION_DAYS - 1)
    points = list(goal.readings.filter(day__gte=since, day__lte=day).values_list("day", "value"))
    if value is not None and not record:
        points = [p for p in points if p[0] != day] + [(day, value)]
    lower = lower_is_better(goal)
    proj = project(points, goal.target, goal.deadline, lower)
    ever_reached = value is not None and _reached(goal, value)
    if ever_reached:
        status = Status.REACHED
    elif today > goal.deadline:
        status = Status.MISSED
    elif proj.value_at_deadline is None or value is None:
        status = Status.UNKNOWN
    elif (proj.value_at_deadline <= goal.target) if lower else \
            (proj.value_at_deadline >= goal.target):
        status = Status.ON_TRACK
    else:
        status = Status.BEHIND
    goal.current_value = value
    goal.status = status
    goal.projected_value = proj.value_at_deadline
    goal.projected_date = proj.reached_on if status != Status.MISSED else None
    goal.computed_at = timezone.now()
    if record:
        goal.save(update_fields=["current_value", "status", "projected_value", "projected_date",
                                 "computed_at"])
    return goal


def goal_json(goal: Goal) -> dict[str, Any]:
    return {
        "id": goal.pk, "name": goal.name, "metric": goal.metric,
        "metric_label": str(Metric(goal.metric).label),
        "channel": goal.channel.name if goal.channel_id else None,
        "channel_id": goal.channel_id,
        "campaign": goal.campaign.name if goal.campaign_id else None,
        "campaign_id": goal.campaign_id,
        "target": goal.target, "deadline": goal.deadline,
        "start_date": goal.start_date, "start_value": goal.start_value,
        "current": goal.current_value, "status": goal.status,
        "status_label": str(Status(goal.status).label),
        "lower_is_better": lower_is_better(goal),
        "projected_value_at_deadline": goal.projected_value,
        "projected_reached_on": goal.projected_date,
        "projection_method": PROJECTION_METHOD,
        "computed_at": goal.computed_at,
    }


def goals_of(workspace: Workspace) -> list[Goal]:
    return list(Goal.objects.filter(workspace=workspace).select_related("channel", "campaign"))


def progress_due() -> int:
    """The daily job (keryx.queues.periodic): once per UTC day across processes (the GoalRun
    row of the day is the claim), every goal whose deadline is not more than a day past."""
    day = timezone.now().date()
    if GoalRun.objects.filter(day=day).exists():
        return 0
    try:
        with transaction.atomic():
            GoalRun.objects.create(day=day)
    except IntegrityError:
        return 0
    done = 0
    for goal in Goal.objects.filter(deadline__gte=day - timedelta(days=1)).select_related(
            "workspace", "channel", "campaign"):
        try:
            progress(goal)
            done += 1
        except Exception:
            logger.exception("goal %s: progress failed", goal.pk)
    return done
