"""Two one-line includes: the bell in the top bar and the review panel on a post's page."""

from __future__ import annotations

from typing import Any

from django import template

from keryx.approvals import services
from keryx.approvals.forms import CommentForm, EditForm, NewTimeForm, RejectForm
from keryx.approvals.models import Comment, RequestState
from keryx.core.models import Membership, Role
from keryx.core.permissions import Action, can
from keryx.publishing.models import TargetState

register = template.Library()


@register.inclusion_tag("approvals/_bell.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    count = services.unread_count(user) if user is not None and user.is_authenticated else 0
    return {"unread": count}


@register.inclusion_tag("approvals/_panel.html", takes_context=True)
def approval_panel(context: dict[str, Any], post: Any) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    membership = Membership.objects.filter(workspace_id=post.workspace_id, user=user).first()
    role = membership.role if membership else None
    latest = services.latest_request(post)
    decisions = list(latest.decisions.select_related("user")) if latest else []
    states = {t.state for t in post.targets.all()}
    needs = services.needs_approval(post.workspace, post.author)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "post": post,
        "review": latest,
        "pending": latest is not None and latest.state == RequestState.PENDING,
        "recipients": list(latest.recipients.all()) if latest else [],
        "decisions": decisions,
        "may_decide": can(membership, Action.APPROVE, post)
        and services.may_decide(latest, user),
        "new_time": request.GET.get("new_time") == "1",
        "time_form": NewTimeForm(workspace=post.workspace),
        "reject_form": RejectForm(),
        "can_submit": can(membership, Action.SUBMIT_FOR_APPROVAL, post) and needs
        and TargetState.DRAFT in states,
        "can_edit": can(membership, Action.EDIT_POST, post)
        and bool(states & {TargetState.DRAFT, TargetState.PENDING_APPROVAL,
                           TargetState.SCHEDULED}),
        "edit_form": EditForm(initial={"text": post.text}),
        "comments": Comment.objects.filter(post=post).select_related("author"),
        "can_comment": role is not None and services.can_comment(post, user),
        "comment_form": CommentForm(),
        "is_client": role == Role.CLIENT_APPROVER,
        "RequestState": RequestState,
    }


@register.inclusion_tag("approvals/_waiting.html", takes_context=True)
def waiting_for_me(context: dict[str, Any]) -> dict[str, Any]:
    """For the dashboard: the reviews that wait for the viewer, oldest first (two queries)."""
    request = context["request"]
    membership = getattr(request, "membership", None)
    qs = services.waiting_for(request.user, membership.workspace if membership else None)
    return {
        "count": qs.count(),
        "waiting": list(qs.select_related("post", "requested_by").order_by("created_at")[:5]),
    }
