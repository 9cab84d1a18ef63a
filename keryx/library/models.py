"""The media library's own data beside publishing.Media: tags, the focal point the user set,
and the cached file each network gets (one per media, network and adaptation spec)."""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.models import Workspace
from keryx.publishing.models import Media


class Tag(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media_tags")
    name = models.CharField(_("name"), max_length=60)
    media = models.ManyToManyField(Media, blank=True, related_name="library_tags")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_media_tag")
        ]

    def __str__(self) -> str:
        return self.name


class FocalPoint(models.Model):
    """Where the subject of an image is (fractions of width and height); crops keep it in."""

    media = models.OneToOneField(Media, on_delete=models.CASCADE, primary_key=True,
                                 related_name="focal_point")
    x = models.FloatField(default=0.5, validators=[MinValueValidator(0), MaxValueValidator(1)])
    y = models.FloatField(default=0.5, validators=[MinValueValidator(0), MaxValueValidator(1)])


def adapted_upload_to(instance: AdaptedFile, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return (f"media/{instance.media.workspace_id}/adapted/"
            f"{instance.network}-{uuid.uuid4().hex}.{suffix[:8]}")


class AdaptedFile(models.Model):
    """The exact file one network gets for one media. `spec_key` fingerprints the limits and
    focal point it was made for: when either changes, a new one is made."""

    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="adapted_files")
    network = models.CharField(max_length=40)
    spec_key = models.CharField(max_length=40)
    file = models.FileField(upload_to=adapted_upload_to, max_length=255)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    steps = models.CharField(max_length=200, blank=True)  # "cropped,resized,…"
    passthrough = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["media", "network", "spec_key"],
                                    name="unique_adapted_file")
        ]

    def __str__(self) -> str:
        return f"{self.media_id} for {self.network}"
