"""Partners in the API (/api/v1/strategy/partners, mounted by keryx.strategy.api): list (GET,
?stage=), add (POST), one partner with its history and what it brought (GET /{partner_id},
?from=&until=), change (PATCH /{partner_id}: a "stage" moves it and records the event, like
the page's buttons). Thin: keryx.strategy.partners decides.

Error codes: workspace_required (400), forbidden (403), not_found (404), partner_refused
(422, with details.field), bad_period (422)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from keryx.api_errors import ApiError
from keryx.core import permissions
from keryx.core.access import membership_for, memberships_of
from keryx.core.models import Membership
from keryx.core.permissions import Action
from keryx.strategy import partners
from keryx.strategy.models import Partner, Stage

router = Router(tags=["strategy"])
BROUGHT_DAYS = 30


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


class EventOut(Schema):
    kind: str
    text: str
    from_stage: str
    to_stage: str
    at: datetime
    by: str | None


class BroughtOut(Schema):
    from_: date = Field(alias="from")
    until: date
    inbox_items: int | None = Field(description="inbox items whose author is the partner's "
                                    "handle, by arrival; none: no handle")
    mentions: int | None = Field(description="listening results by the partner (not marked "
                                 "irrelevant), by publication; none: no handle")
    campaign_posts: int | None = Field(description="posts of the partner's campaign with a "
                                       "delivery published in the period; none: no campaign")


class PartnerOut(Schema):
    id: int
    name: str
    network: str
    handle: str
    profile_url: str
    email: str
    stage: str
    stage_label: str
    stage_changed_at: datetime
    next_follow_up_at: date | None
    notes: str
    campaign_id: int | None
    campaign: str | None


class PartnerDetailOut(PartnerOut):
    events: list[EventOut]
    brought: BroughtOut


class PartnerIn(Schema):
    workspace: int | str | None = None
    name: str = Field(max_length=200)
    network: str = Field("", max_length=32)
    handle: str = Field("", max_length=255)
    profile_url: str = Field("", max_length=1000)
    email: str = Field("", max_length=254)
    stage: str = Field(Stage.IDENTIFIED, description=", ".join(Stage.values))
    next_follow_up_at: date | None = None
    notes: str = Field("", max_length=partners.MAX_NOTE)
    campaign: int | None = None


class PartnerPatch(Schema):
    workspace: int | str | None = None
    name: str | None = Field(None, max_length=200)
    network: str | None = Field(None, max_length=32)
    handle: str | None = Field(None, max_length=255)
    profile_url: str | None = Field(None, max_length=1000)
    email: str | None = Field(None, max_length=254)
    stage: str | None = Field(None, description="a move: recorded in the history")
    how: str | None = Field(None, description="with stage reached_out: dm or email")
    next_follow_up_at: date | None = None
    notes: str | None = Field(None, max_length=partners.MAX_NOTE)
    campaign: int | None = None


class ListQuery(Schema):
    workspace: int | str | None = None
    stage: str | None = None


class DetailQuery(Schema):
    workspace: int | str | None = None
    from_: date | None = Field(None, alias="from")
    until: date | None = None


def _json(p: Partner) -> dict[str, Any]:
    return {"id": p.pk, "name": p.name, "network": p.network, "handle": p.handle,
            "profile_url": p.profile_url, "email": p.email, "stage": p.stage,
            "stage_label": str(p.get_stage_display()), "stage_changed_at": p.stage_changed_at,
            "next_follow_up_at": p.next_follow_up_at, "notes": p.notes,
            "campaign_id": p.campaign_id, "campaign": p.campaign.name if p.campaign else None}


def _detail(p: Partner, first: date, last: date) -> dict[str, Any]:
    events = [{"kind": e.kind, "text": e.text, "from_stage": e.from_stage,
               "to_stage": e.to_stage, "at": e.at, "by": str(e.by) if e.by else None}
              for e in partners.history(p)]
    return _json(p) | {"events": events, "brought": {
        "from": first, "until": last, **partners.brought(p, first, last).json()}}


def _partner(membership: Membership, partner_id: int) -> Partner:
    found = Partner.objects.filter(workspace=membership.workspace, pk=partner_id).select_related(
        "campaign").first()
    if found is None:
        raise Http404(_("No such partner"))
    return found


def _refused(exc: partners.PartnerError) -> ApiError:
    return ApiError(422, "partner_refused", exc.message, {"field": exc.field})


def _period(first: date | None, last: date | None) -> tuple[date, date]:
    last = last or timezone.now().date()
    first = first or last - timedelta(days=BROUGHT_DAYS - 1)
    if first > last:
        raise ApiError(422, "bad_period", _("'from' is after 'until'."))
    return first, last


@router.get("", response=list[PartnerOut], summary="Every partner, by name")
def list_partners(request: HttpRequest, query: Query[ListQuery]) -> list[dict[str, Any]]:
    membership = _membership(request, query.workspace, Action.VIEW_ANALYTICS)
    found = partners.partners_of(membership.workspace)
    if query.stage:
        found = [p for p in found if p.stage == query.stage]
    return [_json(p) for p in found]


@router.post("", response={201: PartnerDetailOut}, by_alias=True, summary="Add a partner")
def add_partner(request: HttpRequest, body: PartnerIn) -> Status:
    membership = _membership(request, body.workspace, Action.MANAGE_STRATEGY)
    fields = body.dict(exclude={"workspace", "stage"})
    try:
        partner = partners.create_partner(membership.workspace, user=request.auth,
                                          stage=body.stage, **fields)
    except partners.PartnerError as exc:
        raise _refused(exc) from exc
    return Status(201, _detail(partner, *_period(None, None)))


@router.get("/{partner_id}", response=PartnerDetailOut, by_alias=True,
            summary="One partner, its history and what it brought")
def get_partner(request: HttpRequest, partner_id: int,
                query: Query[DetailQuery]) -> dict[str, Any]:
    membership = _membership(request, query.workspace, Action.VIEW_ANALYTICS)
    return _detail(_partner(membership, partner_id), *_period(query.from_, query.until))


@router.patch("/{partner_id}", response=PartnerDetailOut, by_alias=True,
              summary="Change a partner; a stage moves it (recorded in the history)")
def change_partner(request: HttpRequest, partner_id: int, body: PartnerPatch) -> dict[str, Any]:
    membership = _membership(request, body.workspace, Action.MANAGE_STRATEGY)
    partner = _partner(membership, partner_id)
    given = body.dict(exclude_unset=True, exclude={"workspace", "stage", "how"})
    if body.stage is not None and body.stage not in Stage.values:
        raise ApiError(422, "partner_refused", _("Unknown stage."), {"field": "stage"})
    try:
        partners.update_partner(partner, **given)
        if body.stage is not None:
            partners.move_stage(partner, body.stage, user=request.auth, how=body.how or "")
    except partners.PartnerError as exc:
        raise _refused(exc) from exc
    return _detail(partner, *_period(None, None))
