"""Calendar (month, week, list), moving a post by drag and drop, campaigns and labels, and the
secret calendar feed. Thin: the rules are in planner.services and publishing.services."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from keryx.core.access import membership_for
from keryx.core.permissions import Action, can, require
from keryx.core.web import safe_next, workspace_view
from keryx.planner import calendar, services
from keryx.planner.forms import CampaignForm, LabelForm
from keryx.planner.ics import render_feed
from keryx.planner.models import CalendarFeed, Campaign, Label
from keryx.publishing.models import Post

HOURS = range(24)


def _viewer_zone() -> Any:
    return calendar.zone(str(timezone.get_current_timezone()))


def _parse_day(value: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return fallback


def _parse_month(value: str | None, fallback: date) -> date:
    try:
        year, month = (int(x) for x in (value or "").split("-", 1))
        return date(year, month, 1)
    except ValueError:
        return fallback.replace(day=1)


def _context(request: HttpRequest, view: str, days: list[date], *, month: int | None,
             filters: calendar.Filters, extra: dict[str, Any],
             per_day: int | None = None) -> dict[str, Any]:
    membership = request.membership
    workspace = membership.workspace
    tz = _viewer_zone()
    choices = calendar.choices(workspace)
    cards, counts = calendar.cards_between(
        membership, calendar.day_start(days[0], tz),
        calendar.day_start(days[-1] + timedelta(days=1), tz), filters,
        viewer_tz=tz, options=choices, per_day=per_day,
    )
    today = timezone.now().astimezone(tz).date()
    return {
        "view": view,
        "days": calendar.group_by_day(days, cards, counts, month=month, today=today),
        "count": sum(counts.values()),
        "filters": filters,
        "filter_qs": filters.query_string(),
        "choices": choices,
        "viewer_tz": str(tz),
        "workspace": workspace,
        "can_write": can(membership, Action.CREATE_DRAFT),
        "today": today,
        # Cards build their links from these (reverse() per card costs more than the card).
        "posts_base": reverse("posts:list"),
        "calendar_base": reverse("planner:month"),
        **extra,
    }


@workspace_view()
def month_view(request: HttpRequest) -> HttpResponse:
    today = timezone.now().astimezone(_viewer_zone()).date()
    first = _parse_month(request.GET.get("month"), today)
    days = calendar.month_days(first.year, first.month)
    filters = calendar.Filters.from_query(request.GET)
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    context = _context(request, "month", days, month=first.month, filters=filters,
                       per_day=calendar.DAY_LIMIT, extra={
        "first": first,
        "weeks": None,
        "prev": f"{prev_month:%Y-%m}",
        "next": f"{next_month:%Y-%m}",
        "this": f"{today:%Y-%m}",
    })
    context["weeks"] = [context["days"][i:i + 7] for i in range(0, len(context["days"]), 7)]
    return render(request, "planner/month.html", context)


@workspace_view()
def week_view(request: HttpRequest) -> HttpResponse:
    today = timezone.now().astimezone(_viewer_zone()).date()
    day = _parse_day(request.GET.get("day"), today)
    days = calendar.week_days(day)
    filters = calendar.Filters.from_query(request.GET)
    context = _context(request, "week", days, month=None, filters=filters, extra={
        "prev": (days[0] - timedelta(days=7)).isoformat(),
        "next": (days[0] + timedelta(days=7)).isoformat(),
        "this": today.isoformat(),
        "hours": HOURS,
    })
    # Each day's cards by hour of the viewer's clock, for the slot grid.
    for d in context["days"]:
        d.by_hour = [[c for c in d.cards if c.when.hour == h] for h in HOURS]
    context["rows"] = [
        (h, [(d, d.by_hour[h]) for d in context["days"]]) for h in HOURS
    ]
    return render(request, "planner/week.html", context)


@workspace_view()
def list_view(request: HttpRequest) -> HttpResponse:
    today = timezone.now().astimezone(_viewer_zone()).date()
    start = _parse_day(request.GET.get("from"), today)
    try:
        length = max(1, min(int(request.GET.get("days", calendar.LIST_DAYS)), 92))
    except ValueError:
        length = calendar.LIST_DAYS
    days = [start + timedelta(days=i) for i in range(length)]
    filters = calendar.Filters.from_query(request.GET)
    context = _context(request, "list", days, month=None, filters=filters, extra={
        "prev": (start - timedelta(days=length)).isoformat(),
        "next": (start + timedelta(days=length)).isoformat(),
        "this": today.isoformat(),
        "length": length,
    })
    context["days"] = [d for d in context["days"] if d.cards]
    return render(request, "planner/list.html", context)


# ---------------------------------------------------------------------------------------------
# Drag and drop
# ---------------------------------------------------------------------------------------------


def _refuse(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"ok": False, "error": message}, status=status)
    messages.error(request, message)
    return redirect(safe_next(request, reverse("planner:month")))


@require_POST
@workspace_view()
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a post to another day (`day`, same time of day in the workspace's zone) or to an
    hour slot of the viewer's clock (`slot`, keeping the minutes). Answers JSON to the
    calendar's script, or redirects back with a message for a plain form."""
    post = (
        Post.objects.select_related("workspace")
        .filter(pk=pk, workspace__memberships__user=request.user)
        .first()
    )
    if post is None:
        raise Http404("No such post")
    require(membership_for(request.user, post.workspace_id), Action.RESCHEDULE_POST, post)
    try:
        if request.POST.get("slot"):
            try:
                slot = datetime.fromisoformat(request.POST["slot"][:16])
            except ValueError:
                return _refuse(request, _("That is not a time on the calendar."))
            when = services.new_time_for_slot(post, slot, str(_viewer_zone()))
        else:
            try:
                day = date.fromisoformat(request.POST.get("day", ""))
            except ValueError:
                return _refuse(request, _("That is not a day on the calendar."))
            when = services.new_time_for_day(post, day)
        services.move_post(post, when, actor=request.user.get_username())
    except services.MoveRefused as exc:
        return _refuse(request, str(exc))
    local = when.astimezone(_viewer_zone())
    text = _("Moved to %(when)s.") % {"when": f"{local:%Y-%m-%d %H:%M}"}
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"ok": True, "message": text, "day": local.date().isoformat(),
                             "time": f"{local:%H:%M}", "scheduled_at": when.isoformat()})
    messages.success(request, text)
    return redirect(safe_next(request, reverse("planner:month")))


