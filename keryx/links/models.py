"""Links: campaign defaults for UTM tags, Keryx's own short links with their click counts, and
the link preview cards fetched for networks where the client builds the card (Bluesky)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.models import Workspace


class UtmPreset(models.Model):
    """Named UTM values the builder fills in; the workspace's default one is pre-selected."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="utm_presets")
    name = models.CharField(_("name"), max_length=80)
    source = models.CharField(_("source"), max_length=100, blank=True)
    medium = models.CharField(_("medium"), max_length=100, blank=True)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    term = models.CharField(_("term"), max_length=100, blank=True)
    content = models.CharField(_("content"), max_length=100, blank=True)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_utm_preset"),
        ]

    def __str__(self) -> str:
        return self.name


class ShortLink(models.Model):
    """/l/<code> redirects to `url`. The code is random, so codes reveal nothing about other
    links or workspaces; the count is kept on the row (cheap to show) and per day (analytics)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="short_links")
    code = models.CharField(max_length=16, unique=True)
    url = models.URLField(_("destination"), max_length=2000)
    clicks = models.PositiveBigIntegerField(default=0)
    last_clicked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "url"], name="shortlink_url_idx")]

    def __str__(self) -> str:
        return f"/l/{self.code} -> {self.url}"


class ClickDay(models.Model):
    """Clicks on one short link on one UTC day: what analytics will chart."""

    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    clicks = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "day"], name="unique_click_day"),
        ]


def preview_upload_to(instance: LinkPreview, filename: str) -> str:
    return f"previews/{instance.workspace_id}/{filename}"


class LinkPreview(models.Model):
    """A fetched card (title, description, thumbnail) for one URL, reused for a day. `error`
    keeps why the last fetch gave nothing, so the composer can say it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="previews")
    url = models.URLField(max_length=2000)
    url_hash = models.CharField(max_length=64)
    title = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    image = models.FileField(upload_to=preview_upload_to, max_length=255, blank=True)
    image_mime = models.CharField(max_length=50, blank=True)
    error = models.CharField(max_length=300, blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "url_hash"], name="unique_preview"),
        ]
