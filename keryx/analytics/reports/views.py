"""The Reports page (scheduled reports, share links, the logo; linked from the analytics page)
and the shared report a link opens without signing in. Thin: forms in, the reports' modules
out."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.analytics import charts, maths
from keryx.analytics.reports import logo, schedule, sharing
from keryx.analytics.reports.content import POSTS_LISTED, gather
from keryx.analytics.reports.export import language_of, pdf_filename, pdf_report
from keryx.analytics.reports.fonts import FontMissing
from keryx.analytics.reports.forms import LogoForm, ScheduledReportForm, ShareLinkForm
from keryx.analytics.reports.labels import benchmark_rows, formula_label, reason_label
from keryx.analytics.reports.models import ScheduledReport, ShareLink
from keryx.analytics.reports.pdf import weekday_names
from keryx.core.permissions import Action
from keryx.core.web import workspace_view


def _page(request: HttpRequest, *, report_form: ScheduledReportForm | None = None,
          share_form: ShareLinkForm | None = None, new_link: str = "") -> HttpResponse:
    workspace = request.membership.workspace
    language = language_of(request.user)
    initial_share: dict[str, Any] = {"language": language}
    for key, field in (("from", "first_day"), ("until", "last_day")):
        if request.GET.get(key):
            initial_share[field] = request.GET[key]
    if request.GET.getlist("channel"):
        initial_share["channels"] = request.GET.getlist("channel")
    reports = list(ScheduledReport.objects.filter(workspace=workspace)
                   .select_related("campaign")
                   .prefetch_related("channels", "members", "labels").order_by("name", "pk"))
    now = timezone.now()
    for r in reports:
        r.advice = schedule.advice(r)
        r.sending = bool(r.claimed_until and r.claimed_until > now)
    return render(request, "analytics/reports.html", {
        "reports": reports,
        "links": ShareLink.objects.filter(workspace=workspace).prefetch_related("channels")
        .order_by("-created_at", "-pk"),
        "report_form": report_form or ScheduledReportForm(
            workspace, initial={"language": language}),
        "share_form": share_form or ShareLinkForm(workspace, initial=initial_share),
        "logo_form": LogoForm(),
        "has_logo": logo.logo_png(workspace) is not None,
        "new_link": new_link,
    })


@workspace_view(Action.MANAGE_REPORTS)
def reports_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@workspace_view(Action.MANAGE_REPORTS)
def report_new(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    form = ScheduledReportForm(workspace, request.POST)
    if not form.is_valid():
        return _page(request, report_form=form)
    report = schedule.create(
        workspace, name=form.cleaned_data["name"], frequency=form.cleaned_data["frequency"],
        channels=list(form.cleaned_data["channels"]), members=list(form.cleaned_data["members"]),
        addresses=form.cleaned_data["addresses"], language=form.cleaned_data["language"],
        campaign=form.cleaned_data["campaign"], labels=list(form.cleaned_data["labels"]),
        user=request.user)
    first = report.next_run_at.astimezone(ZoneInfo(workspace.timezone or "UTC"))
    messages.success(request, _("Scheduled report saved; it is first sent on %(when)s.") % {
        "when": f"{first:%Y-%m-%d %H:%M}"})
    return redirect("analytics:reports")


@workspace_view(Action.MANAGE_REPORTS)
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = request.membership.workspace
    report = ScheduledReport.objects.filter(workspace=workspace, pk=pk).first()
    if report is None:
        raise Http404
    if request.method == "POST":
        form = ScheduledReportForm(workspace, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            schedule.update(
                workspace, pk, name=data["name"], frequency=data["frequency"],
                channels=list(data["channels"]), members=list(data["members"]),
                addresses=data["addresses"], language=data["language"],
                campaign=data["campaign"], labels=list(data["labels"]), user=request.user)
            messages.success(request, _("Scheduled report saved."))
            return redirect("analytics:reports")
    else:
        form = ScheduledReportForm(workspace, initial=ScheduledReportForm.initial_of(report))
    return render(request, "analytics/report_edit.html", {"report": report, "form": form})


@require_POST
@workspace_view(Action.MANAGE_REPORTS)
def report_send_now(request: HttpRequest, pk: int) -> HttpResponse:
    done = schedule.send_now(request.membership.workspace, pk, user=request.user)
    if done is None:
        raise Http404
    outcome, span = done
    words = {"from": span.first_day, "until": span.last_day}
    if outcome == "sent":
        messages.success(request, _("The report for %(from)s – %(until)s was sent.") % words)
    elif outcome == "already-sent":
        messages.info(request, _("The report for %(from)s – %(until)s had already been sent; "
                                 "it is not sent twice.") % words)
    elif outcome == "busy":
        messages.info(request, _("The report is being sent right now; look again in a "
                                 "minute."))
    else:
        messages.error(request, _("The report for %(from)s – %(until)s was not sent: see its "
                                  "last error below.") % words)
    return redirect("analytics:reports")


@require_POST
@workspace_view(Action.MANAGE_REPORTS)
def report_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not schedule.delete(request.membership.workspace, pk, user=request.user):
        raise Http404
    messages.success(request, _("Scheduled report deleted."))
    return redirect("analytics:reports")


@require_POST
@workspace_view(Action.MANAGE_REPORTS)
def share_new(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    form = ShareLinkForm(workspace, request.POST)
    if not form.is_valid():
        return _page(request, share_form=form)
    data = form.cleaned_data
    _link, token = sharing.issue(
        workspace, name=data["name"], first_day=data["first_day"], last_day=data["last_day"],
        channels=list(data["channels"]), campaign=data["campaign"], labels=list(data["labels"]),
        language=data["language"], expires_at=form.expires_at(), user=request.user)
    url = request.build_absolute_uri(reverse("analytics:shared", args=[token]))
    messages.success(request, _("Share link made. Copy it now: it is shown only once."))
    return _page(request, new_link=url)


@require_POST
@workspace_view(Action.MANAGE_REPORTS)
def share_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not sharing.revoke(request.membership.workspace, pk, user=request.user):
        raise Http404
    messages.success(request, _("Share link revoked: it no longer opens the report."))
    return redirect("analytics:reports")


@require_POST
@workspace_view(Action.MANAGE_REPORTS)
def logo_upload(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    if request.POST.get("action") == "remove":
        logo.remove_logo(workspace, user=request.user)
        messages.success(request, _("Logo removed."))
        return redirect("analytics:reports")
    form = LogoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an image file."))
        return redirect("analytics:reports")
    try:
        logo.save_logo(workspace, form.cleaned_data["logo"], user=request.user)
    except (logo.LogoError, ValidationError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Logo saved; reports show it from now on."))
    return redirect("analytics:reports")


def _shared_link(token: str) -> ShareLink:
    link = sharing.resolve(token)
    if link is None:
        raise Http404
    return link


def _shared_labels(report: Any) -> dict[str, Any]:
    """The formulas and reasons of the shared page, in the link's language."""
    s = report.summary
    rate = {key: {"formula": formula_label(avg["formula"]), "reason": reason_label(avg["reason"]),
                  "parts": [{**p, "formula": formula_label(p["formula"])}
                            for p in avg["by_formula"]]}
            for key, avg in s["engagement_rate"].items()}
    groups = {kind: [{**g, "rate_reason": reason_label(
        g["engagement_rate_by_followers"]["reason"])} for g in s[kind]]
        for kind in ("by_network", "by_channel", "hashtags")}
    return {"rate": rate, "groups": groups,
            "engagements": formula_label(s["engagements_formula"]),
            "growth_reason": reason_label(s["follower_growth_reason"]),
            "series": formula_label(report.engagement_series_formula),
            "heat_formula": formula_label(report.heatmap.formula),
            "heat_warning": reason_label(report.heatmap.warning),
            "top_formula": formula_label(s["top_posts"][0]["engagement_rate_formula"]
                                         ["by_followers"]) if s["top_posts"] else ""}


