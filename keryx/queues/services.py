"""Queue arithmetic and actions: posting schedules, "add to queue", reshuffle, pause and resume,
and evergreen recycling.

Slots are wall-clock times in the schedule's time zone, turned into UTC day by day, so a 09:00
slot stays at 09:00 local time across a daylight saving change. A slot the clocks skip that day
(in the spring-forward gap) is not offered; a repeated hour means its first occurrence.

A slot is free for a channel when no live target of that channel is due at that minute (and no
paused queued target holds it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.core.timeutil import InvalidLocalTime, get_zone, localize
from keryx.networks.base import Problem
from keryx.publishing.models import Media, Post, PostMedia, PostTarget, PostVariant, TargetState
from keryx.publishing.services import PostRejected, create_post
from keryx.publishing.transitions import move_due
from keryx.queues.models import (
    EvergreenCopy,
    EvergreenRule,
    EvergreenUnit,
    QueueEntry,
    QueueSchedule,
    QueueSlot,
)

# Queued targets that still wait for their slot.
WAITING = (TargetState.SCHEDULED, TargetState.PENDING_APPROVAL)
# How far ahead "next free slot" looks before saying the queue is full.
SEARCH_DAYS = 400
# Evergreen copies are made this long before they are due, so they show in the calendar.
EVERGREEN_LOOKAHEAD = timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Schedules and slot arithmetic
# ---------------------------------------------------------------------------------------------


def schedule_for(channel: Channel) -> QueueSchedule:
    """The channel's schedule, created empty (in the workspace's time zone) on first use."""
    schedule, _created = QueueSchedule.objects.get_or_create(
        channel=channel, defaults={"timezone": channel.workspace.timezone}
    )
    return schedule


def set_slots(
    schedule: QueueSchedule, slots: Iterable[tuple[int, time]], *, tz_name: str | None = None
) -> None:
    """Replace the schedule's slots (weekday 0 = Monday, wall-clock time)."""
    if tz_name is not None:
        get_zone(tz_name)  # raises InvalidLocalTime for an unknown zone
    wanted = {(int(day), t.replace(second=0, microsecond=0)) for day, t in slots}
    with transaction.atomic():
        if tz_name is not None and tz_name != schedule.timezone:
            schedule.timezone = tz_name
            schedule.save(update_fields=["timezone", "updated_at"])
        schedule.slots.all().delete()
        QueueSlot.objects.bulk_create(
            QueueSlot(schedule=schedule, weekday=day, time=t) for day, t in sorted(wanted)
        )


def _minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def upcoming_slots(
    tz_name: str, slots: Sequence[tuple[int, time]], after: datetime, days: int = SEARCH_DAYS
) -> Iterator[datetime]:
    """Every slot instant (UTC) strictly after `after`, in order."""
    by_day: dict[int, list[time]] = {}
    for day, t in slots:
        by_day.setdefault(day, []).append(t)
    for times in by_day.values():
        times.sort()
    zone = get_zone(tz_name)
    first_day = after.astimezone(zone).date()
    for offset in range(days + 1):
        day = first_day + timedelta(days=offset)
        for t in by_day.get(day.weekday(), ()):
            try:
                at = localize(datetime.combine(day, t), tz_name).astimezone(UTC)
            except InvalidLocalTime:
                continue  # the clocks skip this time today
            if at > after:
                yield at


def _slot_list(schedule: QueueSchedule) -> list[tuple[int, time]]:
    return list(schedule.slots.values_list("weekday", "time"))


def taken_minutes(channel: Channel, after: datetime) -> set[datetime]:
    """Minutes at which this channel already has something going out."""
    start = _minute(after)
    due = (
        PostTarget.objects.filter(channel=channel, due_at__gte=start)
        .exclude(state=TargetState.CANCELLED)
        .values_list("due_at", flat=True)
    )
    held = QueueEntry.objects.filter(
        channel=channel, slot_at__gte=start, target__state__in=WAITING, target__due_at=None
    ).values_list("slot_at", flat=True)
    return {_minute(at) for at in [*due, *held]}


def _no_slot(channel: Channel) -> PostRejected:
    return PostRejected(
        {channel: [Problem("queue_full", _("%(name)s has no free slot in its posting schedule.")
                           % {"name": channel.name}, "channels")]}
    )


def next_free_slot(
    schedule: QueueSchedule,
    *,
    after: datetime,
    taken: set[datetime],
    slots: Sequence[tuple[int, time]] | None = None,
    skip: Callable[[datetime], bool] | None = None,
) -> datetime:
    slots = _slot_list(schedule) if slots is None else slots
    for at in upcoming_slots(schedule.timezone, slots, after):
        if at in taken or (skip is not None and skip(at)):
            continue
        return at
    raise _no_slot(schedule.channel)


