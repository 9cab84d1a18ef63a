"""The approval actions: the workflow setting, sending for review, approving, rejecting, and
comments with @mentions.

The rules they follow (who approves, who sees, what may go out) are in rules.py and the
notifications in notifications.py; their names are re-exported here for the views, the API and
the template tags. Target states change only through keryx.publishing.transitions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.approvals.models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalRequest,
    Comment,
    Decision,
    NotificationKind,
    RequestState,
    Workflow,
)
from keryx.approvals.notifications import (
    excerpt,
    mark_read,
    notification_text,
    notify,
    notify_publish_failed,
    send_emails,
    unread_count,
)
from keryx.approvals.rules import (
    TEAM_APPROVER_ROLES,
    approvers_for,
    cleared_for_publishing,
    cleared_posts,
    latest_request,
    may_decide,
    needs_approval,
    policy_for,
    visible_media,
    visible_posts,
    waiting_for,
)
from keryx.core import audit, permissions
from keryx.core.models import Membership, Role
from keryx.core.permissions import Action
from keryx.publishing.errors import PostRejected
from keryx.publishing.models import Post, TargetState
from keryx.publishing.transitions import move, nudge_after_commit
from keryx.publishing.validation import PAST_GRACE, validate_post

__all__ = [
    "TEAM_APPROVER_ROLES",
    "ApprovalError",
    "NeedsNewTime",
    "add_comment",
    "approve",
    "approvers_for",
    "can_comment",
    "cleared_for_publishing",
    "cleared_posts",
    "content_changed",
    "latest_request",
    "mark_read",
    "may_decide",
    "mentioned_in",
    "needs_approval",
    "notification_text",
    "notify",
    "notify_publish_failed",
    "policy_for",
    "reject",
    "send_emails",
    "set_policy",
    "submit",
    "submit_draft",
    "unread_count",
    "visible_media",
    "visible_posts",
    "waiting_for",
]


class ApprovalError(Exception):
    """The action does not fit (nothing to approve, no reason given...). Said to the person."""


class NeedsNewTime(ApprovalError):
    """The post's time passed while it waited: the approver must choose a new one."""


def set_policy(
    *, actor: Membership, workflow: str, approvers: Sequence[Membership] = ()
) -> ApprovalPolicy:
    """Change the workflow (admins and owners). The named workflow needs at least one approver,
    each a member of this workspace who may approve (an editor or above, or a client approver)."""
    permissions.require(actor, Action.MANAGE_SETTINGS)
    Workflow(workflow)
    workspace = actor.workspace
    allowed = set(permissions.allowed_roles(Action.APPROVE))
    chosen = [m for m in approvers if m.workspace_id == workspace.pk and m.role in allowed]
    if workflow == Workflow.NAMED and not chosen:
        raise ApprovalError(_("Name at least one approver for the named workflow."))
    with transaction.atomic():
        policy, _created = ApprovalPolicy.objects.get_or_create(workspace=workspace)
        before = (policy.workflow, sorted(policy.approvers.values_list("user__email", flat=True)))
        policy.workflow = workflow
        policy.save()
        policy.approvers.set(chosen if workflow == Workflow.NAMED else [])
        after = (workflow, sorted(m.user.email for m in chosen) if workflow == Workflow.NAMED
                 else [])
        if before != after:
            audit.record(
                workspace, "settings.changed", actor=actor.user, obj=policy,
                summary=_("Approval workflow: %(workflow)s") % {
                    "workflow": Workflow(workflow).label},
                workflow=workflow, approvers=after[1],
            )
    return policy


# ---------------------------------------------------------------------------------------------
# Sending for review, approving, rejecting
# ---------------------------------------------------------------------------------------------


def _label(user: Any, fallback: str = "") -> str:
    if getattr(user, "pk", None):
        return user.email or user.get_username()
    return fallback


def _supersede(post: Post) -> None:
    ApprovalRequest.objects.filter(
        post=post, state__in=[RequestState.PENDING, RequestState.APPROVED]
    ).update(state=RequestState.SUPERSEDED, decided_at=timezone.now())


def submit(post: Post, *, by: Any, actor: str) -> ApprovalRequest:
    """Open a review of a post whose targets are (now) pending approval, and tell the approvers.
    Any earlier open or approved review of it stops counting."""
    recipients, needs_all = approvers_for(post)
    _supersede(post)
    request = ApprovalRequest.objects.create(
        post=post, workspace_id=post.workspace_id,
        requested_by=by if getattr(by, "pk", None) else None, needs_all=needs_all,
    )
    request.recipients.set(recipients)
    notify(recipients, workspace_id=post.workspace_id, kind=NotificationKind.SUBMITTED,
           post=post, actor_label=_label(by, actor))
    audit.record(post.workspace_id, "post.submitted", actor=by if _label(by) else actor, obj=post,
                 summary=excerpt(post.text), approvers=[u.email for u in recipients])
    return request


