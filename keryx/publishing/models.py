"""What the author writes (Post), its per-channel adaptation (PostVariant), each delivery with its
own state machine (PostTarget), its history (TargetEvent) and attached files (Media).

The state machine (see docs/architecture.md):

    draft -> pending_approval -> scheduled -> publishing -> published
                                     |            |-> failed   (due_at set: retried then)
                                     |            |-> unknown  (reconciled before any retry)
                                     '-> cancelled

A target is claimable when its state is scheduled, failed or unknown and due_at <= now.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.channels.models import Channel
from keryx.core.models import Workspace


class TargetState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown, being checked")
    CANCELLED = "cancelled", _("Cancelled")


CLAIMABLE_STATES = (TargetState.SCHEDULED, TargetState.FAILED, TargetState.UNKNOWN)
FINAL_STATES = (TargetState.PUBLISHED, TargetState.CANCELLED)


def media_upload_to(instance: Media, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"media/{instance.workspace_id}/{uuid.uuid4().hex}.{suffix[:8]}"


class Media(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to=media_upload_to, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    alt_text = models.TextField(_("alt text"), blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name or self.file.name


class PostKind(models.TextChoices):
    ORGANIC = "organic", _("Organic")
    PAID = "paid", _("Paid")


class Post(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    text = models.TextField(_("text"), blank=True)
    content_warning = models.CharField(_("content warning"), max_length=500, blank=True)
    # The language the author chose (ISO 639-1); blank: detected offline from each channel's
    # text when it is sent (keryx.publishing.requests), and told to networks that take it.
    language = models.CharField(_("language"), max_length=8, blank=True)
    media = models.ManyToManyField(Media, through="PostMedia", blank=True, related_name="posts")
    # When the author wants it out (UTC). Null for drafts without a date.
    scheduled_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Planning (keryx.planner): referenced by name so publishing never imports the planner.
    campaign = models.ForeignKey(
        "planner.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="posts", verbose_name=_("campaign"),
    )
    labels = models.ManyToManyField(
        "planner.Label", blank=True, related_name="posts", verbose_name=_("labels")
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=PostKind.choices, default=PostKind.ORGANIC
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-created_at"]
        indexes = [
            # The calendar reads one workspace's posts between two instants.
            models.Index(fields=["workspace", "scheduled_at"], name="post_calendar_idx"),
        ]

    def __str__(self) -> str:
        return (self.text[:40] + "…") if len(self.text) > 40 else self.text


class PostMedia(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    media = models.ForeignKey(Media, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["post", "media"], name="unique_post_media")
        ]


class PostVariant(models.Model):
    """The post adapted for one channel. Empty fields mean "as in the post"."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="variants")
    text = models.TextField(blank=True)
    content_warning = models.CharField(max_length=500, blank=True)
    override_text = models.BooleanField(default=False)
    # The composer's other overrides (keryx.composer.variants applies them to the request).
    override_media = models.BooleanField(default=False)
    media = models.ManyToManyField(Media, blank=True, related_name="variants")
    link = models.URLField(max_length=2000, blank=True)
    first_comment = models.TextField(blank=True)
    # The replies after the first post, for networks that publish threads.
    thread = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "channel"], name="unique_variant")
        ]


class Worker(models.Model):
    """One engine process (`keryx serve`, `keryx worker`, `keryx scheduler`): it writes a
    heartbeat every KERYX_HEARTBEAT_SECONDS and sets `stopped_at` on a clean exit. Claims name
    their worker, so the claims of one that stopped or fell silent are reconciled at once
    rather than when their lease runs out (keryx.publishing.workers)."""

    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    role = models.CharField(max_length=20, default="worker")
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Seconds this process's clock was ahead of the database's when last measured.
    clock_skew = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["heartbeat_at"], name="worker_heartbeat_idx")]

    def __str__(self) -> str:
        return f"{self.role} {self.host}:{self.pid}"


class PostTarget(models.Model):
    """One (post, channel) delivery. Its state and due time change only through guarded
    UPDATEs: publishing.transitions for people's actions, scheduler.py and delivery.py for the
    engine."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="targets")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="targets")
    # Denormalised so claims and scoped queries need no join.
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="targets")
    state = models.CharField(
        max_length=20, choices=TargetState.choices, default=TargetState.SCHEDULED
    )
    # When the engine should next act on it: the scheduled time, a retry time, or a reconcile time.
    due_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Chosen once, before the first attempt, and kept for every retry (never per attempt).
    idempotency_key = models.CharField(max_length=64, blank=True)
    claim_token = models.CharField(max_length=36, blank=True)
    claimed_by = models.CharField(max_length=120, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # The process holding the claim (null for a claim made outside a registered process).
    claimed_worker = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims"
    )
    remote_id = models.CharField(max_length=500, blank=True)
    remote_url = models.URLField(max_length=1000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "channel"], name="unique_target")
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="target_claim_idx"),
            models.Index(fields=["state", "claimed_until"], name="target_lease_idx"),
        ]

    def __str__(self) -> str:
        return f"post {self.post_id} -> channel {self.channel_id}: {self.state}"


class TargetEvent(models.Model):
    """Every transition of a target: who or what, when, why. Feeds the post's history."""

    target = models.ForeignKey(PostTarget, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    attempt = models.PositiveIntegerField(default=0)
    actor = models.CharField(max_length=150, blank=True)  # a user's email, "scheduler", "worker:…"
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
