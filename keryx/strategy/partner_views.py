"""The partners pages: the pipeline grouped by stage with counts, a form to add a partner, and
each partner's page (history, notes, stage moves, follow-up date, what it brought). Thin:
keryx.strategy.partners decides; forms are read here."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.core.permissions import Action, can
from keryx.core.web import workspace_view
from keryx.planner.models import Campaign
from keryx.strategy import partners
from keryx.strategy.models import Partner, Stage

BROUGHT_DAYS = 30  # the default period of "what it brought": the last 30 days


def _partner(request: HttpRequest, pk: int) -> Partner:
    found = Partner.objects.filter(workspace=request.membership.workspace, pk=pk).select_related(
        "campaign").first()
    if found is None:
        raise Http404(_("No such partner"))
    return found


def _period(request: HttpRequest) -> tuple[date, date]:
    """?from=&until=, else the last BROUGHT_DAYS days."""
    today = timezone.now().date()
    default = (today - timedelta(days=BROUGHT_DAYS - 1), today)
    try:
        first = date.fromisoformat(request.GET["from"]) if request.GET.get("from") \
            else default[0]
        last = date.fromisoformat(request.GET["until"]) if request.GET.get("until") \
            else default[1]
    except ValueError:
        return default
    return (first, last) if first <= last else default


def _fields(request: HttpRequest) -> dict[str, str]:
    return {f: request.POST.get(f, "") for f in partners.FIELDS}


def _page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    workspace = request.membership.workspace
    return render(request, "strategy/partners.html", {
        "stages": partners.by_stage(workspace),
        "stage_choices": Stage.choices,
        "campaigns": Campaign.objects.filter(workspace=workspace).order_by("name"),
        "may_edit": can(request.membership, Action.MANAGE_STRATEGY),
        "error": error, "form": request.POST if error else {},
        "follow_up_days": partners.FOLLOW_UP_DAYS,
    }, status=status)


@workspace_view(Action.VIEW_ANALYTICS)
def partners_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@workspace_view(Action.MANAGE_STRATEGY)
def partner_add(request: HttpRequest) -> HttpResponse:
    try:
        partner = partners.create_partner(request.membership.workspace, user=request.user,
                                          stage=request.POST.get("stage") or Stage.IDENTIFIED,
                                          **_fields(request))
    except partners.PartnerError as exc:
        return _page(request, error=exc.message, status=400)
    messages.success(request, _("Partner added."))
    return redirect("strategy:partner", pk=partner.pk)


def _detail(request: HttpRequest, partner: Partner, *, error: str = "",
            status: int = 200) -> HttpResponse:
    first, last = _period(request)
    return render(request, "strategy/partner.html", {
        "partner": partner, "events": partners.history(partner),
        "stage_choices": Stage.choices,
        "campaigns": Campaign.objects.filter(workspace=request.membership.workspace)
        .order_by("name"),
        "brought": partners.brought(partner, first, last), "first": first, "last": last,
        "may_edit": can(request.membership, Action.MANAGE_STRATEGY),
        "follow_up_days": partners.FOLLOW_UP_DAYS, "error": error,
    }, status=status)


@workspace_view(Action.VIEW_ANALYTICS)
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _partner(request, pk))


@require_POST
@workspace_view(Action.MANAGE_STRATEGY)
def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    try:
        partners.update_partner(partner, **_fields(request))
    except partners.PartnerError as exc:
        partner.refresh_from_db()
        return _detail(request, partner, error=exc.message, status=400)
    messages.success(request, _("Partner saved."))
    return redirect("strategy:partner", pk=partner.pk)


@require_POST
@workspace_view(Action.MANAGE_STRATEGY)
def partner_move(request: HttpRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    try:
        partners.move_stage(partner, request.POST.get("stage", ""), user=request.user,
                            how=request.POST.get("how", ""), text=request.POST.get("text", ""))
    except partners.PartnerError as exc:
        return _detail(request, partner, error=exc.message, status=400)
    messages.success(request, _("Stage changed."))
    return redirect("strategy:partner", pk=partner.pk)


@require_POST
@workspace_view(Action.MANAGE_STRATEGY)
def partner_note(request: HttpRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    try:
        partners.add_note(partner, request.POST.get("text", ""), user=request.user)
    except partners.PartnerError as exc:
        return _detail(request, partner, error=exc.message, status=400)
    messages.success(request, _("Note added."))
    return redirect("strategy:partner", pk=partner.pk)
