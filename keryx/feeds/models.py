"""RSS/Atom sources a workspace follows, and the items they suggest as drafts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.models import Workspace
from keryx.publishing.models import Post


class FeedSource(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="feeds")
    url = models.URLField(_("feed address"), max_length=1000)
    title = models.CharField(_("title"), max_length=300, blank=True)
    site_url = models.URLField(max_length=1000, blank=True)
    active = models.BooleanField(default=True)
    # Conditional GET: the server answers 304 when nothing changed.
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    next_fetch_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "url"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "url"], name="unique_feed_url")
        ]

    def __str__(self) -> str:
        return self.title or self.url


class ItemStatus(models.TextChoices):
    NEW = "new", _("New")
    DRAFTED = "drafted", _("Draft made")
    DISMISSED = "dismissed", _("Dismissed")


class FeedItem(models.Model):
    source = models.ForeignKey(FeedSource, on_delete=models.CASCADE, related_name="items")
    # The entry's id (guid), else its link: what makes an item the same across fetches.
    key = models.CharField(max_length=500)
    title = models.CharField(max_length=500, blank=True)
    link = models.URLField(max_length=1000, blank=True)
    summary = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ItemStatus.choices, default=ItemStatus.NEW)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="unique_feed_item")
        ]
