"""A bulk import: the uploaded file's rows, each with its validation result, and the progress of
scheduling the good ones (a background task writes it; the page polls it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.models import Workspace
from keryx.publishing.models import Post


class ImportFormat(models.TextChoices):
    KERYX = "keryx", _("Keryx (with a header row)")
    HOOTSUITE = "hootsuite", _("Hootsuite bulk composer")


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("Waiting for your go-ahead")
    RUNNING = "running", _("Scheduling")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RowStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REJECTED = "rejected", _("Rejected")
    SCHEDULED = "scheduled", _("Scheduled")


class ImportJob(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=12, choices=ImportFormat.choices)
    date_format = models.CharField(max_length=12, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    encoding_note = models.TextField(blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices,
                              default=ImportStatus.PREVIEW)
    total = models.PositiveIntegerField(default=0)
    valid = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    scheduled = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.filename})"


class ImportRow(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=RowStatus.choices)
    text = models.TextField(blank=True)
    when = models.DateTimeField(null=True, blank=True)
    channels = models.TextField(blank=True)  # names, for the preview
    # What scheduling needs, resolved at preview: channel ids, media ids, label/campaign ids.
    data = models.JSONField(default=dict)
    raw = models.JSONField(default=list)  # the row's cells as read, for the rejected-rows file
    reason = models.TextField(blank=True)
    warnings = models.TextField(blank=True)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["line"]
        indexes = [models.Index(fields=["job", "status"], name="bulk_row_status_idx")]
