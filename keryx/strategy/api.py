"""The strategy in the API (/api/v1/strategy): the strategy measured (GET), created from the
template (POST), changed (PUT); goals (GET/POST /goals, GET/DELETE /goals/{goal_id}, POST
/goals/{goal_id}/progress); the year-on-year results (GET /results). Thin: scope by the
caller's workspace, check the permission, call keryx.strategy.plan, .goals and .results.

Error codes: workspace_required (400), forbidden (403), not_found (404), no_strategy (404),
strategy_refused (422), goal_refused (422, with the reason: a metric the network does not
report, a past deadline), unknown_channel / unknown_campaign (422), bad_period (422)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from keryx.analytics import services as analytics
from keryx.api_errors import ApiError
from keryx.channels.models import Channel
from keryx.core import permissions
from keryx.core.access import membership_for, memberships_of
from keryx.core.models import Membership
from keryx.core.permissions import Action
from keryx.planner.models import Campaign
from keryx.strategy import goals, plan, results
from keryx.strategy.models import Goal, Metric

router = Router(tags=["strategy"])


def _membership(request: HttpRequest, ref: int | str | None, action: Action) -> Membership:
    if ref is None or ref == "":
        mine = memberships_of(request.auth)
        if len(mine) != 1:
            raise ApiError(400, "workspace_required", _(
                "You belong to several workspaces; say which one with 'workspace'."))
        membership = mine[0]
    elif isinstance(ref, int) or str(ref).isdecimal():
        membership = membership_for(request.auth, int(ref))
    else:
        found = [m for m in memberships_of(request.auth) if m.workspace.slug == ref]
        if not found:
            raise Http404(_("No such workspace"))
        membership = found[0]
    try:
        permissions.require(membership, action)
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc)) from exc
    return membership


class ChannelPlanOut(Schema):
    channel_id: int
    channel: str
    network: str
    main: bool
    role: str
    planned_posts_per_week: float | None
    actual_posts_per_week: float
    rhythm_gap: float | None
    posts: int
    engagement_rate_by_followers: float | None
    engagement_rate_formula: str
    follower_growth: int | None
    follower_growth_percent: float | None
    best: bool


class PillarOut(Schema):
    label_id: int
    label: str
    target_share: float
    posts: int
    actual_share: float | None
    gap: float | None


class StrategyOut(Schema):
    id: int
    language: str
    title: str
    goal_summary: str
    audience: str
    audience_places: str
    notes: str
    from_: date = Field(alias="from")
    until: date
    posts: int
    channels: list[ChannelPlanOut]
    main_channels: int
    max_main_channels: int
    best_channel: str | None
    warnings: list[str]
    pillars: list[PillarOut]
    share_formula: str
    rhythm_formula: str
    engagement_rate_formula: str
    updated_at: datetime


class PeriodQuery(Schema):
    workspace: int | str | None = None
    from_: date | None = Field(None, alias="from")
    until: date | None = None


class CreateIn(Schema):
    workspace: int | str | None = None
    language: str = Field(description="en or el: the template's language")


class ChannelIn(Schema):
    channel: int
    main: bool = False
    posts_per_week: float | None = Field(None, ge=0, le=500)
    role: str = Field("", max_length=300)


class PillarIn(Schema):
    label: int
    target_share: float = Field(gt=0, le=100)


class UpdateIn(Schema):
    workspace: int | str | None = None
    title: str | None = Field(None, max_length=200)
    goal_summary: str | None = Field(None, max_length=20000)
    audience: str | None = Field(None, max_length=20000)
    audience_places: str | None = Field(None, max_length=20000)
    notes: str | None = Field(None, max_length=20000)
    channels: list[ChannelIn] | None = None
    pillars: list[PillarIn] | None = None


def _period(workspace: Any, first: date | None, last: date | None) -> analytics.Period:
    try:
        return analytics.period(workspace, first, last)
    except ValueError as exc:
        raise ApiError(422, "bad_period", str(exc)) from exc


def _strategy(membership: Membership) -> Any:
    strategy = plan.strategy_of(membership.workspace)
    if strategy is None:
        raise ApiError(404, "no_strategy", _("This workspace has no strategy yet."))
    return strategy


@router.get("", response=StrategyOut, by_alias=True,
            summary="The strategy with the period's figures beside each plan")
def get_strategy(request: HttpRequest, query: Query[PeriodQuery]) -> dict[str, Any]:
    membership = _membership(request, query.workspace, Action.VIEW_ANALYTICS)
    return plan.measured(_strategy(membership),
                         _period(membership.workspace, query.from_, query.until))


@router.post("", response={201: StrategyOut}, by_alias=True,
             summary="Create the strategy from the template (en or el)")
def create_strategy(request: HttpRequest, body: CreateIn) -> Status:
    membership = _membership(request, body.workspace, Action.MANAGE_STRATEGY)
    try:
        strategy = plan.create_strategy(membership.workspace, body.language)
    except plan.StrategyError as exc:
        raise ApiError(422, "strategy_refused", exc.message) from exc
    return Status(201, plan.measured(strategy, analytics.period(membership.workspace)))


@router.put("", response=StrategyOut, by_alias=True, summary="Change the strategy")
def update_strategy(request: HttpRequest, body: UpdateIn) -> dict[str, Any]:
    membership = _membership(request, body.workspace, Action.MANAGE_STRATEGY)
    strategy = _strategy(membership)
    text = {k: v for k in plan.TEMPLATES["en"] if (v := getattr(body, k)) is not None}
    try:
        plan.update_strategy(
            strategy, text=text,
            channels=None if body.channels is None else [c.dict() for c in body.channels],
            pillars=None if body.pillars is None else [p.dict() for p in body.pillars])
    except plan.StrategyError as exc:
        raise ApiError(422, "strategy_refused", exc.message) from exc
    return plan.measured(strategy, analytics.period(membership.workspace))


class GoalOut(Schema):
    id: int
    name: str
    metric: str
    metric_label: str
    channel: str | None
    channel_id: int | None
    campaign: str | None
    campaign_id: int | None
    target: float
    deadline: date
    start_date: date
    start_value: float | None
    current: float | None
    status: str = Field(description="on_track, behind, reached, missed or unknown")
    status_label: str
    lower_is_better: bool
    projected_value_at_deadline: float | None
    projected_reached_on: date | None
    projection_method: str
    computed_at: datetime | None


class GoalIn(Schema):
    workspace: int | str | None = None
    name: str = Field(min_length=1, max_length=200)
    metric: str = Field(description=", ".join(Metric.values))
    target: float = Field(ge=0, le=1e12)
    deadline: date
    channel: int | None = Field(None, description="a channel id; neither: the workspace")
    campaign: int | None = Field(None, description="a campaign id")


def _goal(membership: Membership, goal_id: int) -> Goal:
    goal = Goal.objects.filter(workspace=membership.workspace, pk=goal_id).select_related(
        "channel", "campaign", "workspace").first()
    if goal is None:
        raise Http404(_("No such goal"))
    return goal


@router.get("/goals", response=list[GoalOut], summary="Every goal with its progress")
def list_goals(request: HttpRequest, workspace: int | str | None = None) -> list[dict[str, Any]]:
    membership = _membership(request, workspace, Action.VIEW_ANALYTICS)
    return [goals.goal_json(g) for g in goals.goals_of(membership.workspace)]


@router.post("/goals", response={201: GoalOut}, summary="Set a goal (start value measured now)")
def add_goal(request: HttpRequest, body: GoalIn) -> Status:
    membership = _membership(request, body.workspace, Action.MANAGE_STRATEGY)
    workspace = membership.workspace
    channel = campaign = None
    if body.channel is not None:
        channel = Channel.objects.filter(workspace=workspace, pk=body.channel).first()
        if channel is None:
            raise ApiError(422, "unknown_channel", _("No channel %(id)s in this workspace.")
                           % {"id": body.channel})
    if body.campaign is not None:
        campaign = Campaign.objects.filter(workspace=workspace, pk=body.campaign).first()
        if campaign is None:
            raise ApiError(422, "unknown_campaign", _("No campaign %(id)s in this workspace.")
                           % {"id": body.campaign})
    try:
        goal = goals.create_goal(workspace, name=body.name, metric=body.metric,
                                 target=body.target, deadline=body.deadline, channel=channel,
                                 campaign=campaign, user=request.auth)
    except goals.GoalError as exc:
        raise ApiError(422, "goal_refused", exc.message, {"field": exc.field}) from exc
    return Status(201, goals.goal_json(goal))


@router.get("/goals/{goal_id}", response=GoalOut, summary="One goal")
def get_goal(request: HttpRequest, goal_id: int,
             workspace: int | str | None = None) -> dict[str, Any]:
    return goals.goal_json(_goal(_membership(request, workspace, Action.VIEW_ANALYTICS),
                                 goal_id))


@router.post("/goals/{goal_id}/progress", response=GoalOut,
             summary="Compute the goal's progress now")
def goal_progress(request: HttpRequest, goal_id: int,
                  workspace: int | str | None = None) -> dict[str, Any]:
    goal = _goal(_membership(request, workspace, Action.MANAGE_STRATEGY), goal_id)
    return goals.goal_json(goals.progress(goal))


@router.delete("/goals/{goal_id}", response={204: None}, summary="Delete a goal")
def delete_goal(request: HttpRequest, goal_id: int,
                workspace: int | str | None = None) -> Status:
    _goal(_membership(request, workspace, Action.MANAGE_STRATEGY), goal_id).delete()
    return Status(204, None)


class FigureOut(Schema):
    figure: str
    this_year: float | None
    last_year: float | None
    change_percent: float | None
    formula: str


class CampaignOut(Schema):
    campaign: str
    posts: int
    engagements: int
    engagement_rate_by_followers: float | None
    costs: list[str]


class SpanOut(Schema):
    from_: date = Field(alias="from")
    until: date


class ResultsOut(Schema):
    this_year: SpanOut
    last_year: SpanOut
    figures: list[FigureOut]
    best_posts: list[dict[str, Any]]
    campaigns: list[CampaignOut]
    costs: list[str]
    no_spend: bool


@router.get("/results", response=ResultsOut, by_alias=True,
            summary="This year against last year: growth, engagement, best posts, campaigns")
def get_results(request: HttpRequest, workspace: int | str | None = None) -> dict[str, Any]:
    membership = _membership(request, workspace, Action.VIEW_ANALYTICS)
    return results.results(membership.workspace)
