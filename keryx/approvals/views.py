"""Review inbox, approve/reject/submit/edit/comment on a post, notifications, the approval
settings and the audit log. Thin: the rules are in keryx.approvals.services."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.approvals import services
from keryx.approvals.forms import (
    AuditFilterForm,
    CommentForm,
    EditForm,
    NewTimeForm,
    PolicyForm,
    RejectForm,
)
from keryx.approvals.models import ApprovalRequest, Notification, RequestState
from keryx.core.access import membership_for
from keryx.core.audit import ACTIONS
from keryx.core.models import AuditLog
from keryx.core.permissions import Action, require
from keryx.core.timeutil import get_zone
from keryx.core.web import safe_next, switch_workspace, workspace_view
from keryx.publishing import services as publishing
from keryx.publishing.models import Post, PostTarget


def _post(request: HttpRequest, pk: int) -> Post:
    post = services.visible_posts(request.user).select_related("workspace").filter(pk=pk).first()
    if post is None:
        raise Http404("No such post")
    switch_workspace(request, membership_for(request.user, post.workspace_id))
    return post


def _back(post: Post) -> HttpResponse:
    return redirect("posts:detail", pk=post.pk)


@workspace_view(clients=True)
def inbox(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    posts = Prefetch("post__targets", queryset=PostTarget.objects.select_related("channel"))
    waiting = (
        services.waiting_for(request.user, workspace)
        .select_related("post", "requested_by")
        .prefetch_related(posts)
        .order_by("created_at")
    )
    mine = (
        ApprovalRequest.objects.filter(
            workspace=workspace, state=RequestState.PENDING, post__author=request.user
        )
        .select_related("post")
        .prefetch_related(posts, "recipients")
        .order_by("created_at")
    )
    return render(request, "approvals/inbox.html", {"waiting": waiting, "mine": mine})


@require_POST
@workspace_view(clients=True)
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    require(membership_for(request.user, post.workspace_id), Action.APPROVE, post)
    form = NewTimeForm(request.POST, workspace=post.workspace)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(post)
    try:
        done = services.approve(post, user=request.user,
                                when=form.cleaned_data.get("scheduled_at"),
                                comment=form.cleaned_data["comment"])
    except services.NeedsNewTime as exc:
        messages.error(request, str(exc))
        return redirect(reverse("posts:detail", args=[post.pk]) + "?new_time=1#review")
    except services.ApprovalError as exc:
        messages.error(request, str(exc))
    else:
        if done.state == RequestState.APPROVED:
            messages.success(request, _("Approved. The post is scheduled."))
        else:
            messages.success(request, _("Approved. Waiting for the other approvers."))
    return _back(post)


@require_POST
@workspace_view(clients=True)
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    require(membership_for(request.user, post.workspace_id), Action.APPROVE, post)
    form = RejectForm(request.POST)
    try:
        if not form.is_valid():
            raise services.ApprovalError(_("Say what needs changing, so the author can fix it."))
        services.reject(post, user=request.user, reason=form.cleaned_data["reason"])
    except services.ApprovalError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Sent back to the author as a draft."))
    return _back(post)


@require_POST
@workspace_view()
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    require(membership_for(request.user, post.workspace_id), Action.SUBMIT_FOR_APPROVAL, post)
    form = NewTimeForm(request.POST, workspace=post.workspace)
    if not form.is_valid():
        messages.error(request, _("Check the date and time."))
        return _back(post)
    try:
        services.submit_draft(post, user=request.user, when=form.cleaned_data.get("scheduled_at"))
    except publishing.PostRejected as exc:
        messages.error(request, exc.summary())
    except services.ApprovalError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Sent for approval."))
    return _back(post)


@require_POST
@workspace_view()
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    require(membership_for(request.user, post.workspace_id), Action.EDIT_POST, post)
    form = EditForm(request.POST)
    if form.is_valid():
        try:
            publishing.edit_post(post, text=form.cleaned_data["text"], editor=request.user,
                                 actor=request.user.get_username())
        except (publishing.PostRejected, publishing.InvalidTransition) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Post saved."))
    return _back(post)


@require_POST
@workspace_view(clients=True)
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post(request, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a comment first."))
        return _back(post)
    try:
        services.add_comment(post, user=request.user, body=form.cleaned_data["body"])
    except services.ApprovalError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("posts:detail", args=[post.pk]) + "#comments")


@workspace_view(clients=True)
def notifications(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(user=request.user).select_related("post", "workspace")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for notification in page:
        notification.text = services.notification_text(notification)
    return render(request, "approvals/notifications.html", {"page": page})


@require_POST
@workspace_view(clients=True)
def notifications_read(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("id") if v.isdecimal()] or None
    services.mark_read(request.user, ids)
    return redirect(safe_next(request, reverse("approvals:notifications")))


@workspace_view(Action.MANAGE_SETTINGS)
def policy_settings(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    policy = services.policy_for(membership.workspace)
    initial = {"workflow": policy.workflow,
               "approvers": list(policy.approvers.all()) if policy.pk else []}
    form = PolicyForm(request.POST or None, initial=initial, workspace=membership.workspace)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_policy(actor=membership, workflow=form.cleaned_data["workflow"],
                                approvers=list(form.cleaned_data["approvers"]))
        except services.ApprovalError as exc:
            form.add_error("approvers", str(exc))
        else:
            messages.success(request, _("Approval workflow saved."))
            return redirect("approvals:settings")
    return render(request, "approvals/settings.html", {"form": form})


@workspace_view(Action.VIEW_AUDIT_LOG)
def audit_log(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    form = AuditFilterForm(request.GET or None)
    rows = AuditLog.objects.filter(workspace=workspace).select_related("actor")
    if form.is_valid():
        data = form.cleaned_data
        zone = get_zone(workspace.timezone)
        if data["action"]:
            rows = rows.filter(action=data["action"])
        if data["actor"]:
            rows = rows.filter(Q(actor_label__icontains=data["actor"])
                               | Q(actor__email__icontains=data["actor"]))
        if data["since"]:
            rows = rows.filter(at__gte=datetime.combine(data["since"], time(0), tzinfo=zone))
        if data["until"]:
            end = datetime.combine(data["until"] + timedelta(days=1), time(0), tzinfo=zone)
            rows = rows.filter(at__lt=end)
    page = Paginator(rows.order_by("-at", "-id"), 50).get_page(request.GET.get("page"))
    for entry in page:
        entry.action_label = ACTIONS.get(entry.action, entry.action)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "approvals/audit.html",
                  {"form": form, "page": page, "query": query.urlencode()})