def submit_draft(post: Post, *, user: Any, when: datetime | None = None) -> ApprovalRequest:
    """Send a draft (a new one, or one that was rejected and corrected) for review. The content
    is checked as for scheduling; `when` replaces the post's time (None keeps it, or means "as
    soon as approved" if it has none)."""
    targets = list(post.targets.select_related("channel"))
    drafts = [t for t in targets if t.state == TargetState.DRAFT]
    if not drafts:
        raise ApprovalError(_("Only drafts can be sent for approval."))
    if when is None and post.scheduled_at and post.scheduled_at < timezone.now():
        raise NeedsNewTime(_("The post's time has passed; choose a new time."))
    problems = validate_post(
        workspace=post.workspace, text=post.text, channels=[t.channel for t in drafts],
        media=[pm.media for pm in post.postmedia_set.select_related("media")],
        content_warning=post.content_warning,
        variants={v.channel_id: ({"text": v.text} if v.override_text else {})
                  for v in post.variants.all()},
        scheduled_at=when or post.scheduled_at,
    )
    if problems:
        raise PostRejected(problems)
    actor = _label(user)
    with transaction.atomic():
        for target in drafts:
            move(target, [TargetState.DRAFT], TargetState.PENDING_APPROVAL,
                             actor=actor, message=_("Sent for approval"), due_at=None)
        if when is not None:
            Post.objects.filter(pk=post.pk).update(scheduled_at=when)
            post.scheduled_at = when
        return submit(post, by=user, actor=actor)


def _pending_request(post: Post) -> ApprovalRequest:
    request = (
        ApprovalRequest.objects.select_for_update()
        .filter(post=post, state=RequestState.PENDING)
        .order_by("-created_at", "-id")
        .first()
    )
    if request is None:
        raise ApprovalError(_("This post is not waiting for approval."))
    return request


def _check_decider(request: ApprovalRequest, user: Any) -> None:
    if not request.recipients.filter(pk=user.pk).exists():
        raise PermissionDenied(_("This post was not sent to you for approval."))
    if request.decisions.filter(user=user).exists():
        raise ApprovalError(_("You have already answered this review."))


def approve(post: Post, *, user: Any, when: datetime | None = None,
            comment: str = "") -> ApprovalRequest:
    """Record `user`'s approval. When it completes the review, the post is scheduled for its
    time, or for `when`; a time that has passed raises NeedsNewTime (nothing is changed)."""
    actor = _label(user)
    with transaction.atomic():
        request = _pending_request(post)
        _check_decider(request, user)
        approvals = request.decisions.filter(decision=Decision.APPROVE).count() + 1
        complete = not request.needs_all or approvals >= request.recipients.count()
        if complete:
            now = timezone.now()
            if when is not None:
                if when < now - PAST_GRACE:
                    raise NeedsNewTime(_("The new time is in the past."))
            elif post.scheduled_at and post.scheduled_at < now - PAST_GRACE:
                raise NeedsNewTime(
                    _("The post's time passed while it waited for approval; choose a new time.")
                )
        ApprovalDecision.objects.create(request=request, user=user, decision=Decision.APPROVE,
                                        comment=comment.strip())
        audit.record(post.workspace_id, "post.approved", actor=user, obj=post,
                     summary=excerpt(post.text), complete=complete)
        if not complete:
            return request
        due = when or post.scheduled_at or timezone.now()
        for target in post.targets.filter(state=TargetState.PENDING_APPROVAL):
            move(
                target, [TargetState.PENDING_APPROVAL], TargetState.SCHEDULED, actor=actor,
                message=_("Approved by %(who)s") % {"who": actor}, due_at=due,
            )
        Post.objects.filter(pk=post.pk).update(scheduled_at=due)
        post.scheduled_at = due
        request.state = RequestState.APPROVED
        request.decided_at = timezone.now()
        request.save(update_fields=["state", "decided_at"])
        if post.author_id:
            notify([post.author], workspace_id=post.workspace_id,
                   kind=NotificationKind.APPROVED, post=post, actor_label=actor,
                   detail=comment.strip())
        nudge_after_commit()
    return request


