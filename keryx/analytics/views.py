"""The analytics page and its CSV export. Thin: filters in, keryx.analytics.services out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keryx.analytics import benchmarks, charts, maths, services
from keryx.analytics.maths import Heatmap
from keryx.analytics.reports.export import language_of, pdf_filename, pdf_report
from keryx.analytics.reports.fonts import FontMissing
from keryx.channels.models import Channel
from keryx.core.permissions import Action
from keryx.core.web import workspace_view
from keryx.planner.models import Campaign, Label


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdecimal() else None


@dataclass
class Filters:
    period: services.Period
    channels: list[Channel]
    chosen: list[Channel]
    campaigns: list[Campaign]
    labels: list[Label]
    only: services.PostFilter
    error: str = ""

    @property
    def scope(self) -> list[Channel] | None:
        return self.chosen or None


def _filters(request: HttpRequest) -> Filters:
    workspace = request.membership.workspace
    every = list(Channel.objects.filter(workspace=workspace).order_by("name"))
    wanted = {v for v in request.GET.getlist("channel") if v}
    chosen = [c for c in every if str(c.pk) in wanted]
    campaigns = list(Campaign.objects.filter(workspace=workspace).order_by("name"))
    labels = list(Label.objects.filter(workspace=workspace).order_by("name"))
    # Ids of other workspaces' campaigns and labels are dropped, not looked up.
    campaign = _int(request.GET.get("campaign"))
    campaign = campaign if campaign in {c.pk for c in campaigns} else None
    label_ids = {_int(v) for v in request.GET.getlist("label")} & {lb.pk for lb in labels}
    only = services.PostFilter(campaign, tuple(sorted(i for i in label_ids if i)))
    error = ""
    try:
        when = services.period(workspace, _date(request.GET.get("from")),
                               _date(request.GET.get("until")))
    except ValueError:
        error = _("The period starts after it ends; showing the last 30 days.")
        when = services.period(workspace)
    return Filters(when, every, chosen, campaigns, labels, only, error)


WEEKDAYS = (gettext_lazy("Monday"), gettext_lazy("Tuesday"), gettext_lazy("Wednesday"),
            gettext_lazy("Thursday"), gettext_lazy("Friday"), gettext_lazy("Saturday"),
            gettext_lazy("Sunday"))


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


BENCHMARK_NAMES = {"engagement_rate_by_followers": gettext_lazy("Engagement rate by followers"),
                   "posts_per_week": gettext_lazy("Posts a week"),
                   "followers_per_month": gettext_lazy("New followers a month")}


def _benchmark_rows(figures: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each figure with its name and the differences as distances (the side says which way)."""
    return [{**f, "key": key, "name": BENCHMARK_NAMES[key],
             "target_gap": None if f["target_difference"] is None else abs(f["target_difference"]),
             "trailing_gap": None if f["trailing_difference"] is None
             else abs(f["trailing_difference"])} for key, f in figures.items()]
def _without(request: HttpRequest, name: str) -> str:
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()


@workspace_view(Action.VIEW_ANALYTICS)
def analytics_page(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    f = _filters(request)
    summary = services.summary(workspace, f.period, f.scope, f.only)
    pages = max(1, -(-summary["posts"] // services.PAGE_POSTS))
    page = min(_int(request.GET.get("page")) or 1, pages)
    rows = services.post_rows(workspace, f.period, f.scope, f.only, newest_first=True,
                              limit=services.PAGE_POSTS, offset=(page - 1) * services.PAGE_POSTS)
    heat = services.heatmap(workspace, f.period, f.scope, only=f.only)
    followers = services.follower_series(workspace, f.period, f.scope)
    gained = services.engagement_series(workspace, f.period, f.scope, f.only)
    against = benchmarks.compare(workspace, f.period, f.scope, summary, f.only, rows=rows)
    return render(request, "analytics/page.html", {
        "period": f.period,
        "channels": f.channels,
        "chosen": {c.pk for c in f.chosen},
        "campaigns": f.campaigns,
        "labels": f.labels,
        "only": f.only,
        "error": f.error,
        "summary": summary,
        "rows": rows,
        "breakdowns": [(_("Networks"), summary["by_network"], "network"),
                       (_("Channels"), summary["by_channel"], "channel"),
                       (_("Campaigns"), summary["by_campaign"], "campaign"),
                       (_("Labels"), summary["by_label"], "label")],
        "ranked": [(_("Top posts"), summary["top_posts"], "top-posts"),
                   (_("Bottom posts"), summary["bottom_posts"], "bottom-posts")],
        "page": page,
        "pages": pages,
        "page_query": _without(request, "page"),
        "follower_chart": charts.line_chart(followers, _("Followers per day")),
        "engagement_chart": charts.bar_chart(gained, _("Engagements gained per day")),
        "engagement_series_formula": services.ENGAGEMENT_SERIES_FORMULA,
        "heatmap": heat,
        "heatmap_rows": _heatmap_rows(heat),
        "suggestions": [(WEEKDAYS[c.weekday], f"{c.hour:02d}:00", c)
                        for c in maths.suggestions(heat)],
        "hours": range(24),
        "query": request.GET.urlencode(),
        "benchmarks": against,
        "benchmark_rows": _benchmark_rows(against["figures"]),
        "benchmark_channels": [(c["channel"], _benchmark_rows(c["figures"]))
                               for c in against["channels"]],
    })


@workspace_view(Action.VIEW_ANALYTICS)
def analytics_csv(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    f = _filters(request)
    rows = services.post_rows(workspace, f.period, f.scope, f.only)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"keryx-analytics-{f.period.first_day}-{f.period.last_day}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    services.write_csv(response, rows)
    return response


@workspace_view(Action.VIEW_ANALYTICS)
def analytics_pdf(request: HttpRequest) -> HttpResponse:
    """The PDF report of the page's period and filters, in the user's language."""
    workspace = request.membership.workspace
    f = _filters(request)
    try:
        data = pdf_report(workspace, f.period, f.scope, f.only, language=language_of(request.user))
    except FontMissing as exc:
        messages.error(request, str(exc))
        return redirect(f"{reverse('analytics:page')}?{request.GET.urlencode()}")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(workspace, f.period)}"'
    return response
