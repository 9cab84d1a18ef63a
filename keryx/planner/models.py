"""Planning: campaigns and labels that posts carry, and the workspace's secret calendar feed.

The Post side of the relation (Post.campaign, Post.labels, Post.kind) lives in
keryx.publishing.models, so publishing never imports this module (the FK is by name).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.models import Workspace

validate_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Use a colour like #3a6fd8.")
)


class Campaign(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=120)
    colour = models.CharField(
        _("colour"), max_length=7, default="#3a6fd8", validators=[validate_colour]
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    budget = models.DecimalField(
        _("budget"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_campaign_name")
        ]

    def __str__(self) -> str:
        return self.name


class Label(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(_("name"), max_length=60)
    colour = models.CharField(
        _("colour"), max_length=7, default="#6b7280", validators=[validate_colour]
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_label_name")
        ]

    def __str__(self) -> str:
        return self.name


class CalendarFeed(models.Model):
    """The secret iCalendar URL of a workspace. Only a hash of the token is kept: the URL is
    shown once, and regenerating replaces the hash, which revokes the old URL."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar feed of {self.workspace}"
