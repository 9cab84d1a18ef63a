"""Who approves a post, who sees it, and whether it may go out: the approval rules, read-only.

Who must approve:
- a contributor's post always needs an approval (contributors cannot publish on their own);
- with the "any" workflow every post needs one approval from an editor, admin or owner;
- with the "named" workflow every post needs the approval of each named approver (who may be
  client approvers, outside people who see only what is sent to them).
Nobody approves their own post.

The publishing actions ask `needs_approval` when a post is created or a draft is scheduled; the
engine asks `cleared_posts` again just before it publishes (so this module changes nothing and
imports no publishing action). The actions (submit, approve, reject) are in services.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from keryx.approvals.models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalRequest,
    RequestState,
    Workflow,
)
from keryx.core import permissions
from keryx.core.models import Membership, Role, Workspace
from keryx.core.permissions import Action
from keryx.networks.base import Problem
from keryx.publishing.errors import PostRejected
from keryx.publishing.models import Media, Post, PostMedia

# Roles that approve in the default ("none") and "any" workflows.
TEAM_APPROVER_ROLES = tuple(
    r for r in permissions.allowed_roles(Action.APPROVE) if r != Role.CLIENT_APPROVER
)


def policy_for(workspace: Workspace) -> ApprovalPolicy:
    """The workspace's workflow (an unsaved default when never set: no reads turn into writes)."""
    return ApprovalPolicy.objects.filter(workspace=workspace).first() or ApprovalPolicy(
        workspace=workspace
    )


def role_in(workspace_id: int, user: Any) -> str | None:
    if not getattr(user, "pk", None):
        return None
    return (
        Membership.objects.filter(workspace_id=workspace_id, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )


def needs_approval(workspace: Workspace, author: Any) -> bool:
    """Whether a post by `author` must be approved before it is scheduled."""
    if role_in(workspace.pk, author) == Role.CONTRIBUTOR:
        return True
    return policy_for(workspace).workflow != Workflow.NONE


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
        raise PostRejected({None: [Problem(
            "no_approver",
            _("Nobody else in this workspace can approve this post. Invite an approver or "
              "change the approval workflow."),
            "channels",
        )]})
    return users, needs_all


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


def cleared_for_publishing(post: Post) -> bool:
    """Asked by the engine just before publishing: is this post (still) allowed out?

    A post that went through review needs its latest review approved (an edit opens a new
    one); a post that never did is fine unless its author is a contributor."""
    latest = latest_request(post)
    if latest is None:
        return role_in(post.workspace_id, post.author) != Role.CONTRIBUTOR
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
