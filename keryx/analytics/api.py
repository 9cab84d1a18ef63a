"""Analytics in the API: /api/v1/analytics/posts and /api/v1/analytics/summary, the same
figures as `keryx analytics posts|summary --json`. Thin: scope by the caller's workspace,
resolve the channels and the period, call keryx.analytics.services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from keryx.analytics import benchmarks, experiments, services
from keryx.api_errors import ApiError
from keryx.core import permissions
from keryx.core.access import membership_for, memberships_of
from keryx.core.models import Membership, Workspace
from keryx.core.permissions import Action
from keryx.publishing.inputs import InputError, resolve_channels

router = Router(tags=["analytics"])


class PeriodQuery(Schema):
    workspace: int | str | None = None
    channel: str | None = Field(None, description="channel names or ids, comma-separated")
    from_: date | None = Field(None, alias="from")
    until: date | None = None
    campaign: int | None = None
    label: list[int] = Field(default_factory=list, description="posts with any of these labels")


class Rates(Schema):
    by_followers: float | None
    by_reach: float | None
    by_impressions: float | None


class RateFormulas(Schema):
    by_followers: str
    by_reach: str
    by_impressions: str


class ShortLinkOut(Schema):
    code: str
    url: str
    clicks: int


class PostOut(Schema):
    post_id: int | None = Field(description="null for a post published outside Keryx")
    channel: str
    network: str
    remote_id: str
    url: str
    published_at: datetime
    followers: int | None = Field(description="the channel's followers at publish time")
    likes: int | None
    comments: int | None
    shares: int | None
    quotes: int | None
    saves: int | None
    impressions: int | None
    reach: int | None
    clicks: int | None
    video_views: int | None
    engagements: int | None
    engagements_formula: str
    engagements_missing: list[str]
    engagement_rate: Rates = Field(description="percentages; null where not computable")
    engagement_rate_formula: RateFormulas
    engagement_rate_reason: dict[str, str]
    measured_at: datetime | None
    gone: bool
    imported: bool
    hashtags: list[str]
    short_links: list[ShortLinkOut] = Field(
        default_factory=list, description="Keryx's short links in the post, with their clicks")
    short_link_clicks: int | None = Field(
        None, description="the clicks on those links (null when the post has none)")


class FormulaAverageOut(Schema):
    formula: str
    value: float | None
    posts: int
    networks: list[str] = Field(default_factory=list,
                                description="the networks whose posts stand behind it")


class AverageOut(Schema):
    value: float | None
    formula: str
    posts: int
    posts_without_rate: int
    reason: str
    by_formula: list[FormulaAverageOut]


class AveragesOut(Schema):
    by_followers: AverageOut
    by_reach: AverageOut
    by_impressions: AverageOut
    daily: AverageOut = Field(description="the daily engagement rate: per channel and day, "
                                          "the day's new engagements / followers that day × 100")


class HashtagOut(Schema):
    hashtag: str
    posts: int
    engagements: int
    engagement_rate_by_followers: AverageOut


class GroupOut(Schema):
    network: str | None = None
    channel: str | None = None
    campaign: str | None = None
    campaign_id: int | None = None
    label: str | None = None
    label_id: int | None = None
    posts: int
    posts_per_week: float
    engagements: int
    engagement_rate_by_followers: AverageOut
    engagement_rate_daily: AverageOut | None = Field(None, description="channels only")
    top_posts: list[PostOut] = Field(description="the best posts by engagement rate by "
                                                 "followers (up to 3)")
    bottom_posts: list[PostOut]


class FollowerGrowthOut(Schema):
    channel: str
    network: str
    followers_start: int | None
    followers_end: int | None
    follower_growth: int | None
    follower_growth_percent: float | None
    follower_growth_reason: str


class BenchmarkFigureOut(Schema):
    value: float | None
    formula: str
    target: float | None
    target_difference: float | None = Field(description="value − target")
    against_target: str | None = Field(description="above, below, equal; null without a target")
    trailing: float | None = Field(description="the same figure over the 90 days before")
    trailing_difference: float | None
    against_trailing: str | None


class BenchmarkFiguresOut(Schema):
    engagement_rate_by_followers: BenchmarkFigureOut
    posts_per_week: BenchmarkFigureOut
    followers_per_month: BenchmarkFigureOut


class TrailingOut(Schema):
    from_: date | None = Field(alias="from", description="null: no days before the period")
    until: date | None
    days: int
    posts: int


class ChannelBenchmarksOut(Schema):
    channel: str
    figures: BenchmarkFiguresOut


class BenchmarksOut(Schema):
    trailing: TrailingOut
    figures: BenchmarkFiguresOut
    channels: list[ChannelBenchmarksOut] = Field(
        description="each channel in scope that has targets (when the scope has several)")
    note: str


class SummaryOut(Schema):
    from_: date = Field(alias="from")
    until: date
    channels: list[str]
    posts: int
    posts_per_week: float
    empty: bool
    message: str
    followers_start: int | None
    followers_end: int | None
    follower_growth: int | None
    follower_growth_percent: float | None
    follower_growth_reason: str
    follower_channels_missing: list[str]
    follower_growth_by_channel: list[FollowerGrowthOut]
    engagement_rate_by_followers: float | None = Field(
        description="the seed's overall rate: the average of the posts' rates")
    engagement_rate_by_followers_formula: str
    engagement_rate: AveragesOut
    engagements: int
    engagements_formula: str
    by_network: list[GroupOut]
    by_channel: list[GroupOut]
    by_campaign: list[GroupOut]
    by_label: list[GroupOut]
    hashtags: list[HashtagOut] = Field(description="the 20 most used, with their posts' rates")
    top_posts: list[PostOut]
    bottom_posts: list[PostOut]
    benchmarks: BenchmarksOut = Field(
        description="the figures against each channel's targets and the trailing average")
    top_posts_mixed_formulas: bool = Field(
        description="the top and bottom posts count engagement differently (see each formula)")


def _membership(request: HttpRequest, ref: int | str | None) -> Membership:
    """The caller's membership in the workspace given by id or slug, or in their only one."""
    if ref is None or ref == "":
        mine = memberships_of(request.auth)
        if len(mine) == 1:
            return mine[0]
        raise ApiError(400, "workspace_required",
                       _("You belong to several workspaces; say which one with 'workspace'."))
    if isinstance(ref, int) or str(ref).isdecimal():
        return membership_for(request.auth, int(ref))
    for membership in memberships_of(request.auth):
        if membership.workspace.slug == ref:
            return membership
    raise Http404(_("No such workspace"))


