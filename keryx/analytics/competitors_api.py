"""Competitors in the API: GET /api/v1/analytics/competitors (the side-by-side table, as
`keryx competitors list --json`), POST to follow one, DELETE /{id} to stop. Thin: scope by the
caller's workspace, check the permission, call keryx.analytics.competitors."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from keryx.analytics import competitors, services
from keryx.analytics.models import Competitor
from keryx.api_errors import ApiError
from keryx.channels.models import Channel
from keryx.core import permissions
from keryx.core.access import membership_for, memberships_of
from keryx.core.models import Membership
from keryx.core.permissions import Action

router = Router(tags=["analytics"])


class CompareQuery(Schema):
    workspace: int | str | None = None
    from_: date | None = Field(None, alias="from")
    until: date | None = None


class RowOut(Schema):
    kind: str = Field(description="channel (yours) or competitor")
    id: int
    name: str
    handle: str
    network: str
    url: str
    channel: str | None = Field(description="the channel; for a competitor, the one read through")
    followers: int | None
    follower_growth: int | None
    follower_growth_percent: float | None
    follower_growth_reason: str
    posts_per_week: float | None
    posts_per_week_basis: str
    avg_likes: float | None
    avg_comments: float | None
    avg_shares: float | None
    engagement_rate_by_followers: float | None = Field(
        description="the average of the posts' rates, a percentage")
    engagement_rate_formula: str
    engagement_rate_reason: str
    measured_at: datetime | None
    status: str
    message: str
    gone: bool
    gone_reason: str


class ComparisonOut(Schema):
    from_: date = Field(alias="from")
    until: date
    networks: list[str]
    channels: list[RowOut]
    competitors: list[RowOut]
    note: str


class AddIn(Schema):
    workspace: int | str | None = None
    network: str
    handle: str
    channel: int | None = Field(None, description="the channel to read it through (its id)")


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


@router.get("", response=ComparisonOut, by_alias=True,
            summary="Your channels and the competitors, side by side")
def compare(request: HttpRequest, query: Query[CompareQuery]) -> dict[str, Any]:
    workspace = _membership(request, query.workspace, Action.VIEW_ANALYTICS).workspace
    try:
        when = services.period(workspace, query.from_, query.until)
    except ValueError as exc:
        raise ApiError(422, "bad_period", str(exc)) from exc
    return competitors.comparison(workspace, when)


@router.post("", response={201: RowOut}, summary="Follow a competitor (read at once)")
def add(request: HttpRequest, body: AddIn) -> Status:
    membership = _membership(request, body.workspace, Action.MANAGE_COMPETITORS)
    workspace = membership.workspace
    channel = None
    if body.channel is not None:
        channel = Channel.objects.filter(workspace=workspace, pk=body.channel).first()
        if channel is None:
            raise ApiError(422, "unknown_channel", _("No channel %(id)s in this workspace.")
                           % {"id": body.channel})
    try:
        found = competitors.add(workspace, body.network, body.handle, actor=request.auth,
                                channel=channel)
    except competitors.CompetitorError as exc:
        raise ApiError(422, "competitor_refused", str(exc)) from exc
    row = next(r for r in competitors.comparison(workspace, services.period(workspace))
               ["competitors"] if r["id"] == found.pk)
    return Status(201, row)


@router.delete("/{competitor_id}", response={204: None}, summary="Stop following a competitor")
def remove(request: HttpRequest, competitor_id: int,
           workspace: int | str | None = None) -> Status:
    membership = _membership(request, workspace, Action.MANAGE_COMPETITORS)
    competitor = Competitor.objects.filter(workspace=membership.workspace,
                                           pk=competitor_id).first()
    if competitor is None:
        raise Http404(_("No such competitor"))
    competitors.remove(competitor, actor=request.auth)
    return Status(204, None)