def _locked_schedules(channels: Sequence[Channel]) -> dict[int, QueueSchedule]:
    """The channels' schedules, locked until the transaction ends so two people adding to the
    same queue at once cannot take the same slot (PostgreSQL; SQLite serialises writers)."""
    return {
        s.channel_id: s
        for s in QueueSchedule.objects.select_for_update()
        .select_related("channel")
        .filter(channel__in=[c.pk for c in channels])
    }


def _place(target: PostTarget, slot: datetime, paused: bool, *, actor: str) -> None:
    """Put a new target at its queue slot (held while the queue is paused)."""
    move_due(target, None if paused else slot, allowed=WAITING, actor=actor,
             message=_("Added to the queue for %(when)s") % {"when": slot.isoformat()})
    QueueEntry.objects.update_or_create(
        target_id=target.pk, defaults={"channel_id": target.channel_id, "slot_at": slot}
    )


def _refresh_post_times(post_ids: Iterable[int]) -> None:
    """A post's scheduled_at is its earliest queued or due target."""
    for post_id in set(post_ids):
        times = [
            at
            for at in PostTarget.objects.filter(post_id=post_id)
            .exclude(state=TargetState.CANCELLED)
            .annotate(at=Coalesce("due_at", "queue_entry__slot_at", "published_at"))
            .values_list("at", flat=True)
            if at is not None
        ]
        if times:
            Post.objects.filter(pk=post_id).update(scheduled_at=min(times))


# ---------------------------------------------------------------------------------------------
# Add to queue, reshuffle, pause, resume
# ---------------------------------------------------------------------------------------------


def add_to_queue(
    *,
    workspace: Workspace,
    author: Any,
    text: str,
    channels: Sequence[Channel],
    media: Sequence[Media] = (),
    content_warning: str = "",
    variants: Mapping[Any, Mapping[str, Any]] | None = None,
    actor: str,
    not_before: datetime | None = None,
    skip: Callable[[Channel, datetime], bool] | None = None,
    language: str = "",
) -> Post:
    """Create the post with each channel's target in that channel's next free slot.

    Raises PostRejected (nothing created) if a channel has no schedule or the post is invalid.
    """
    channels = list(dict.fromkeys(channels))
    if not channels:
        raise PostRejected({None: [Problem("no_channels", _("Choose at least one channel."),
                                           "channels")]})
    after = max(timezone.now(), not_before) if not_before else timezone.now()
    with transaction.atomic():
        schedules = _locked_schedules(channels)
        problems: dict[Channel | None, list[Problem]] = {}
        chosen: dict[int, datetime] = {}
        for channel in channels:
            schedule = schedules.get(channel.pk)
            slots = _slot_list(schedule) if schedule else []
            if not slots:
                problems[channel] = [
                    Problem("no_queue", _("%(name)s has no posting schedule yet.")
                            % {"name": channel.name}, "channels")
                ]
                continue
            try:
                chosen[channel.pk] = next_free_slot(
                    schedule, after=after, taken=taken_minutes(channel, after), slots=slots,
                    skip=(lambda at, c=channel: skip(c, at)) if skip else None,
                )
            except PostRejected as exc:
                problems.update(exc.problems)
        if problems:
            raise PostRejected(problems)
        post = create_post(
            workspace=workspace, author=author, text=text, channels=channels, media=media,
            content_warning=content_warning, scheduled_at=min(chosen.values()),
            variants=variants, actor=actor, language=language,
        )
        for target in post.targets.all():
            _place(target, chosen[target.channel_id], schedules[target.channel_id].paused,
                   actor=actor)
    return post


def queued_entries(channel: Channel) -> list[QueueEntry]:
    """Entries still waiting at their queue slot, in queue order. A target someone moved by
    hand (its due time no longer the slot) has left the queue."""
    return list(
        QueueEntry.objects.filter(channel=channel, target__state__in=WAITING)
        .filter(Q(target__due_at=F("slot_at")) | Q(target__due_at=None))
        .select_related("target")
        .order_by("slot_at", "pk")
    )


