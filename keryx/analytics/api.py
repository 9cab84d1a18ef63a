"""Analytics in the API: /api/v1/analytics/posts and /api/v1/analytics/summary, the same
figures as `keryx analytics posts|summary --json`. Thin: scope by the caller's workspace,
resolve the channels and the period, call keryx.analytics.services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from keryx.analytics import services
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
    return services.summary(workspace, when, channels, only)
