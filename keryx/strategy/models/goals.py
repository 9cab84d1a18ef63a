"""S.M.A.R.T. goals: a metric of a channel, a campaign or the workspace, a target, a deadline;
the value at creation and one reading a day (keryx.strategy.goals computes them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.planner.models import Campaign


class Metric(models.TextChoices):
    FOLLOWERS = "followers", _("Followers")
    ENGAGEMENT_RATE = "engagement_rate", _("Engagement rate by followers (%)")
    POSTS_PER_WEEK = "posts_per_week", _("Posts a week")
    LINK_CLICKS = "link_clicks", _("Link clicks")
    RESPONSE_TIME = "response_time", _("Inbox response time (hours)")


class Status(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    BEHIND = "behind", _("Behind")
    REACHED = "reached", _("Reached")
    MISSED = "missed", _("Missed")
    UNKNOWN = "unknown", _("Not enough readings yet")


class Goal(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    # Neither: the whole workspace.
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    target = models.FloatField(_("target"))
    deadline = models.DateField(_("deadline"))
    start_date = models.DateField()
    start_value = models.FloatField(null=True, blank=True)
    # The last computed progress (keryx.strategy.goals.progress).
    current_value = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    projected_value = models.FloatField(null=True, blank=True)
    projected_date = models.DateField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "pk"]

    def __str__(self) -> str:
        return self.name


class GoalReading(models.Model):
    """The goal's metric on one local day (the last computation of that day)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="readings")
    day = models.DateField()
    value = models.FloatField()

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["goal", "day"], name="one_goal_reading")]


class GoalRun(models.Model):
    """One row per UTC day the daily progress job ran: inserting it is the claim, so several
    processes compute the day's progress once."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
