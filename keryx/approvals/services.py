"""Review before publishing, comments with @mentions, notifications.

Who must approve:
- a contributor's post always needs an approval (contributors cannot publish on their own);
- with the "any" workflow every post needs one approval from an editor, admin or owner;
- with the "named" workflow every post needs the approval of each named approver (who may be
  client approvers, outside people who see only what is sent to them).
Nobody approves their own post.

The publishing services ask `needs_approval` when a post is created or a draft is scheduled, and
put its targets in `pending_approval`; `approve` moves them to `scheduled` and `reject` back to
`draft`. The engine asks `cleared_for_publishing` again just before it publishes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from keryx.approvals.models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalRequest,
    Comment,
    Decision,
    Notification,
    NotificationKind,
    RequestState,
    Workflow,
)
from keryx.core import audit, permissions
from keryx.core.models import Membership, Role, Workspace
from keryx.core.permissions import Action
from keryx.networks.base import Problem
from keryx.publishing import services as publishing
from keryx.publishing.models import Media, Post, PostMedia, TargetState

logger = logging.getLogger(__name__)

# Roles that approve in the default ("none") and "any" workflows: the team's part of who may
# approve (keryx.core.permissions); client approvers approve only when named.
TEAM_APPROVER_ROLES = tuple(r for r in permissions.allowed_roles(Action.APPROVE)
                            if r != Role.CLIENT_APPROVER)


class ApprovalError(Exception):
    """The action does not fit (nothing to approve, no reason given...). Said to the person."""


class NeedsNewTime(ApprovalError):
    """The post's time passed while it waited: the approver must choose a new one."""


# ---------------------------------------------------------------------------------------------
# Policy
# ---------------------------------------------------------------------------------------------


def policy_for(workspace: Workspace) -> ApprovalPolicy:
    """The workspace's workflow (an unsaved default when never set: no reads turn into writes)."""
    return ApprovalPolicy.objects.filter(workspace=workspace).first() or ApprovalPolicy(
        workspace=workspace
    )


