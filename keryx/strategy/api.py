"""The strategy in the API (/api/v1/strategy): the strategy measured (GET), created from the
template (POST), changed (PUT); goals (GET/POST /goals, GET/DELETE /goals/{goal_id}, POST
/goals/{goal_id}/progress); the year-on-year results (GET /results); budgets (GET/POST
/budgets, GET/PATCH/DELETE /budgets/{budget_id}), spend (GET/POST /spend, POST /spend/import
multipart), cost per result (GET /costs). Thin: scope by the caller's workspace, check the
permission, call keryx.strategy.plan, .goals, .results, .budgets, .spend_import and .costs.

Error codes: workspace_required (400), forbidden (403), not_found (404), no_strategy (404),
strategy_refused (422), goal_refused (422, with the reason: a metric the network does not
report, a past deadline), unknown_channel / unknown_campaign (422), bad_period (422),
budget_refused (422, with details.field), import_refused (422: no known header, unknown
format, too big). Partners (/partners) are keryx.strategy.partners_api, mounted at the end."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from keryx.analytics import services as analytics
from keryx.api_errors import ApiError
from keryx.channels.models import Channel
from keryx.core import permissions
from keryx.core.access import membership_for, memberships_of
from keryx.core.models import Membership
from keryx.core.permissions import Action
from keryx.planner.models import Campaign
from keryx.strategy import budgets, costs, goals, plan, results, spend_import
from keryx.strategy.models import Budget, Category, Goal, Metric, SpendEntry

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


class BudgetMonthOut(Schema):
    month: str | None = Field(description="YYYY-MM")
    spent: str
    amount: str
    remaining: str
    percent: float | None


class BudgetOut(Schema):
    id: int
    category: str
    category_label: str
    month: str | None = Field(description="YYYY-MM; none: the campaign's dates")
    campaign_id: int | None
    campaign: str | None
    amount: str = Field(description="a decimal, as a string")
    currency: str
    note: str
    repeats_monthly: bool = Field(description="the same amount every month from `month` on")
    until_month: str | None = Field(description="YYYY-MM: a recurring budget's last month")
    period_month: str | None = Field(description="YYYY-MM: the month of a recurring budget "
                                     "this status is for (this month)")
    history: list[BudgetMonthOut] = Field(default_factory=list, description="a recurring "
                                          "budget's months before, newest first")
    from_: date | None = Field(alias="from")
    until: date | None
    spent: str = Field(description="spent in the budget's currency")
    remaining: str
    percent: float | None
    percent_formula: str
    other_currencies: dict[str, str] = Field(description="spend in other currencies, not "
                                             "counted (never converted)")
    alerts_sent: list[int]


class BudgetIn(Schema):
    workspace: int | str | None = None
    category: str = Field(description=", ".join(Category.values))
    amount: str = Field(max_length=20, description="a decimal: 250.00")
    currency: str = Field(max_length=3, description="ISO code: EUR")
    month: str | None = Field(None, max_length=10, description="YYYY-MM")
    campaign: int | None = None
    note: str = Field("", max_length=300)
    repeats_monthly: bool = False
    until_month: str | None = Field(None, max_length=10, description="YYYY-MM")


class BudgetPatch(Schema):
    workspace: int | str | None = None
    category: str | None = None
    amount: str | None = Field(None, max_length=20)
    currency: str | None = Field(None, max_length=3)
    month: str | None = Field(None, max_length=10, description="YYYY-MM; null: none")
    campaign: int | None = Field(None, description="null: none")
    note: str | None = Field(None, max_length=300)
    repeats_monthly: bool | None = None
    until_month: str | None = Field(None, max_length=10, description="YYYY-MM; null: none")


# PATCH: null clears these; for the others null is "unchanged".
CLEARABLE = {"month", "campaign", "until_month"}


def _budget_error(exc: budgets.BudgetError) -> ApiError:
    return ApiError(422, "budget_refused", exc.message, {"field": exc.field})


def _budget(membership: Membership, budget_id: int) -> Budget:
    budget = Budget.objects.filter(workspace=membership.workspace, pk=budget_id).select_related(
        "campaign").first()
    if budget is None:
        raise Http404(_("No such budget"))
    return budget


@router.get("/budgets", response=list[BudgetOut], by_alias=True,
            summary="Every budget with what was spent, per currency")
def list_budgets(request: HttpRequest, workspace: int | str | None = None
                 ) -> list[dict[str, Any]]:
    membership = _membership(request, workspace, Action.VIEW_ANALYTICS)
    today = budgets.today_in(membership.workspace)
    return [s.json_with_history(today) for s in budgets.statuses(membership.workspace, today)]


@router.post("/budgets", response={201: BudgetOut}, by_alias=True, summary="Add a budget")
def add_budget(request: HttpRequest, body: BudgetIn) -> Status:
    membership = _membership(request, body.workspace, Action.MANAGE_STRATEGY)
    try:
        budget = budgets.create_budget(membership.workspace, category=body.category,
                                       amount=body.amount, currency=body.currency,
                                       month=body.month, campaign=body.campaign,
                                       note=body.note, repeats_monthly=body.repeats_monthly,
                                       until_month=body.until_month, user=request.auth)
    except budgets.BudgetError as exc:
        raise _budget_error(exc) from exc
    return Status(201, _budget_json(budget))


def _budget_json(budget: Budget) -> dict[str, Any]:
    today = budgets.today_in(budget.workspace)
    return budgets.status(budget, today=today).json_with_history(today)


@router.get("/budgets/{budget_id}", response=BudgetOut, by_alias=True, summary="One budget")
def get_budget(request: HttpRequest, budget_id: int,
               workspace: int | str | None = None) -> dict[str, Any]:
    membership = _membership(request, workspace, Action.VIEW_ANALYTICS)
    return _budget_json(_budget(membership, budget_id))


@router.patch("/budgets/{budget_id}", response=BudgetOut, by_alias=True,
              summary="Change a budget")
def change_budget(request: HttpRequest, budget_id: int, body: BudgetPatch) -> dict[str, Any]:
    membership = _membership(request, body.workspace, Action.MANAGE_STRATEGY)
    budget = _budget(membership, budget_id)
    changes = {k: v for k, v in body.dict(exclude={"workspace"}, exclude_unset=True).items()
               if v is not None or k in CLEARABLE}
    try:
        budgets.update_budget(budget, **changes)
    except budgets.BudgetError as exc:
        raise _budget_error(exc) from exc
    return _budget_json(budget)


@router.delete("/budgets/{budget_id}", response={204: None}, summary="Delete a budget")
def remove_budget(request: HttpRequest, budget_id: int,
                  workspace: int | str | None = None) -> Status:
    membership = _membership(request, workspace, Action.MANAGE_STRATEGY)
    budgets.delete_budget(_budget(membership, budget_id))
    return Status(204, None)


class SpendOut(Schema):
    id: int
    date: date
    campaign_id: int | None
    campaign: str | None
    campaign_name_as_imported: str
    category: str
    amount: str
    currency: str
    results: int | None
    source: str
    import_id: int | None
    note: str


class SpendIn(Schema):
    workspace: int | str | None = None
    date: date
    amount: str = Field(max_length=20)
    currency: str = Field(max_length=3)
    category: str = Field(description=", ".join(Category.values))
    campaign: int | None = None
    results: int | None = Field(None, ge=0, le=10**15)
    note: str = Field("", max_length=300)


def _spend_json(entry: SpendEntry) -> dict[str, Any]:
    return {"id": entry.pk, "date": entry.date, "campaign_id": entry.campaign_id,
            "campaign": entry.campaign.name if entry.campaign else None,
            "campaign_name_as_imported": entry.campaign_name_as_imported,
            "category": entry.category, "amount": str(entry.amount),
            "currency": entry.currency, "results": entry.results, "source": entry.source,
            "import_id": entry.batch_id, "note": entry.note}


class SpendQuery(Schema):
    workspace: int | str | None = None
    from_: date | None = Field(None, alias="from")
    until: date | None = None
    campaign: int | None = None


@router.get("/spend", response=list[SpendOut], summary="Spend, newest first")
def list_spend(request: HttpRequest, query: Query[SpendQuery]) -> list[dict[str, Any]]:
    membership = _membership(request, query.workspace, Action.VIEW_ANALYTICS)
    qs = SpendEntry.objects.filter(workspace=membership.workspace).select_related("campaign")
    if query.from_:
        qs = qs.filter(date__gte=query.from_)
    if query.until:
        qs = qs.filter(date__lte=query.until)
    if query.campaign:
        qs = qs.filter(campaign_id=query.campaign)
    return [_spend_json(e) for e in qs[:5000]]


@router.post("/spend", response={201: SpendOut}, summary="Add spend by hand")
def add_spend(request: HttpRequest, body: SpendIn) -> Status:
    membership = _membership(request, body.workspace, Action.MANAGE_STRATEGY)
    try:
        entry = budgets.add_spend(membership.workspace, day=body.date, amount=body.amount,
                                  currency=body.currency, category=body.category,
                                  campaign=body.campaign, results=body.results,
                                  note=body.note, user=request.auth)
    except budgets.BudgetError as exc:
        raise _budget_error(exc) from exc
    return Status(201, _spend_json(entry))


class RejectedOut(Schema):
    line: int
    reason: str
    row: str


class ImportOut(Schema):
    id: int
    format: str
    accepted: int
    duplicates: int = Field(description="rows imported before, not added again")
    rejected: list[RejectedOut]


@router.post("/spend/import", response={201: ImportOut},
             summary="Import a spend CSV (Meta, LinkedIn, X or Keryx columns)")
def import_spend(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008 - ninja's way of declaring a form file
    workspace: str = Form(""),  # noqa: B008
    format: str = Form("", description="meta, linkedin, x or keryx; empty: from the "  # noqa: A002,B008
                       "header"),
) -> Status:
    membership = _membership(request, workspace or None, Action.MANAGE_STRATEGY)
    try:
        batch = spend_import.import_spend(
            membership.workspace, file.read(spend_import.MAX_BYTES + 1), fmt=format or None,
            filename=file.name or "", user=request.auth)
    except spend_import.SpendImportError as exc:
        raise ApiError(422, "import_refused", str(exc)) from exc
    return Status(201, {"id": batch.pk, "format": batch.source, "accepted": batch.accepted,
                        "duplicates": batch.duplicates, "rejected": batch.rejected})


class FigureCostOut(Schema):
    figure: str
    label: str
    value: str | None = Field(description="a decimal in the currency; none: the denominator "
                              "is 0 or unknown")
    denominator: int | None
    formula: str


class CostOut(Schema):
    currency: str
    spend: str
    campaign: str | None
    campaign_id: int | None
    from_: date = Field(alias="from")
    until: date
    figures: list[FigureCostOut]


class CostQuery(Schema):
    workspace: int | str | None = None
    from_: date | None = Field(None, alias="from")
    until: date | None = None
    campaign: int | None = None
    by_campaign: bool = Field(False, description="also one item per campaign with spend")


@router.get("/costs", response=list[CostOut], by_alias=True,
            summary="Cost per result per currency, each figure with its formula")
def get_costs(request: HttpRequest, query: Query[CostQuery]) -> list[dict[str, Any]]:
    membership = _membership(request, query.workspace, Action.VIEW_ANALYTICS)
    workspace = membership.workspace
    when = _period(workspace, query.from_, query.until)
    campaign = None
    if query.campaign is not None:
        campaign = Campaign.objects.filter(workspace=workspace, pk=query.campaign).first()
        if campaign is None:
            raise ApiError(422, "unknown_campaign", _("No campaign %(id)s in this workspace.")
                           % {"id": query.campaign})
    if query.by_campaign and campaign is None:
        items = costs.by_campaign(workspace, start=when.first_day, end=when.last_day)
    else:
        items = costs.cost_per_result(workspace, campaign=campaign, start=when.first_day,
                                      end=when.last_day)
    return [item | {"spend": str(item["spend"]),
                    "figures": [f | {"value": None if f["value"] is None else str(f["value"])}
                                for f in item["figures"]]} for item in items]


# Partners (/api/v1/strategy/partners): a module of their own, mounted under this router.
from keryx.strategy.partners_api import router as partners_router  # noqa: E402

router.add_router("/partners", partners_router)