def _scope(request: HttpRequest, query: PeriodQuery
           ) -> tuple[Workspace, Any, Any, services.PostFilter]:
    membership = _membership(request, query.workspace)
    try:
        permissions.require(membership, Action.VIEW_ANALYTICS)
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc)) from exc
    workspace = membership.workspace
    try:
        channels = resolve_channels(workspace, query.channel.split(",")) \
            if query.channel else None
        when = services.period(workspace, query.from_, query.until)
    except InputError as exc:
        raise ApiError(422, exc.code, exc.message, exc.details) from exc
    except ValueError as exc:
        raise ApiError(422, "bad_period", str(exc)) from exc
    try:
        only = services.post_filter(workspace, query.campaign, query.label)
    except LookupError as exc:
        raise ApiError(422, "unknown_filter", str(exc)) from exc
    return workspace, channels, when, only


@router.get("/posts", response=list[PostOut], summary="Published posts with their figures")
def posts(request: HttpRequest, query: Query[PeriodQuery]) -> list[dict[str, Any]]:
    workspace, channels, when, only = _scope(request, query)
    return [services.public_row(r) for r in services.post_rows(workspace, when, channels, only)]


@router.get("/summary", response=SummaryOut, by_alias=True, summary="The period's figures")
def summary(request: HttpRequest, query: Query[PeriodQuery]) -> dict[str, Any]:
    workspace, channels, when, only = _scope(request, query)
    rows = services.post_rows(workspace, when, channels, only)
    data = services.summary(workspace, when, channels, only, rows=rows)
    data["benchmarks"] = benchmarks.compare(workspace, when, channels, data, only, rows=rows)
    return data


