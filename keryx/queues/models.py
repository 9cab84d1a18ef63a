"""Queues: a posting schedule per channel (weekday time slots in the channel's time zone), the
targets placed into those slots, and evergreen posts that come back every so often.

A queued target is an ordinary PostTarget; QueueEntry only remembers the slot the queue gave it.
While a channel's queue is paused its queued targets keep their slot here but carry no due_at,
so the engine's claim (state scheduled AND due_at <= now) never picks them: the engine needs no
knowledge of queues.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.channels.models import Channel
from keryx.core.models import Workspace, validate_timezone
from keryx.publishing.models import Post, PostTarget


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class QueueSchedule(models.Model):
    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="queue")
    # Slots are wall-clock times here: 09:00 stays 09:00 across daylight saving changes.
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    paused = models.BooleanField(_("paused"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"queue of {self.channel.name}"


class QueueSlot(models.Model):
    schedule = models.ForeignKey(QueueSchedule, on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    time = models.TimeField(_("time"))

    class Meta:
        ordering = ["weekday", "time"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "weekday", "time"], name="unique_slot")
        ]


class QueueEntry(models.Model):
    """The slot the queue gave one target. Kept while paused; its order drives reshuffles."""

    target = models.OneToOneField(PostTarget, on_delete=models.CASCADE, related_name="queue_entry")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="queue_entries")
    slot_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slot_at", "pk"]


class EvergreenUnit(models.TextChoices):
    DAYS = "days", _("days")
    WEEKS = "weeks", _("weeks")


class EvergreenRule(models.Model):
    """Recycle a post: a fresh copy (new Post and targets) every N days or weeks, until a date
    or a number of copies. A published target is never sent again."""

    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="evergreen")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="evergreen")
    every = models.PositiveSmallIntegerField(_("every"), validators=[MinValueValidator(1)])
    unit = models.CharField(
        _("unit"), max_length=8, choices=EvergreenUnit.choices, default=EvergreenUnit.WEEKS
    )
    until = models.DateField(_("until"), null=True, blank=True)
    max_count = models.PositiveIntegerField(_("at most"), null=True, blank=True)
    copies = models.PositiveIntegerField(default=0)
    # The next copy goes into the first suitable slot at or after this instant.
    next_at = models.DateTimeField(null=True, blank=True, db_index=True)
    active = models.BooleanField(default=True)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"evergreen post {self.post_id} every {self.every} {self.unit}"


class EvergreenCopy(models.Model):
    rule = models.ForeignKey(EvergreenRule, on_delete=models.CASCADE, related_name="made")
    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="evergreen_copy")
    created_at = models.DateTimeField(auto_now_add=True)
