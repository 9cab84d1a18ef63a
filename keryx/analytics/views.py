"""The analytics page and its CSV export. Thin: filters in, keryx.analytics.services out."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from keryx.analytics import charts, services
from keryx.analytics.maths import Heatmap
from keryx.channels.models import Channel
from keryx.core.models import Role
from keryx.core.web import workspace_view


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(request: HttpRequest) -> tuple[Any, list[Channel], list[Channel], str]:
    workspace = request.membership.workspace
    every = list(Channel.objects.filter(workspace=workspace).order_by("name"))
    wanted = {v for v in request.GET.getlist("channel") if v}
    chosen = [c for c in every if str(c.pk) in wanted]
    error = ""
    try:
        when = services.period(workspace, _date(request.GET.get("from")),
                               _date(request.GET.get("until")))
    except ValueError:
        error = _("The period starts after it ends; showing the last 30 days.")
        when = services.period(workspace)
    return when, every, chosen, error


def _heatmap_rows(heat: Heatmap) -> list[dict[str, Any]]:
    names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    top = max((c.average for c in heat.cells.values()), default=0) or 1
    rows = []
    for weekday, name in enumerate(names):
        cells = []
        for hour in range(24):
            cell = heat.cells.get((weekday, hour))
            cells.append({"hour": hour, "cell": cell,
                          "alpha": round(0.12 + 0.88 * cell.average / top, 2) if cell else 0})
        rows.append({"name": name, "cells": cells})
    return rows


@workspace_view(Role.VIEWER)
def analytics_page(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    when, every, chosen, error = _filters(request)
    rows = services.post_rows(workspace, when, chosen or None)
    summary = services.summary(workspace, when, chosen or None)
    heat = services.heatmap(workspace, when, chosen or None, rows=rows)
    followers = services.follower_series(workspace, when, chosen or None)
    gained = services.engagement_series(workspace, when, chosen or None)
    return render(request, "analytics/page.html", {
        "period": when,
        "channels": every,
        "chosen": {c.pk for c in chosen},
        "error": error,
        "summary": summary,
        "follower_chart": charts.line_chart(followers, _("Followers per day")),
        "engagement_chart": charts.bar_chart(gained, _("Engagements gained per day")),
        "engagement_series_formula": services.ENGAGEMENT_SERIES_FORMULA,
        "heatmap": heat,
        "heatmap_rows": _heatmap_rows(heat),
        "hours": range(24),
        "query": request.GET.urlencode(),
    })


@workspace_view(Role.VIEWER)
def analytics_csv(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    when, _every, chosen, _error = _filters(request)
    rows = services.post_rows(workspace, when, chosen or None)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"keryx-analytics-{when.first_day}-{when.last_day}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    services.write_csv(response, rows)
    return response
