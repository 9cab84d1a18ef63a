"""What reports keep: schedules of e-mailed reports, share links, the workspace's logo.

Defined here, registered in the analytics app (keryx.analytics.models imports this module).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.planner.models import Campaign, Label

LANGUAGES = (("en", "English"), ("el", "Ελληνικά"))


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ScheduledReport(models.Model):
    """A report e-mailed with its PDF after each complete week or month (workspace time zone).

    Claimed with one guarded UPDATE (due and not leased) so one process sends it; the period
    sent is recorded (last_period_start), and the period being sent before the e-mail leaves
    (sending_period_start), so a period is never e-mailed twice."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices,
                                 default=Frequency.WEEKLY)
    # None chosen: every channel of the workspace (all_channels). A report for chosen channels
    # that have all been deleted since is not sent (never widened to every channel).
    all_channels = models.BooleanField(default=True)
    channels = models.ManyToManyField(Channel, blank=True, related_name="+")
    # As on the analytics page (services.PostFilter): one campaign, labels (any of them).
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    labels = models.ManyToManyField(Label, blank=True, related_name="+")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    # Outside addresses (clients), one per line.
    addresses = models.TextField(_("other addresses"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES, default="en")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    next_run_at = models.DateTimeField()
    claim_token = models.CharField(max_length=36, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sending_period_start = models.DateField(null=True, blank=True)
    last_period_start = models.DateField(null=True, blank=True)
    last_period_end = models.DateField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # What kind of failure last_error is (schedule.ERROR_KINDS), for the advice the page shows.
    last_error_kind = models.CharField(max_length=20, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_run_at"], name="report_due_idx")]

    def __str__(self) -> str:
        return self.name


class ShareLink(models.Model):
    """A read-only link to one report (a fixed period and filters), for people without an
    account. Only the token's hash is kept: the link is shown once, when it is made."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    token_hash = models.CharField(max_length=64, unique=True)
    first_day = models.DateField()
    last_day = models.DateField()
    # As on ScheduledReport: a link for channels that have all been deleted opens nothing.
    all_channels = models.BooleanField(default=True)
    channels = models.ManyToManyField(Channel, blank=True, related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    labels = models.ManyToManyField(Label, blank=True, related_name="+")
    language = models.CharField(max_length=8, choices=LANGUAGES, default="en")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class ReportLogo(models.Model):
    """The workspace's logo on its reports: a PNG re-encoded on upload (keryx.analytics
    .reports.logo), kept in the database so every web and worker process has it."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    image = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now=True)