def _role(workspace_id: int, user: Any) -> str | None:
    if not getattr(user, "pk", None):
        return None
    return (
        Membership.objects.filter(workspace_id=workspace_id, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )


def needs_approval(workspace: Workspace, author: Any) -> bool:
    """Whether a post by `author` must be approved before it is scheduled."""
    if _role(workspace.pk, author) == Role.CONTRIBUTOR:
        return True
    return policy_for(workspace).workflow != Workflow.NONE


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


def approvers_for(post: Post) -> tuple[list[Any], bool]:
    """Who a post is sent to, and whether each of them must approve."""
    workspace = post.workspace
    policy = policy_for(workspace)
    if policy.pk and policy.workflow == Workflow.NAMED:
        memberships = policy.approvers.select_related("user")
        needs_all = True
    else:
        memberships = Membership.objects.filter(
            workspace=workspace, role__in=TEAM_APPROVER_ROLES
        ).select_related("user")
        needs_all = False
    users = [m.user for m in memberships if m.user_id != post.author_id]
    users.sort(key=lambda u: u.email)
    if not users:
        # Said as a problem of the post, so the composer shows it like any other.
        raise publishing.PostRejected({None: [Problem(
            "no_approver",
            _("Nobody else in this workspace can approve this post. Invite an approver or "
              "change the approval workflow."),
            "channels",
        )]})
    return users, needs_all


# ---------------------------------------------------------------------------------------------
# Who sees what
# ---------------------------------------------------------------------------------------------


def visible_posts(user: Any, queryset: QuerySet[Post] | None = None) -> QuerySet[Post]:
    """The posts `user` may see: all posts of workspaces where they are a team member, and in
    workspaces where they are a client approver only the posts sent to them."""
    queryset = Post.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    team = Membership.objects.filter(user=user).exclude(role=Role.CLIENT_APPROVER)
    client = Membership.objects.filter(user=user, role=Role.CLIENT_APPROVER)
    sent = ApprovalRequest.objects.filter(post=OuterRef("pk"), recipients=user)
    return queryset.filter(
        Q(workspace_id__in=team.values("workspace_id"))
        | (Q(workspace_id__in=client.values("workspace_id")) & Q(Exists(sent)))
    )


def visible_media(user: Any) -> QuerySet[Media]:
    team = Membership.objects.filter(user=user).exclude(role=Role.CLIENT_APPROVER)
    on_sent_post = PostMedia.objects.filter(
        media=OuterRef("pk"), post__in=visible_posts(user).values("pk")
    )
    return Media.objects.filter(
        Q(workspace_id__in=team.values("workspace_id")) | Q(Exists(on_sent_post))
    )


def latest_request(post: Post) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(post=post).order_by("-created_at", "-id").first()


def waiting_for(user: Any, workspace: Workspace | None = None) -> QuerySet[ApprovalRequest]:
    """Reviews that wait for this person's answer."""
    answered = ApprovalDecision.objects.filter(request=OuterRef("pk"), user=user)
    qs = ApprovalRequest.objects.filter(state=RequestState.PENDING, recipients=user).exclude(
        Exists(answered)
    )
    if workspace is not None:
        qs = qs.filter(workspace=workspace)
    return qs


def may_decide(request: ApprovalRequest | None, user: Any) -> bool:
    return bool(
        request is not None
        and request.state == RequestState.PENDING
        and request.recipients.filter(pk=user.pk).exists()
        and not request.decisions.filter(user=user).exists()
    )


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
                 summary=_excerpt(post.text), approvers=[u.email for u in recipients])
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
    problems = publishing.validate_post(
        workspace=post.workspace, text=post.text, channels=[t.channel for t in drafts],
        media=[pm.media for pm in post.postmedia_set.select_related("media")],
        content_warning=post.content_warning,
        variants={v.channel_id: ({"text": v.text} if v.override_text else {})
                  for v in post.variants.all()},
        scheduled_at=when or post.scheduled_at,
    )
    if problems:
        raise publishing.PostRejected(problems)
    actor = _label(user)
    with transaction.atomic():
        for target in drafts:
            publishing._move(target, [TargetState.DRAFT], TargetState.PENDING_APPROVAL,
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
                if when < now - publishing.PAST_GRACE:
                    raise NeedsNewTime(_("The new time is in the past."))
            elif post.scheduled_at and post.scheduled_at < now - publishing.PAST_GRACE:
                raise NeedsNewTime(
                    _("The post's time passed while it waited for approval; choose a new time.")
                )
        ApprovalDecision.objects.create(request=request, user=user, decision=Decision.APPROVE,
                                        comment=comment.strip())
        audit.record(post.workspace_id, "post.approved", actor=user, obj=post,
                     summary=_excerpt(post.text), complete=complete)
        if not complete:
            return request
        due = when or post.scheduled_at or timezone.now()
        for target in post.targets.filter(state=TargetState.PENDING_APPROVAL):
            publishing._move(
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
        publishing._nudge_after_commit(post)
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
            publishing._move(
                target, [TargetState.PENDING_APPROVAL], TargetState.DRAFT, actor=actor,
                message=_("Rejected by %(who)s: %(reason)s") % {"who": actor, "reason": reason},
                due_at=None,
            )
        request.state = RequestState.REJECTED
        request.reason = reason
        request.decided_at = timezone.now()
        request.save(update_fields=["state", "reason", "decided_at"])
        audit.record(post.workspace_id, "post.rejected", actor=user, obj=post,
                     summary=_excerpt(post.text), reason=reason)
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
            publishing._move(target, [TargetState.SCHEDULED], TargetState.PENDING_APPROVAL,
                             actor=actor, message=_("Edited after approval: back for review"),
                             due_at=None)
    return submit(post, by=editor, actor=actor)


def cleared_for_publishing(post: Post) -> bool:
    """Asked by the engine just before publishing: is this post (still) allowed out?

    A post that went through review needs its latest review approved (an edit opens a new
    one); a post that never did is fine unless its author is a contributor."""
    latest = latest_request(post)
    if latest is None:
        return _role(post.workspace_id, post.author) != Role.CONTRIBUTOR
    if latest.state == RequestState.APPROVED:
        return True
    if latest.state == RequestState.PENDING:
        return False
    # Rejected or withdrawn, then scheduled again by someone who needs no approval.
    return not needs_approval(post.workspace, post.author)


def cleared_posts(posts: Iterable[Post]) -> set[int]:
    """cleared_for_publishing for a batch of posts (the engine asks once per claimed batch):
    the ids of those allowed out, in two queries whatever the batch's size."""
    posts = list(posts)
    latest: dict[int, str] = {}
    for post_id, state in (ApprovalRequest.objects.filter(post_id__in=[p.pk for p in posts])
                           .order_by("created_at", "id").values_list("post_id", "state")):
        latest[post_id] = state  # ascending: the last one seen is the latest
    unreviewed = [p for p in posts if p.pk not in latest and p.author_id]
    roles: dict[tuple[int, int], str] = {}
    if unreviewed:
        roles = {
            (workspace_id, user_id): role
            for workspace_id, user_id, role in Membership.objects.filter(
                workspace_id__in={p.workspace_id for p in unreviewed},
                user_id__in={p.author_id for p in unreviewed},
            ).values_list("workspace_id", "user_id", "role")
        }
    cleared = set()
    for post in posts:
        state = latest.get(post.pk)
        if state is None:
            allowed = roles.get((post.workspace_id, post.author_id)) != Role.CONTRIBUTOR
        elif state in (RequestState.APPROVED, RequestState.PENDING):
            allowed = state == RequestState.APPROVED
        else:
            allowed = cleared_for_publishing(post)  # rare: the one-post rule decides
        if allowed:
            cleared.add(post.pk)
    return cleared


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


# ---------------------------------------------------------------------------------------------
# Notifications: stored for the bell, and sent by e-mail once the change is committed
# ---------------------------------------------------------------------------------------------


def notify(users: Iterable[Any], *, workspace_id: int, kind: str, post: Post | None = None,
           actor_label: str = "", detail: str = "") -> list[Notification]:
    rows = Notification.objects.bulk_create(
        Notification(user=u, workspace_id=workspace_id, kind=kind, post=post,
                     actor_label=actor_label[:150], detail=detail)
        for u in {u.pk: u for u in users}.values()
    )
    ids = [n.pk for n in rows if n.pk]
    if ids:
        transaction.on_commit(lambda: send_emails(ids), robust=True)
    return rows


def notification_text(notification: Notification) -> str:
    """One sentence, in the active language."""
    who = notification.actor_label or _("Someone")
    texts = {
        NotificationKind.SUBMITTED: _("%(who)s asks for your approval of a post."),
        NotificationKind.APPROVED: _("%(who)s approved your post."),
        NotificationKind.REJECTED: _("%(who)s sent your post back: %(detail)s"),
        NotificationKind.MENTIONED: _("%(who)s mentioned you: %(detail)s"),
        NotificationKind.PUBLISH_FAILED: _("Your post could not be published: %(detail)s"),
    }
    template = texts.get(notification.kind, "%(detail)s")
    return template % {"who": who, "detail": notification.detail}


def send_emails(notification_ids: Sequence[int]) -> int:
    """E-mail each notification to its person, in their language. A mail server that fails is
    logged, never raised: the notification is in the app either way."""
    from keryx.core.models import UserProfile

    rows = list(
        Notification.objects.filter(pk__in=notification_ids).select_related("user", "post",
                                                                            "workspace")
    )
    languages = dict(
        UserProfile.objects.filter(user_id__in=[n.user_id for n in rows]).values_list(
            "user_id", "language"
        )
    )
    messages = []
    for notification in rows:
        if not notification.user.email:
            continue
        with translation.override(languages.get(notification.user_id) or settings.LANGUAGE_CODE):
            text = notification_text(notification)
            link = ""
            if notification.post_id:
                link = settings.BASE_URL + reverse("posts:detail", args=[notification.post_id])
            subject = f"[Keryx · {notification.workspace.name}] {notification.get_kind_display()}"
            body = text
            if notification.post is not None:
                body += "\n\n" + _("The post:") + "\n" + _excerpt(notification.post.text, 500)
            if link:
                body += "\n\n" + link
        messages.append(mail.EmailMessage(subject=subject, body=body,
                                          from_email=settings.DEFAULT_FROM_EMAIL,
                                          to=[notification.user.email]))
    if not messages:
        return 0
    try:
        return mail.get_connection().send_messages(messages) or 0
    except Exception:  # a mail server problem must not undo or break the action
        logger.warning("could not send %d notification e-mails", len(messages), exc_info=True)
        return 0


def notify_publish_failed(target_id: int) -> None:
    """Tell the author that a delivery failed for good (called by the engine)."""
    from keryx.publishing.models import PostTarget

    target = PostTarget.objects.select_related("post", "channel").filter(pk=target_id).first()
    if target is None or not target.post.author_id:
        return
    notify([target.post.author], workspace_id=target.workspace_id,
           kind=NotificationKind.PUBLISH_FAILED, post=target.post,
           actor_label=target.channel.name,
           detail=f"{target.channel.name}: {target.error_message}"[:1000])


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user: Any, ids: Sequence[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def _excerpt(text: str, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