# ---------------------------------------------------------------------------------------------
# Posting-frequency experiments and targets
# ---------------------------------------------------------------------------------------------


class WorkspaceQuery(Schema):
    workspace: int | str | None = None


class ArmIn(Schema):
    label: str = "A"
    from_: date = Field(alias="from")
    until: date
    planned_per_week: float | None = Field(None, description="posts a week per channel")


class ExperimentIn(Schema):
    workspace: int | str | None = None
    name: str
    a: ArmIn
    b: ArmIn
    channel: str | None = Field(None, description="channel names or ids, comma-separated; "
                                                  "none: all channels")
    notes: str = ""


class ArmBriefOut(Schema):
    label: str
    from_: date = Field(alias="from")
    until: date
    planned_per_week_per_channel: float | None


class ArmsBriefOut(Schema):
    a: ArmBriefOut
    b: ArmBriefOut


class ExperimentBriefOut(Schema):
    id: int
    name: str
    arms: ArmsBriefOut
    channels: list[str]


class ArmOut(Schema):
    label: str
    from_: date = Field(alias="from")
    until: date
    status: str = Field(description="planned, running, finished")
    days: int
    days_elapsed: int
    posts: int
    posts_with_rate: int
    posts_per_week: float | None
    posts_per_week_per_channel: float | None
    planned_per_week_per_channel: float | None
    posts_per_week_by_channel: dict[str, float | None]
    engagements: int
    engagements_per_week: float | None
    complete_weeks: int
    engagements_by_week: list[int]
    young_posts: int


class ArmsOut(Schema):
    a: ArmOut
    b: ArmOut


class ComparisonOut(Schema):
    unit: str = Field(description="posts (rate by followers per post) or weeks (engagements)")
    verdict: str = Field(description="not_enough, b_higher, a_higher, no_clear_difference, "
                                     "mixed_formulas")
    explanation: str
    n_a: int | None = None
    n_b: int | None = None
    min_per_arm: int | None = None
    mean_a: float | None = None
    mean_b: float | None = None
    median_a: float | None = None
    median_b: float | None = None
    median_difference: float | None = None
    median_difference_ci95: list[float | None] | None = None
    hedges_g: float | None = None
    cliffs_delta: float | None = None
    magnitude: str = ""
    u_statistic: float | None = None
    p_value: float | None = None
    p_text: str = Field("", description='"p = 0.012" or "p < 0.001"')
    test: str = ""
    needed_per_arm: int | None = None
    formulas: list[str]


class ExperimentOut(Schema):
    id: int
    name: str
    notes: str
    status: str
    channels: list[str]
    rate_formula: str
    arms: ArmsOut
    per_post: ComparisonOut
    per_week: ComparisonOut
    frequency: list[str]
    notes_on_data: list[str]
    method: str


def _member(request: HttpRequest, ref: int | str | None, action: Action) -> Membership:
    membership = _membership(request, ref)
    try:
        permissions.require(membership, action)
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc)) from exc
    return membership


def _experiment(workspace: Workspace, experiment_id: int) -> Any:
    try:
        return experiments.get_experiment(workspace, experiment_id)
    except LookupError as exc:
        raise ApiError(404, "not_found", str(exc)) from exc


@router.get("/experiments", response=list[ExperimentBriefOut], by_alias=True,
            summary="Posting-frequency experiments")
def experiment_list(request: HttpRequest, query: Query[WorkspaceQuery]) -> list[dict[str, Any]]:
    workspace = _member(request, query.workspace, Action.VIEW_ANALYTICS).workspace
    return [experiments.summary_row(e) for e in experiments.experiments_of(workspace)]


