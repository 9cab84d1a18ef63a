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
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from keryx.analytics import services as analytics
from keryx.core.permissions import Action, can
from keryx.core.web import workspace_view
from keryx.planner.models import Campaign
from keryx.strategy import budgets, costs, spend_import
from keryx.strategy.models import Budget, Category, Source, SpendEntry, SpendImport

RECENT_SPEND = 50
RECENT_IMPORTS = 10
# The field a refusal names, as the form labels it.
FIELD_LABELS = {"amount": _lazy("Amount"), "currency": _lazy("Currency"),
                "category": _lazy("Category"), "month": _lazy("Month"),
                "campaign": _lazy("Campaign"), "until_month": _lazy("Last month"),
                "date": _lazy("Date"), "results": _lazy("Results")}


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


def _page(request: HttpRequest, *, error: str = "", form: str = "", error_field: str = "",
          status: int = 200) -> HttpResponse:
    workspace = request.membership.workspace
    first, last = _period(request)
    today = budgets.today_in(workspace)
    return render(request, "strategy/budgets.html", {
        "statuses": [(s, budgets.history(s.budget, today))
                     for s in budgets.statuses(workspace, today)],
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
        "error": error, "error_form": form, "error_field": error_field,
        "error_label": FIELD_LABELS.get(error_field, ""),
        "form": request.POST if error else {},
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
                              note=data.get("note", ""),
                              repeats_monthly="repeats_monthly" in data,
                              until_month=data.get("until_month") or None, user=request.user)
    except budgets.BudgetError as exc:
        return _page(request, error=exc.message, form="budget", error_field=exc.field,
                     status=400)
    messages.success(request, _("Budget added."))
    return redirect("strategy:budgets")


def _own_budget(request: HttpRequest, pk: int) -> Budget:
    budget = Budget.objects.filter(workspace=request.membership.workspace, pk=pk) \
        .select_related("campaign").first()
    if budget is None:
        raise Http404(_("No such budget"))
    return budget


@workspace_view(Action.MANAGE_STRATEGY)
def budget_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the budget's form, filled in; POST: the change, through budgets.update_budget.
    A refusal shows the form again as sent, with the field named."""
    budget = _own_budget(request, pk)
    error, field = "", ""
    if request.method == "POST":
        data = request.POST
        try:
            budgets.update_budget(
                budget, category=data.get("category", ""), amount=data.get("amount", ""),
                currency=data.get("currency", ""), month=data.get("month") or None,
                campaign=data.get("campaign") or None, note=data.get("note", ""),
                repeats_monthly="repeats_monthly" in data,
                until_month=data.get("until_month") or None)
        except budgets.BudgetError as exc:
            error, field = exc.message, exc.field
            budget = _own_budget(request, pk)  # the form shows what was sent, not the half-change
        else:
            messages.success(request, _("Budget changed."))
            return redirect("strategy:budgets")
    sent = request.POST if error else None
    form = sent if sent is not None else {
        "category": budget.category, "amount": str(budget.amount),
        "currency": budget.currency, "month": budget.month.strftime("%Y-%m")
        if budget.month else "", "campaign": str(budget.campaign_id or ""),
        "note": budget.note, "repeats_monthly": "on" if budget.repeats_monthly else "",
        "until_month": budget.until_month.strftime("%Y-%m") if budget.until_month else ""}
    return render(request, "strategy/budget_edit.html", {
        "budget": budget, "form": form, "error": error, "error_field": field,
        "error_label": FIELD_LABELS.get(field, ""), "categories": Category.choices,
        "campaigns": Campaign.objects.filter(workspace=request.membership.workspace)
        .order_by("name"),
    }, status=400 if error else 200)


@require_POST
@workspace_view(Action.MANAGE_STRATEGY)
def budget_delete(request: HttpRequest, pk: int) -> HttpResponse:
    budgets.delete_budget(_own_budget(request, pk))
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
        return _page(request, error=exc.message, form="spend", error_field=exc.field,
                     status=400)
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
