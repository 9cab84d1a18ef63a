"""The workspace's schedule as an iCalendar (RFC 5545) feed, for Google Calendar, Outlook or
Thunderbird. Built with the `icalendar` library, which does the escaping (commas, semicolons,
backslashes, newlines) and folds lines at 75 octets without splitting a UTF-8 character."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from keryx.core.models import Workspace
from keryx.publishing.models import Post, PostTarget, TargetState

# What a subscriber sees: what is planned and what went out, not drafts or cancelled posts.
FEED_STATES = (
    TargetState.PENDING_APPROVAL, TargetState.SCHEDULED, TargetState.PUBLISHING,
    TargetState.PUBLISHED, TargetState.FAILED, TargetState.UNKNOWN,
)
PAST = timedelta(days=90)
FUTURE = timedelta(days=400)
MAX_EVENTS = 5000
DURATION = timedelta(minutes=15)


def feed_posts(workspace: Workspace) -> list[Post]:
    now = timezone.now()
    return list(
        Post.objects.filter(
            workspace=workspace,
            scheduled_at__gte=now - PAST,
            scheduled_at__lte=now + FUTURE,
            targets__state__in=FEED_STATES,
        )
        .distinct()
        .select_related("campaign")
        .prefetch_related(
            Prefetch("targets", queryset=PostTarget.objects.select_related("channel")
                     .order_by("channel__name")),
            "labels",
        )
        .order_by("scheduled_at", "pk")[:MAX_EVENTS]
    )


def render_feed(workspace: Workspace) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Keryx//Calendar feed//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Keryx · {workspace.name}")
    cal.add("x-wr-timezone", workspace.timezone)
    host = settings.BASE_URL.split("://", 1)[-1].split("/", 1)[0] or "keryx"
    stamp = timezone.now()
    for post in feed_posts(workspace):
        targets = [t for t in post.targets.all() if t.state != TargetState.CANCELLED]
        channels = ", ".join(t.channel.name for t in targets)
        first_line = (post.text.strip().splitlines() or [""])[0]
        summary = first_line[:70] + ("…" if len(first_line) > 70 else "")
        event = Event()
        event.add("uid", f"post-{post.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", post.scheduled_at)
        event.add("dtend", post.scheduled_at + DURATION)
        event.add("summary", f"[{channels}] {summary}" if channels else summary)
        states = "\n".join(f"{t.channel.name}: {t.get_state_display()}" for t in targets)
        event.add("description", f"{post.text}\n\n{states}".strip())
        event.add("url", settings.BASE_URL + reverse("posts:detail", args=[post.pk]))
        categories = [label.name for label in post.labels.all()]
        if post.campaign is not None:
            categories.insert(0, post.campaign.name)
        if categories:
            event.add("categories", categories)
        event.add("last-modified", post.updated_at)
        cal.add_component(event)
    return cal.to_ical()