# ---------------------------------------------------------------------------------------------
# Campaigns and labels
# ---------------------------------------------------------------------------------------------


@workspace_view()
def tags(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    return render(request, "planner/tags.html", {
        "campaigns": Campaign.objects.filter(workspace=workspace),
        "labels": Label.objects.filter(workspace=workspace),
        "can_edit": can(request.membership, Action.MANAGE_PLANNING),
    })


def _edit(request: HttpRequest, model: type, form_class: type, pk: int | None,
          title: str) -> HttpResponse:
    workspace = request.membership.workspace
    instance = get_object_or_404(model, pk=pk, workspace=workspace) if pk else None
    form = form_class(request.POST or None, instance=instance, workspace=workspace)
    if request.method == "POST":
        if request.POST.get("delete") and instance is not None:
            instance.delete()
            messages.success(request, _("Deleted."))
            return redirect("planner:tags")
        if form.is_valid():
            form.save()
            messages.success(request, _("Saved."))
            return redirect("planner:tags")
    return render(request, "planner/tag_form.html", {
        "form": form, "title": title, "instance": instance,
    }, status=400 if request.method == "POST" else 200)


@workspace_view(Action.MANAGE_PLANNING)
def campaign_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(request, Campaign, CampaignForm, pk,
                 _("Edit campaign") if pk else _("New campaign"))


@workspace_view(Action.MANAGE_PLANNING)
def label_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(request, Label, LabelForm, pk, _("Edit label") if pk else _("New label"))


# ---------------------------------------------------------------------------------------------
# The secret calendar feed
# ---------------------------------------------------------------------------------------------


@workspace_view(Action.MANAGE_SETTINGS)
def feed_settings(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    new_url = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.revoke_feed(workspace)
            messages.success(request, _("The calendar feed URL no longer works."))
            return redirect("planner:feed_settings")
        token = services.issue_feed(workspace, request.user)
        new_url = request.build_absolute_uri(reverse("planner:feed", args=[token]))
    feed = CalendarFeed.objects.filter(workspace=workspace).first()
    return render(request, "planner/feed.html", {"feed": feed, "new_url": new_url})


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """Public by design (calendar apps cannot sign in): the secret in the URL is the key, and
    an unknown or revoked one gets the same 404."""
    found = services.feed_for_token(token)
    if found is None:
        raise Http404("No such feed")
    CalendarFeed.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    response = HttpResponse(
        render_feed(found.workspace), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="keryx.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
