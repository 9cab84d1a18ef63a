"""The budgets page: budgets with their progress, spend entered by hand, spend CSV uploads
with a page of the rows not understood, cost per result for a period. Thin: keryx.strategy
.budgets, .spend_import and .costs decide; forms are read here."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.analytics import services as analytics
from keryx.core.permissions import Action, can
from keryx.core.web import workspace_view
from keryx.planner.models import Campaign
from keryx.strategy import budgets, costs, spend_import
from keryx.strategy.models import Budget, Category, Source, SpendEntry, SpendImport

RECENT_SPEND = 50
RECENT_IMPORTS = 10


def _period(request: HttpRequest) -> tuple[date, date]:
    """?from=&until=, else this month so far."""
    workspace = request.membership.workspace
    today = analytics.period(workspace).last_day
    try:
        first = date.fromisoformat(request.GET.get("from") or "") if request.GET.get("from") \
            else today.replace(day=1)
        last = date.fromisoformat(request.GET.get("until") or "") \
            if request.GET.get("until") else today
    except ValueError:
        return today.replace(day=1), today
    return (first, last) if first <= last else (today.replace(day=1), today)


def _page(request: HttpRequest, *, error: str = "", form: str = "",
          status: int = 200) -> HttpResponse:
    workspace = request.membership.workspace
    first, last = _period(request)
    return render(request, "strategy/budgets.html", {
        "statuses": budgets.statuses(workspace),
        "spend": SpendEntry.objects.filter(workspace=workspace).select_related("campaign")
        [:RECENT_SPEND],
        "totals": budgets.spend_totals(workspace, first, last),
        "costs": costs.by_campaign(workspace, start=first, end=last),
        "formulas": [(costs.LABELS[k], costs.FORMULAS[k]) for k in costs.FIGURES]
        + [(costs.LABELS["cost_per_follower"], costs.FORMULAS["cost_per_follower_campaign"])],
        "imports": SpendImport.objects.filter(workspace=workspace)[:RECENT_IMPORTS],
        "first": first, "last": last,
        "categories": Category.choices,
        "campaigns": Campaign.objects.filter(workspace=workspace).order_by("name"),
        "may_edit": can(request.membership, Action.MANAGE_STRATEGY),
        "error": error, "error_form": form, "form": request.POST if error else {},
        "formats": [(s, label) for s, label in Source.choices if s != Source.MANUAL],
    }, status=status)


@workspace_view(Action.VIEW_ANALYTICS)
def budgets_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@workspace_view(Action.MANAGE_STRATEGY)
def budget_add(request: HttpRequest) -> HttpResponse:
    data = request.POST
    try:
        budgets.create_budget(request.membership.workspace, category=data.get("category", ""),
                              amount=data.get("amount", ""), currency=data.get("currency", ""),
                              month=data.get("month") or None,
                              campaign=data.get("campaign") or None,
                              note=data.get("note", ""), user=request.user)
    except budgets.BudgetError as exc:
        return _page(request, error=exc.message, form="budget", status=400)
    messages.success(request, _("Budget added."))
    return redirect("strategy:budgets")


@require_POST
@workspace_view(Action.MANAGE_STRATEGY)
def budget_delete(request: HttpRequest, pk: int) -> HttpResponse:
    budget = Budget.objects.filter(workspace=request.membership.workspace, pk=pk).first()
    if budget is None:
        raise Http404(_("No such budget"))
    budgets.delete_budget(budget)
    messages.success(request, _("Budget deleted."))
    return redirect("strategy:budgets")


@require_POST
@workspace_view(Action.MANAGE_STRATEGY)
def spend_add(request: HttpRequest) -> HttpResponse:
    data = request.POST
    try:
        budgets.add_spend(request.membership.workspace, day=data.get("date", ""),
                          amount=data.get("amount", ""), currency=data.get("currency", ""),
                          category=data.get("category", ""),
                          campaign=data.get("campaign") or None,
                          results=data.get("results", ""), note=data.get("note", ""),
                          user=request.user)
    except budgets.BudgetError as exc:
        return _page(request, error=exc.message, form="spend", status=400)
    messages.success(request, _("Spend added."))
    return redirect("strategy:budgets")


@require_POST
@workspace_view(Action.MANAGE_STRATEGY)
def spend_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = SpendEntry.objects.filter(workspace=request.membership.workspace, pk=pk).first()
    if entry is None:
        raise Http404(_("No such spend"))
    entry.delete()
    messages.success(request, _("Spend deleted."))
    return redirect("strategy:budgets")


@require_POST
@workspace_view(Action.MANAGE_STRATEGY)
def spend_upload(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        return _page(request, error=_("Choose a CSV file."), form="upload", status=400)
    if upload.size and upload.size > spend_import.MAX_BYTES:
        return _page(request, error=_("The file is larger than 5 MB."), form="upload",
                     status=400)
    try:
        batch = spend_import.import_spend(
            request.membership.workspace, upload.read(spend_import.MAX_BYTES + 1),
            fmt=request.POST.get("format") or None, filename=upload.name or "",
            user=request.user)
    except spend_import.SpendImportError as exc:
        return _page(request, error=str(exc), form="upload", status=400)
    return redirect("strategy:spend_import", pk=batch.pk)


@workspace_view(Action.VIEW_ANALYTICS)
def spend_import_result(request: HttpRequest, pk: int) -> HttpResponse:
    batch = SpendImport.objects.filter(workspace=request.membership.workspace, pk=pk).first()
    if batch is None:
        raise Http404(_("No such import"))
    entries: Any = batch.entries.select_related("campaign").order_by("date", "pk")
    return render(request, "strategy/spend_import.html", {"batch": batch, "entries": entries})
