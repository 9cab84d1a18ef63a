"""Planning actions: tag a post with a campaign, labels and kind; move a post on the calendar;
issue and revoke the workspace's secret calendar feed.

Views, the bulk importer and the API call these. Moving a post goes through
publishing.services (validate_post, reschedule_post), so the calendar has no rules of its own
about when a post may go out.
"""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from keryx.core.models import Workspace
from keryx.core.timeutil import InvalidLocalTime, localize
from keryx.planner.models import CalendarFeed, Campaign, Label
from keryx.publishing import services as publishing
from keryx.publishing.models import Post, PostKind, TargetState


class MoveRefused(Exception):
    """The post cannot go to that day or time; the message says why, for the person."""


# ---------------------------------------------------------------------------------------------
# Campaign, labels, kind
# ---------------------------------------------------------------------------------------------


def set_planning(
    post: Post,
    *,
    campaign: Campaign | None = None,
    labels: Iterable[Label] = (),
    kind: str = PostKind.ORGANIC,
) -> Post:
    """Give a post its campaign, labels and kind. Only this workspace's campaigns and labels
    are accepted: anything else is a programming error (forms scope their choices)."""
    labels = list(labels)
    if campaign is not None and campaign.workspace_id != post.workspace_id:
        raise ValueError("campaign of another workspace")
    if any(label.workspace_id != post.workspace_id for label in labels):
        raise ValueError("label of another workspace")
    if kind not in PostKind.values:
        raise ValueError(f"unknown post kind {kind!r}")
    with transaction.atomic():
        Post.objects.filter(pk=post.pk).update(campaign=campaign, kind=kind)
        post.campaign, post.kind = campaign, kind
        post.labels.set(labels)
    return post


# ---------------------------------------------------------------------------------------------
# Moving a post on the calendar
# ---------------------------------------------------------------------------------------------


def _movable_targets(post: Post) -> list[Any]:
    return [
        t for t in post.targets.select_related("channel")
        if t.state in publishing.RESCHEDULABLE
        and not (t.state == TargetState.FAILED and t.error_code == "outcome_unknown")
    ]


def new_time_for_day(post: Post, day: date) -> datetime:
    """The same time of day, in the workspace's zone, on another day (09:00 for a post with no
    time yet). A wall-clock time that the clocks skip that day is refused, not shifted."""
    tz_name = post.workspace.timezone
    zone = zoneinfo.ZoneInfo(tz_name)
    if post.scheduled_at is not None:
        clock = post.scheduled_at.astimezone(zone).time().replace(tzinfo=None)
    else:
        clock = datetime.min.time().replace(hour=9)
    try:
        return localize(datetime.combine(day, clock), tz_name)
    except InvalidLocalTime as exc:
        raise MoveRefused(str(exc)) from exc


def new_time_for_slot(post: Post, slot: datetime, viewer_tz: str) -> datetime:
    """A week-view slot is one hour of the viewer's clock; the post keeps its minutes."""
    minute = 0
    if post.scheduled_at is not None:
        minute = post.scheduled_at.astimezone(zoneinfo.ZoneInfo(viewer_tz)).minute
    try:
        return localize(slot.replace(minute=minute, second=0, microsecond=0), viewer_tz)
    except InvalidLocalTime as exc:
        raise MoveRefused(str(exc)) from exc


def move_post(post: Post, when: datetime, *, actor: str) -> Post:
    """Reschedule a post to `when` after checking it as if it were being scheduled anew.

    Every channel that would move is validated (a draft dragged onto a day becomes scheduled,
    so its content must pass too); refusals raise MoveRefused with the reasons."""
    targets = _movable_targets(post)
    if not targets:
        raise MoveRefused(_("This post has nothing left to reschedule."))
    # The same per-channel overrides the publisher will use (publishing.services.request_for).
    variants: dict[int, dict[str, str]] = {}
    for variant in post.variants.all():
        entry = {"text": variant.text} if variant.override_text else {}
        if variant.content_warning:
            entry["content_warning"] = variant.content_warning
        variants[variant.channel_id] = entry
    media = [pm.media for pm in post.postmedia_set.select_related("media")]
    problems = publishing.validate_post(
        workspace=post.workspace,
        text=post.text,
        channels=[t.channel for t in targets],
        media=media,
        content_warning=post.content_warning,
        variants=variants,
        scheduled_at=when,
    )
    if problems:
        raise MoveRefused(str(publishing.PostRejected(problems)))
    try:
        return publishing.reschedule_post(post, when, actor=actor)
    except (publishing.PostRejected, publishing.InvalidTransition) as exc:
        raise MoveRefused(str(exc)) from exc


# ---------------------------------------------------------------------------------------------
# The secret calendar feed
# ---------------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed(workspace: Workspace, user: Any) -> str:
    """A new secret for the workspace's feed; any earlier URL stops working at once.

    Returns the token, which is not stored (only its hash): show it now or never."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        workspace=workspace,
        defaults={"token_hash": _hash(token),
                  "created_by": user if getattr(user, "pk", None) else None,
                  "last_used_at": None},
    )
    return token


def revoke_feed(workspace: Workspace) -> bool:
    deleted, _rows = CalendarFeed.objects.filter(workspace=workspace).delete()
    return bool(deleted)


def feed_for_token(token: str) -> CalendarFeed | None:
    if not token or len(token) > 200:
        return None
    return (
        CalendarFeed.objects.select_related("workspace")
        .filter(token_hash=_hash(token))
        .first()
    )