def _move_entries(
    channel: Channel, entries: Sequence[QueueEntry], *, after: datetime, paused: bool,
    actor: str, message: str,
) -> int:
    """Give `entries`, in order, the next free slots after `after` (their own slots count as
    free)."""
    schedule = channel.queue
    slots = _slot_list(schedule)
    own = {_minute(e.slot_at) for e in entries}
    others = taken_minutes(channel, after) - own
    moved = 0
    for entry in entries:
        slot = next_free_slot(schedule, after=after, taken=others, slots=slots)
        others.add(slot)
        changed = slot != entry.slot_at
        if not move_due(entry.target, None if paused else slot, allowed=WAITING, actor=actor,
                        message=message % {"when": slot.isoformat()} if changed else None):
            continue
        if changed:
            QueueEntry.objects.filter(pk=entry.pk).update(slot_at=slot)
            moved += 1
    _refresh_post_times(e.target.post_id for e in entries)
    return moved


def reshuffle(channel: Channel, *, actor: str, now: datetime | None = None) -> int:
    """Re-pack the channel's queued posts, in their order, into the first free slots from now.
    Returns how many moved."""
    now = now or timezone.now()
    with transaction.atomic():
        schedule = _locked_schedules([channel]).get(channel.pk)
        if schedule is None:
            return 0
        channel.queue = schedule
        return _move_entries(
            channel, queued_entries(channel), after=now, paused=schedule.paused, actor=actor,
            message=_("Queue reshuffled: now %(when)s"),
        )


def pause_queue(channel: Channel, *, actor: str) -> int:
    """Hold the channel's queued targets: they keep their slots but are not published.
    Returns how many are held."""
    with transaction.atomic():
        schedule = _locked_schedules([channel]).get(channel.pk) or schedule_for(channel)
        schedule.paused = True
        schedule.save(update_fields=["paused", "updated_at"])
        # Guarded: a target already claimed by the engine is on its way and stays so.
        held = sum(
            move_due(entry.target, None, allowed=WAITING, actor=actor, message=_("Queue paused"))
            for entry in queued_entries(channel) if entry.target.due_at is not None
        )
    return held


def resume_queue(channel: Channel, *, actor: str, now: datetime | None = None) -> int:
    """Release held targets: each goes out at its slot; one whose slot passed while paused
    takes the next free slot (in queue order). Returns how many were released."""
    now = now or timezone.now()
    with transaction.atomic():
        schedule = _locked_schedules([channel]).get(channel.pk)
        if schedule is None:
            return 0
        schedule.paused = False
        schedule.save(update_fields=["paused", "updated_at"])
        channel.queue = schedule
        held = [e for e in queued_entries(channel) if e.target.due_at is None]
        future = [e for e in held if e.slot_at > now]
        missed = [e for e in held if e.slot_at <= now]
        for entry in future:
            move_due(entry.target, entry.slot_at, allowed=WAITING, actor=actor,
                     message=_("Queue resumed"))
        if missed:
            _move_entries(channel, missed, after=now, paused=False, actor=actor,
                          message=_("Queue resumed; its slot had passed: now %(when)s"))
    return len(held)


# ---------------------------------------------------------------------------------------------
# Evergreen
# ---------------------------------------------------------------------------------------------


def interval(rule: EvergreenRule) -> timedelta:
    return timedelta(days=rule.every * (7 if rule.unit == EvergreenUnit.WEEKS else 1))


def _after_interval(rule: EvergreenRule, at: datetime) -> datetime:
    """`at` plus the rule's interval in wall-clock days of the workspace (a week after Saturday
    09:00 is Saturday 09:00, even when the clocks changed in between)."""
    tz_name = rule.workspace.timezone
    local = at.astimezone(get_zone(tz_name)).replace(tzinfo=None) + interval(rule)
    try:
        return localize(local, tz_name).astimezone(UTC)
    except InvalidLocalTime:
        return at + interval(rule)


def make_evergreen(
    post: Post,
    *,
    every: int,
    unit: str,
    until: date | None = None,
    max_count: int | None = None,
    user: Any = None,
) -> EvergreenRule:
    """Mark a post to come back every `every` days/weeks, until a date or a number of copies."""
    if every < 1:
        raise ValidationError(_("Recycle at least every 1 day."))
    if unit not in EvergreenUnit.values:
        raise ValidationError(_("Choose days or weeks."))
    if until is None and not max_count:
        raise ValidationError(_("Give an end date or a maximum number of repeats."))
    base = post.scheduled_at or timezone.now()
    rule, _created = EvergreenRule.objects.update_or_create(
        post=post,
        defaults={
            "workspace_id": post.workspace_id, "every": every, "unit": unit, "until": until,
            "max_count": max_count or None, "active": True, "last_error": "",
            "created_by": user if getattr(user, "pk", None) else None,
        },
    )
    rule.next_at = _after_interval(rule, base)
    rule.save(update_fields=["next_at"])
    return rule


