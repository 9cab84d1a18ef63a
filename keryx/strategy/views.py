"""The strategy, goals and results pages. Thin: keryx.strategy.plan, .goals and .results
decide; forms are parsed here."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.analytics import services as analytics
from keryx.analytics.reports.fonts import FontMissing
from keryx.channels.models import Channel
from keryx.core.permissions import Action, can, require
from keryx.core.web import workspace_view
from keryx.planner.models import Campaign, Label
from keryx.strategy import goals, pdf, plan, results
from keryx.strategy.models import Goal, Metric


def _period(request: HttpRequest) -> analytics.Period:
    workspace = request.membership.workspace
    try:
        first = date.fromisoformat(request.GET["from"]) if request.GET.get("from") else None
        last = date.fromisoformat(request.GET["until"]) if request.GET.get("until") else None
        return analytics.period(workspace, first, last)
    except ValueError:
        return analytics.period(workspace)


def _float(value: str | None) -> float | None:
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        return float("nan")


@workspace_view(Action.VIEW_ANALYTICS)
def strategy_page(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    may_edit = can(request.membership, Action.MANAGE_STRATEGY)
    if request.method == "POST":
        require(request.membership, Action.MANAGE_STRATEGY)
        try:
            plan.create_strategy(workspace, request.POST.get("language", ""))
        except plan.StrategyError as exc:
            messages.error(request, exc.message)
            return redirect("strategy:page")
        messages.success(request, _("Strategy created from the template."))
        return redirect("strategy:edit")
    strategy = plan.strategy_of(workspace)
    when = _period(request)
    return render(request, "strategy/strategy.html", {
        "plan": plan.measured(strategy, when) if strategy else None,
        "goals": [goals.goal_json(g) for g in goals.goals_of(workspace)],
        "may_edit": may_edit, "period": when, "method": goals.PROJECTION_METHOD_TEXT,
    })


@workspace_view(Action.MANAGE_STRATEGY)
def strategy_edit(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    strategy = plan.strategy_of(workspace)
    if strategy is None:
        return redirect("strategy:page")
    channels = list(Channel.objects.filter(workspace=workspace).order_by("name"))
    labels = list(Label.objects.filter(workspace=workspace).order_by("name"))
    mix = {sc.channel_id: sc for sc in strategy.channels.all()}
    shares = {p.label_id: p.target_share for p in strategy.pillars.all()}
    error = ""
    if request.method == "POST":
        data = request.POST
        try:
            rows = [{"channel": c.pk, "main": data.get(f"main_{c.pk}") == "on",
                     "posts_per_week": _float(data.get(f"ppw_{c.pk}")),
                     "role": data.get(f"role_{c.pk}", "")} for c in channels]
            for row in rows:
                if row["posts_per_week"] != row["posts_per_week"]:
                    raise plan.StrategyError(_("Planned posts a week must be a number."))
            pillars = [{"label": lb.pk, "target_share": _float(data.get(f"share_{lb.pk}"))}
                       for lb in labels]
            for row in pillars:
                if row["target_share"] != row["target_share"]:
                    raise plan.StrategyError(_("A pillar's target share must be a number."))
            plan.update_strategy(strategy, text={k: data.get(k, "") for k in plan.TEMPLATES["en"]},
                                 channels=rows, pillars=pillars)
        except plan.StrategyError as exc:
            error = exc.message
        else:
            messages.success(request, _("Strategy saved."))
            return redirect("strategy:page")
    return render(request, "strategy/edit.html", {
        "strategy": strategy, "error": error,
        "channels": [(c, mix.get(c.pk)) for c in channels],
        "labels": [(lb, shares.get(lb.pk)) for lb in labels],
    }, status=400 if error else 200)


def _pdf_response(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@workspace_view(Action.VIEW_ANALYTICS)
def strategy_pdf(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    strategy = plan.strategy_of(workspace)
    if strategy is None:
        raise Http404(_("This workspace has no strategy yet."))
    try:
        body = pdf.render_plan(plan.measured(strategy, _period(request)), workspace.name,
                               [goals.goal_json(g) for g in goals.goals_of(workspace)],
                               str(goals.PROJECTION_METHOD_TEXT), get_language())
    except FontMissing as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return _pdf_response(body, "strategy.pdf")


def _goal(request: HttpRequest, pk: int) -> Goal:
    goal = Goal.objects.filter(workspace=request.membership.workspace, pk=pk).first()
    if goal is None:
        raise Http404(_("No such goal"))
    return goal


@workspace_view(Action.VIEW_ANALYTICS)
def goals_page(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    may_edit = can(request.membership, Action.MANAGE_STRATEGY)
    error = ""
    if request.method == "POST":
        require(request.membership, Action.MANAGE_STRATEGY)
        data = request.POST
        channel = campaign = None
        scope = data.get("scope", "")
        try:
            if scope.startswith("channel:"):
                channel = Channel.objects.filter(workspace=workspace,
                                                 pk=int(scope[8:])).first()
                if channel is None:
                    raise goals.GoalError(_("No such channel in this workspace."))
            elif scope.startswith("campaign:"):
                campaign = Campaign.objects.filter(workspace=workspace,
                                                   pk=int(scope[9:])).first()
                if campaign is None:
                    raise goals.GoalError(_("No such campaign in this workspace."))
            target = _float(data.get("target"))
            if target is None or target != target:
                raise goals.GoalError(_("The target must be a number."))
            try:
                deadline = date.fromisoformat(data.get("deadline", ""))
            except ValueError as exc:
                raise goals.GoalError(_("The deadline must be a date (YYYY-MM-DD).")) from exc
            goals.create_goal(workspace, name=data.get("name", ""),
                              metric=data.get("metric", ""), target=target, deadline=deadline,
                              channel=channel, campaign=campaign, user=request.user)
        except (goals.GoalError, ValueError) as exc:
            error = getattr(exc, "message", str(exc))
        else:
            messages.success(request, _("Goal added."))
            return redirect("strategy:goals")
    return render(request, "strategy/goals.html", {
        "goals": [goals.goal_json(g) for g in goals.goals_of(workspace)],
        "metrics": Metric.choices, "may_edit": may_edit, "error": error,
        "channels": Channel.objects.filter(workspace=workspace).order_by("name"),
        "campaigns": Campaign.objects.filter(workspace=workspace).order_by("name"),
        "method": goals.PROJECTION_METHOD_TEXT, "form": request.POST if error else {},
    }, status=400 if error else 200)


@require_POST
@workspace_view(Action.MANAGE_STRATEGY)
def goal_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    goals.progress(_goal(request, pk))
    messages.success(request, _("Progress computed."))
    return redirect("strategy:goals")


@require_POST
@workspace_view(Action.MANAGE_STRATEGY)
def goal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _goal(request, pk).delete()
    messages.success(request, _("Goal deleted."))
    return redirect("strategy:goals")


def _results(request: HttpRequest) -> dict[str, Any]:
    return results.results(request.membership.workspace)


@workspace_view(Action.VIEW_ANALYTICS)
def results_page(request: HttpRequest) -> HttpResponse:
    return render(request, "strategy/results.html", {"r": _results(request)})


@workspace_view(Action.VIEW_ANALYTICS)
def results_pdf(request: HttpRequest) -> HttpResponse:
    try:
        body = pdf.render_results(_results(request), request.membership.workspace.name,
                                  get_language())
    except FontMissing as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return _pdf_response(body, "results.pdf")