def shared_report(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only report a share link opens; no sign-in. Unknown or revoked: 404."""
    link = _shared_link(token)
    when, channels, only = sharing.scope(link)
    with translation.override(link.language):
        report = gather(link.workspace, when, channels or None, only)
        words = _shared_labels(report)
        heat = report.heatmap
        names = weekday_names()
        top = max((c.average for c in heat.cells.values()), default=0) or 1
        heat_rows = [{"name": names[d], "cells": [
            {"cell": heat.cells.get((d, h)),
             "alpha": round(0.12 + 0.88 * heat.cells[(d, h)].average / top, 2)
             if (d, h) in heat.cells else 0} for h in range(24)]} for d in range(7)]
        response = render(request, "analytics/shared_report.html", {
            "link": link, "token": token, "report": report, "summary": report.summary,
            "follower_chart": charts.line_chart(report.followers, _("Followers per day")),
            "engagement_chart": charts.bar_chart(report.engagements,
                                                 _("Engagements gained per day")),
            "heatmap_rows": heat_rows, "hours": range(24),
            "suggestions": maths.suggestions(heat), "weekdays": names,
            "benchmarks": report.benchmarks,
            "benchmark_rows": benchmark_rows(report.benchmarks["figures"]),
            "benchmark_channels": [(c["channel"], benchmark_rows(c["figures"]))
                                   for c in report.benchmarks["channels"]],
            "labels": words,
            "rate_rows": [{"key": key.replace("by_", ""), "name": name,
                           "value": report.summary["engagement_rate"][key]["value"],
                           **words["rate"][key]}
                          for key, name in (
                              ("by_followers", _("Engagement rate by followers")),
                              ("by_reach", _("Engagement rate by reach")),
                              ("by_impressions", _("Engagement rate by impressions")))],
            "post_tables": [(_("Top posts"), report.summary["top_posts"], "top-posts"),
                            (_("Bottom posts"), report.summary["bottom_posts"], "bottom-posts"),
                            (_("All posts"), report.rows[:POSTS_LISTED], "all-posts")],
            "posts_more": max(len(report.rows) - POSTS_LISTED, 0),
            "LANGUAGE_CODE": link.language,
        })
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def shared_pdf(request: HttpRequest, token: str) -> HttpResponse:
    link = _shared_link(token)
    when, channels, only = sharing.scope(link)
    try:
        data = pdf_report(link.workspace, when, channels or None, only, language=link.language)
    except FontMissing as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{pdf_filename(link.workspace, when)}"')
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
