"""Partners and influencers (seed §19): a pipeline from "identified" to "partnered" (or
"declined"), each partner's history of events, and the follow-up reminder's claim.
keryx.strategy.partners moves partners along and sends the reminders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.models import Workspace
from keryx.planner.models import Campaign


class Stage(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    ENGAGING = "engaging", _("Following and engaging")
    REACHED_OUT = "reached_out", _("Reached out")
    PITCHED = "pitched", _("Pitched")
    PARTNERED = "partnered", _("Partnered")
    DECLINED = "declined", _("Declined")


class EventKind(models.TextChoices):
    NOTE = "note", _("Note")
    STAGE = "stage", _("Stage change")
    REACHED_DM = "reached_dm", _("Reached out by direct message")
    REACHED_EMAIL = "reached_email", _("Reached out by e-mail")
    REMINDER = "reminder", _("Reminder")


class Partner(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    network = models.CharField(_("network"), max_length=32, blank=True)
    handle = models.CharField(_("handle"), max_length=255, blank=True)
    profile_url = models.URLField(_("profile URL"), max_length=1000, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices,
                             default=Stage.IDENTIFIED)
    stage_changed_at = models.DateTimeField()
    next_follow_up_at = models.DateField(_("next follow-up"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("campaign"))
    # The stage_changed_at the follow-up reminder was sent for: a guarded UPDATE sets it, so
    # two processes running the check send it once; a later stage change makes a new one due.
    reminded_for = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["stage", "stage_changed_at"],
                                name="partner_follow_up_idx")]

    def __str__(self) -> str:
        return self.name


class PartnerEvent(models.Model):
    """The partner's history, newest last: notes, stage changes, contacts, reminders."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    text = models.TextField(blank=True)
    # Stage changes: from and to (the stage values, shown translated).
    from_stage = models.CharField(max_length=12, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=12, choices=Stage.choices, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "pk"]
