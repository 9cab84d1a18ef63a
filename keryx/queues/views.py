"""Queue pages: each channel's posting schedule and queued posts, pause/resume, reshuffle,
and evergreen rules. Thin: the rules are in keryx.queues.services."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.channels.models import Channel
from keryx.core.permissions import Action, can
from keryx.core.web import workspace_view
from keryx.publishing.models import Post
from keryx.publishing.services import PostRejected
from keryx.queues import services, suggestions
from keryx.queues.forms import EvergreenForm, ScheduleForm, parse_times
from keryx.queues.models import EvergreenRule, QueueEntry, QueueSlot, Weekday


def _channel(request: HttpRequest, pk: int) -> Channel:
    channel = Channel.objects.filter(pk=pk, workspace=request.membership.workspace).first()
    if channel is None:
        raise Http404("No such channel")
    return channel


@workspace_view()
def queue_list(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    channels = list(
        Channel.objects.filter(workspace=workspace).select_related("queue").prefetch_related(
            Prefetch("queue__slots", queryset=QueueSlot.objects.order_by("weekday", "time"))
        )
    )
    waiting = (
        QueueEntry.objects.filter(channel__workspace=workspace,
                                  target__state__in=services.WAITING)
        .select_related("target__post")
        .order_by("slot_at", "pk")
    )
    by_channel: dict[int, list[QueueEntry]] = defaultdict(list)
    for entry in waiting:
        if len(by_channel[entry.channel_id]) < 20:
            by_channel[entry.channel_id].append(entry)
    rows = []
    for channel in channels:
        schedule = getattr(channel, "queue", None)
        days: dict[int, list[str]] = defaultdict(list)
        for slot in schedule.slots.all() if schedule else ():
            days[slot.weekday].append(slot.time.strftime("%H:%M"))
        rows.append({
            "channel": channel,
            "schedule": schedule,
            "days": [(day.label, days.get(day.value, [])) for day in Weekday],
            "entries": by_channel.get(channel.pk, []),
        })
    rules = EvergreenRule.objects.filter(workspace=workspace).select_related("post")
    return render(request, "queues/list.html", {
        "rows": rows, "rules": rules, "can_edit": can(request.membership, Action.MANAGE_PLANNING),
    })


@workspace_view(Action.MANAGE_PLANNING)
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    schedule = services.schedule_for(channel)
    if request.method == "POST":
        form = ScheduleForm(request.POST)
        if form.is_valid():
            services.set_slots(schedule, form.slots(), tz_name=form.cleaned_data["timezone"])
            messages.success(request, _("Posting schedule saved. Reshuffle the queue to move "
                                        "queued posts into the new slots."))
            return redirect("queues:list")
    else:
        initial: dict[str, str] = {"timezone": schedule.timezone}
        days: dict[int, list[str]] = defaultdict(list)
        for weekday, t in schedule.slots.values_list("weekday", "time"):
            days[weekday].append(t.strftime("%H:%M"))
        for day, times in days.items():
            initial[f"day_{day}"] = ", ".join(times)
        form = ScheduleForm(initial=initial)
    return render(request, "queues/schedule.html", {
        "form": form, "channel": channel, "schedule": schedule,
        "suggested": suggestions.for_channel(schedule),
    }, status=400 if request.method == "POST" else 200)


@require_POST
@workspace_view(Action.MANAGE_PLANNING)
def slot_add(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: add a suggested time (weekday, HH:MM in the schedule's zone) to the queue."""
    channel = _channel(request, pk)
    schedule = services.schedule_for(channel)
    weekday = request.POST.get("weekday", "")
    try:
        at = parse_times(request.POST.get("time", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("queues:schedule", channel.pk)
    if not weekday.isdecimal() or int(weekday) > 6 or len(at) != 1:
        messages.error(request, _("Choose one weekday and one time to add."))
        return redirect("queues:schedule", channel.pk)
    day = Weekday(int(weekday)).label
    if suggestions.add_slot(schedule, int(weekday), at[0]):
        messages.success(request, _("%(day)s %(time)s added to the posting schedule. Reshuffle "
                                    "the queue to move queued posts into it.")
                         % {"day": day, "time": at[0].strftime("%H:%M")})
    else:
        messages.info(request, _("%(day)s %(time)s is already in the posting schedule.")
                      % {"day": day, "time": at[0].strftime("%H:%M")})
    return redirect("queues:schedule", channel.pk)


@require_POST
@workspace_view(Action.MANAGE_PLANNING)
def queue_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    channel = _channel(request, pk)
    actor = request.user.get_username()
    try:
        if action == "pause":
            count = services.pause_queue(channel, actor=actor)
            messages.success(request, _("Queue paused: %(count)d queued posts held.")
                             % {"count": count})
        elif action == "resume":
            count = services.resume_queue(channel, actor=actor)
            messages.success(request, _("Queue resumed: %(count)d posts released.")
                             % {"count": count})
        elif action == "reshuffle":
            count = services.reshuffle(channel, actor=actor)
            messages.success(request, _("Queue reshuffled: %(count)d posts moved.")
                             % {"count": count})
        else:
            raise Http404("No such action")
    except PostRejected as exc:
        messages.error(request, exc.summary())
    return redirect("queues:list")


@workspace_view(Action.MANAGE_PLANNING)
def evergreen_edit(request: HttpRequest, post_pk: int) -> HttpResponse:
    post = Post.objects.filter(pk=post_pk, workspace=request.membership.workspace).first()
    if post is None:
        raise Http404("No such post")
    rule = EvergreenRule.objects.filter(post=post).first()
    form = EvergreenForm(request.POST or None, initial={
        "every": rule.every, "unit": rule.unit, "until": rule.until,
        "max_count": rule.max_count,
    } if rule else None)
    if request.method == "POST":
        if request.POST.get("action") == "stop" and rule is not None:
            services.stop_evergreen(rule)
            messages.success(request, _("This post will not be recycled any more."))
            return redirect("queues:list")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.make_evergreen(post, every=data["every"], unit=data["unit"],
                                        until=data["until"], max_count=data["max_count"],
                                        user=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The post will be recycled."))
                return redirect("queues:list")
    return render(request, "queues/evergreen.html", {"form": form, "post": post, "rule": rule},
                  status=400 if request.method == "POST" else 200)

