"""Review before publishing: each workspace's workflow (ApprovalPolicy), a post sent for review
(ApprovalRequest) and each approver's answer (ApprovalDecision); comments with @mentions on posts
and drafts; in-app notifications.

A post under review has its targets in `pending_approval`; approval moves them to `scheduled`,
rejection back to `draft`. The request rows say who was asked, who answered and why.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.models import Membership, Workspace
from keryx.publishing.models import Post


class Workflow(models.TextChoices):
    # Contributors still cannot publish on their own: their posts go to any editor or above.
    NONE = "none", _("No approval (contributors' posts still need one)")
    ANY = "any", _("Every post needs one approval from any approver")
    NAMED = "named", _("Every post needs the approval of each named approver")


class ApprovalPolicy(models.Model):
    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="approval_policy"
    )
    workflow = models.CharField(
        _("approval workflow"), max_length=8, choices=Workflow.choices, default=Workflow.NONE
    )
    # Memberships, so someone who leaves the workspace stops being an approver by themselves.
    approvers = models.ManyToManyField(Membership, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.workspace}: {self.workflow}"


class RequestState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    # An edit or a withdrawal replaced it; it decides nothing any more.
    SUPERSEDED = "superseded", _("Superseded")


class ApprovalRequest(models.Model):
    """One round of review of a post. Only the latest one of a post counts."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approval_requests")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who it was sent to. A client approver sees exactly the posts sent to them.
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="approval_requests_received"
    )
    # Named workflow: every recipient must approve; otherwise one approval is enough.
    needs_all = models.BooleanField(default=False)
    state = models.CharField(
        max_length=12, choices=RequestState.choices, default=RequestState.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)  # a rejection's comment

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["post", "-created_at"], name="approval_post_idx")]

    def __str__(self) -> str:
        return f"review of post {self.post_id}: {self.state}"


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")


class ApprovalDecision(models.Model):
    request = models.ForeignKey(
        ApprovalRequest, on_delete=models.CASCADE, related_name="decisions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices)
    comment = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "user"], name="one_decision_per_approver")
        ]


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"))
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class NotificationKind(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for your approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    MENTIONED = "mentioned", _("Mentioned you")
    PUBLISH_FAILED = "publish_failed", _("Publishing failed")
    INBOX_ASSIGNED = "inbox_assigned", _("Assigned to you in the inbox")
    LISTENING_ALERT = "listening_alert", _("Listening alert")
    BUDGET_ALERT = "budget_alert", _("Budget alert")
    # 16 characters: the column's max_length.
    PARTNER_FOLLOW_UP = "partner_followup", _("Partner follow-up")


class Notification(models.Model):
    """Something a person should know about. Stored as a kind + who + which post, so the text
    is written in the reader's language when shown, not the sender's."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    detail = models.TextField(blank=True)  # a rejection reason, a comment, a network's error
    # Where the notification leads when it is about no post (a site path, built by the sender
    # with reverse(): a listening search's page).
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]