def reject(post: Post, *, user: Any, reason: str) -> ApprovalRequest:
    """Send the post back to its author as a draft, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ApprovalError(_("Say what needs changing, so the author can fix it."))
    actor = _label(user)
    with transaction.atomic():
        request = _pending_request(post)
        _check_decider(request, user)
        ApprovalDecision.objects.create(request=request, user=user, decision=Decision.REJECT,
                                        comment=reason)
        for target in post.targets.filter(state=TargetState.PENDING_APPROVAL):
            move(
                target, [TargetState.PENDING_APPROVAL], TargetState.DRAFT, actor=actor,
                message=_("Rejected by %(who)s: %(reason)s") % {"who": actor, "reason": reason},
                due_at=None,
            )
        request.state = RequestState.REJECTED
        request.reason = reason
        request.decided_at = timezone.now()
        request.save(update_fields=["state", "reason", "decided_at"])
        audit.record(post.workspace_id, "post.rejected", actor=user, obj=post,
                     summary=excerpt(post.text), reason=reason)
        if post.author_id:
            notify([post.author], workspace_id=post.workspace_id,
                   kind=NotificationKind.REJECTED, post=post, actor_label=actor, detail=reason)
    return request


def content_changed(post: Post, *, editor: Any, actor: str) -> ApprovalRequest | None:
    """After an edit: an approved (or waiting) post goes back for review, since what was
    approved is not what would be published. Called by publishing.services.edit_post."""
    latest = latest_request(post)
    reviewed = latest is not None and latest.state in (RequestState.PENDING,
                                                       RequestState.APPROVED)
    if not reviewed and not needs_approval(post.workspace, post.author):
        return None
    back = [t for t in post.targets.all()
            if t.state in (TargetState.SCHEDULED, TargetState.PENDING_APPROVAL)]
    if not back:
        return None
    for target in back:
        if target.state == TargetState.SCHEDULED:
            move(target, [TargetState.SCHEDULED], TargetState.PENDING_APPROVAL,
                             actor=actor, message=_("Edited after approval: back for review"),
                             due_at=None)
    return submit(post, by=editor, actor=actor)


# ---------------------------------------------------------------------------------------------
# Comments and mentions
# ---------------------------------------------------------------------------------------------

# "@maria", "@maria.k", or a whole address "@maria@example.com".
MENTION_RE = re.compile(
    r"(?<![\w@])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|[\w][\w.-]*)"
)


def _readers(post: Post) -> list[Any]:
    """Everyone who can see the post: the team (not viewers excluded) and the clients it was
    sent to."""
    team = Membership.objects.filter(workspace_id=post.workspace_id).exclude(
        role=Role.CLIENT_APPROVER
    )
    sent = ApprovalRequest.objects.filter(post=post).values("recipients")
    clients = Membership.objects.filter(
        workspace_id=post.workspace_id, role=Role.CLIENT_APPROVER, user_id__in=sent
    )
    users = get_user_model().objects.filter(
        pk__in=[*team.values_list("user_id", flat=True), *clients.values_list("user_id",
                                                                              flat=True)]
    )
    return list(users)


def mentioned_in(post: Post, body: str) -> list[Any]:
    """The people who can read the post and are named in `body` by e-mail address, by the part
    of their address before the @, by user name or by first name (case does not matter)."""
    tokens = {m.group(1).rstrip(".").lower() for m in MENTION_RE.finditer(body)}
    if not tokens:
        return []
    found = []
    for user in _readers(post):
        email = (user.email or "").lower()
        names = {email, email.split("@", 1)[0], user.get_username().lower(),
                 (user.first_name or "").lower()}
        if tokens & (names - {""}):
            found.append(user)
    return found


def can_comment(post: Post, user: Any) -> bool:
    membership = Membership.objects.filter(workspace_id=post.workspace_id,
                                           user_id=getattr(user, "pk", None)).first()
    if not permissions.can(membership, Action.COMMENT, post):
        return False
    if membership is not None and membership.role == Role.CLIENT_APPROVER:
        return visible_posts(user).filter(pk=post.pk).exists()
    return True


def add_comment(post: Post, *, user: Any, body: str) -> Comment:
    body = (body or "").strip()
    if not body:
        raise ApprovalError(_("Write a comment first."))
    if len(body) > 5000:
        raise ApprovalError(_("A comment can be at most 5,000 characters long."))
    if not can_comment(post, user):
        raise PermissionDenied(_("Your role cannot comment on this post."))
    with transaction.atomic():
        comment = Comment.objects.create(post=post, author=user, body=body)
        mentioned = [u for u in mentioned_in(post, body) if u.pk != user.pk]
        comment.mentions.set(mentioned)
        notify(mentioned, workspace_id=post.workspace_id, kind=NotificationKind.MENTIONED,
               post=post, actor_label=_label(user), detail=body[:1000])
    return comment