@router.post("/experiments", response={201: ExperimentOut}, by_alias=True,
             summary="Define a posting-frequency experiment")
def experiment_create(request: HttpRequest, body: ExperimentIn) -> Status:
    workspace = _member(request, body.workspace, Action.MANAGE_ANALYTICS).workspace
    try:
        channels = resolve_channels(workspace, body.channel.split(",")) if body.channel else []
        data = experiments.ExperimentInput(
            body.name,
            experiments.ArmInput(body.a.from_, body.a.until, body.a.label,
                                 body.a.planned_per_week),
            experiments.ArmInput(body.b.from_, body.b.until, body.b.label,
                                 body.b.planned_per_week),
            [c.pk for c in channels], body.notes)
        experiment = experiments.save_experiment(workspace, data, user=request.auth)
    except InputError as exc:
        raise ApiError(422, exc.code, exc.message, exc.details) from exc
    except experiments.ExperimentError as exc:
        raise ApiError(422, "bad_experiment", exc.message,
                       {"field": exc.field} if exc.field else None) from exc
    return Status(201, experiments.evaluate(experiment))


@router.get("/experiments/{experiment_id}", response=ExperimentOut, by_alias=True,
            summary="An experiment's figures and verdicts")
def experiment_detail(request: HttpRequest, experiment_id: int,
                      query: Query[WorkspaceQuery]) -> dict[str, Any]:
    workspace = _member(request, query.workspace, Action.VIEW_ANALYTICS).workspace
    return experiments.evaluate(_experiment(workspace, experiment_id))


@router.delete("/experiments/{experiment_id}", response={204: None},
               summary="Delete an experiment")
def experiment_delete(request: HttpRequest, experiment_id: int,
                      query: Query[WorkspaceQuery]) -> Status:
    workspace = _member(request, query.workspace, Action.MANAGE_ANALYTICS).workspace
    _experiment(workspace, experiment_id).delete()
    return Status(204, None)


class TargetsIn(Schema):
    workspace: int | str | None = None
    channel: str = Field(description="the channel's name or id")
    engagement_rate: float | None = Field(None, description="% by followers; null: no target")
    posts_per_week: float | None = None
    followers_per_month: int | None = None


class TargetsOut(Schema):
    channel: str
    engagement_rate: float | None
    posts_per_week: float | None
    followers_per_month: int | None


@router.get("/targets", response=list[TargetsOut], summary="Each channel's targets")
def targets_list(request: HttpRequest, query: Query[WorkspaceQuery]) -> list[dict[str, Any]]:
    workspace = _member(request, query.workspace, Action.VIEW_ANALYTICS).workspace
    found = benchmarks.targets_of(workspace)
    return [{"channel": b.channel.name, "engagement_rate": b.engagement_rate,
             "posts_per_week": b.posts_per_week, "followers_per_month": b.followers_per_month}
            for b in sorted(found.values(), key=lambda b: b.channel.name)]


@router.put("/targets", response=TargetsOut, summary="Set a channel's targets (all null: none)")
def targets_set(request: HttpRequest, body: TargetsIn) -> dict[str, Any]:
    workspace = _member(request, body.workspace, Action.MANAGE_ANALYTICS).workspace
    try:
        channel = resolve_channels(workspace, [body.channel])[0]
        benchmarks.set_targets(workspace, channel, engagement_rate=body.engagement_rate,
                               posts_per_week=body.posts_per_week,
                               followers_per_month=body.followers_per_month)
    except InputError as exc:
        raise ApiError(422, exc.code, exc.message, exc.details) from exc
    except benchmarks.BenchmarkError as exc:
        raise ApiError(422, "bad_target", exc.message) from exc
    return {"channel": channel.name, "engagement_rate": body.engagement_rate,
            "posts_per_week": body.posts_per_week,
            "followers_per_month": body.followers_per_month}