def stop_evergreen(rule: EvergreenRule) -> None:
    EvergreenRule.objects.filter(pk=rule.pk).update(active=False)


def _family(rule: EvergreenRule) -> set[int]:
    return {rule.post_id, *rule.made.values_list("post_id", flat=True)}


def _family_minutes(channel: Channel, family: set[int]) -> set[datetime]:
    """When this channel runs (or ran) the same content."""
    times = (
        PostTarget.objects.filter(channel=channel, post_id__in=family)
        .exclude(state=TargetState.CANCELLED)
        .annotate(at=Coalesce("due_at", "queue_entry__slot_at", "published_at"))
        .values_list("at", flat=True)
    )
    return {_minute(at) for at in times if at is not None}


def _repeats(channel: Channel, at: datetime, family_minutes: set[datetime]) -> bool:
    """Would a copy in the slot at `at` run in the slot right after or right before the same
    content on this channel?"""
    schedule = channel.queue
    slots = _slot_list(schedule)
    earlier = [s for s in upcoming_slots(schedule.timezone, slots, at - timedelta(days=8),
                                         days=9) if s < at]
    following = next(upcoming_slots(schedule.timezone, slots, at), None)
    neighbours = {earlier[-1] if earlier else None, following}
    return bool(neighbours & family_minutes)


def _finished(rule: EvergreenRule, next_at: datetime) -> bool:
    if rule.max_count and rule.copies >= rule.max_count:
        return True
    if rule.until:
        zone = get_zone(rule.workspace.timezone)
        return next_at.astimezone(zone).date() > rule.until
    return False


def recycle(rule: EvergreenRule, *, actor: str = "evergreen") -> Post | None:
    """Make the rule's next copy: a new post, queued in the first free slot at or after
    next_at on each channel that would not repeat the same content twice in a row."""
    source = rule.post
    channel_ids = list(
        source.targets.exclude(state=TargetState.CANCELLED).values_list("channel_id", flat=True)
    )
    channels = list(Channel.objects.filter(pk__in=channel_ids, workspace_id=rule.workspace_id))
    family = _family(rule)
    family_minutes = {c.pk: _family_minutes(c, family) for c in channels}
    variants = {
        v.channel_id: {"text": v.text if v.override_text else None,
                       "content_warning": v.content_warning or None}
        for v in PostVariant.objects.filter(post=source)
    }
    media = [pm.media for pm in PostMedia.objects.filter(post=source).select_related("media")]
    post = add_to_queue(
        workspace=rule.workspace, author=source.author, text=source.text, channels=channels,
        media=media, content_warning=source.content_warning,
        variants={k: {f: v for f, v in d.items() if v is not None} for k, d in variants.items()},
        actor=actor, not_before=rule.next_at - timedelta(seconds=1),
        skip=lambda channel, at: _repeats(channel, at, family_minutes[channel.pk]),
    )
    EvergreenCopy.objects.create(rule=rule, post=post)
    return post


def recycle_due(*, now: datetime | None = None, actor: str = "evergreen") -> int:
    """Make the copies that fall due soon. Safe to run in several processes: each rule is
    claimed with a guarded UPDATE on its next_at. Returns how many copies were made."""
    now = now or timezone.now()
    made = 0
    due = EvergreenRule.objects.filter(active=True, next_at__lte=now + EVERGREEN_LOOKAHEAD)
    for rule in due.select_related("post", "workspace").order_by("next_at")[:100]:
        if rule.next_at is None or _finished(rule, rule.next_at):
            EvergreenRule.objects.filter(pk=rule.pk).update(active=False)
            continue
        with transaction.atomic():
            if not EvergreenRule.objects.filter(pk=rule.pk, next_at=rule.next_at).update(
                next_at=None
            ):
                continue  # another process took it
            try:
                post = recycle(rule, actor=actor)
            except PostRejected as exc:
                # The post no longer fits (a channel disconnected, no schedule): stop, say why.
                EvergreenRule.objects.filter(pk=rule.pk).update(
                    active=False, last_error=exc.summary()
                )
                continue
            rule.copies += 1
            next_at = _after_interval(rule, post.scheduled_at)
            EvergreenRule.objects.filter(pk=rule.pk).update(
                copies=rule.copies, next_at=next_at, last_error="",
                active=not _finished(rule, next_at),
            )
            made += 1
    return made


def queue_post(
    *, scheduled_at: datetime | None = None, draft: bool = False, **kwargs: Any
) -> Post:
    """add_to_queue with create_post's signature, for the composer's "Add to queue" choice
    (the time comes from the queue, so scheduled_at and draft do not apply)."""
    return add_to_queue(**kwargs)
