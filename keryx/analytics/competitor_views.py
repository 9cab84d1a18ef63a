"""The competitors page: the workspace's channels and the public accounts it follows, side by
side, with a follower chart; adding, removing and reading now. Thin: keryx.analytics.competitors
does the work."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.analytics import charts, competitors, services
from keryx.analytics.models import Competitor, JobStatus
from keryx.channels.models import Channel
from keryx.core.permissions import Action
from keryx.core.web import workspace_view
from keryx.networks.registry import display_name


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@workspace_view(Action.VIEW_ANALYTICS)
def competitors_page(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    error = ""
    try:
        when = services.period(workspace, _date(request.GET.get("from")),
                               _date(request.GET.get("until")))
    except ValueError:
        error = _("The period starts after it ends; showing the last 30 days.")
        when = services.period(workspace)
    table = competitors.comparison(workspace, when)
    followable = table["networks"]
    own = list(Channel.objects.filter(workspace=workspace, network__in=followable)
               .order_by("name"))
    # The workspace's channels of those networks (none: no line), then each competitor.
    series = services.follower_series(workspace, when, own) if own else {}
    series.update(competitors.follower_series(workspace, when))
    return render(request, "analytics/competitors.html", {
        "period": when,
        "error": error,
        "table": table,
        # The networks the workspace has a channel on first: the form's default is one of them.
        "networks": sorted(((n, display_name(n)) for n in followable),
                           key=lambda item: item[0] not in {c.network for c in own}),
        "reading_channels": own,
        "follower_chart": charts.line_chart(series, _("Followers per day")),
        "query": request.GET.urlencode(),
    })


@require_POST
@workspace_view(Action.MANAGE_COMPETITORS)
def competitor_add(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    channel = None
    channel_id = request.POST.get("channel", "")
    if channel_id.isdecimal():
        channel = Channel.objects.filter(workspace=workspace, pk=int(channel_id)).first()
    try:
        found = competitors.add(workspace, request.POST.get("network", ""),
                                request.POST.get("handle", ""), actor=request.user,
                                channel=channel)
    except competitors.CompetitorError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Following %(handle)s.") % {"handle": found.handle})
    return redirect("analytics:competitors")


@require_POST
@workspace_view(Action.MANAGE_COMPETITORS)
def competitor_remove(request: HttpRequest, pk: int) -> HttpResponse:
    competitor = get_object_or_404(Competitor, pk=pk,
                                   workspace=request.membership.workspace)
    competitors.remove(competitor, actor=request.user)
    messages.success(request, _("No longer following %(handle)s.")
                     % {"handle": competitor.handle})
    return redirect("analytics:competitors")


@require_POST
@workspace_view(Action.MANAGE_COMPETITORS)
def competitor_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    competitor = get_object_or_404(Competitor, pk=pk,
                                   workspace=request.membership.workspace)
    status = competitors.read_now(competitor)
    competitor.refresh_from_db()
    if status == JobStatus.OK:
        messages.success(request, _("Read %(handle)s.") % {"handle": competitor.handle})
    else:
        messages.error(request, competitor.last_message or competitor.get_last_status_display())
    return redirect("analytics:competitors")
