"""Dashboard and workspaces: list, switch, create, settings."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.channels.models import Channel, ChannelStatus
from keryx.core import services
from keryx.core.access import membership_for, memberships_of
from keryx.core.forms import WorkspaceForm
from keryx.core.permissions import Action, can
from keryx.core.web import safe_next, switch_workspace, workspace_view
from keryx.publishing.models import Post, PostTarget, TargetState


@workspace_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    now = timezone.now()
    upcoming = (
        Post.objects.filter(
            workspace=workspace,
            targets__state=TargetState.SCHEDULED,
            targets__due_at__gte=now - timedelta(minutes=5),
            targets__due_at__lte=now + timedelta(days=7),
        )
        .distinct()
        .order_by("scheduled_at")
        .prefetch_related(
            Prefetch("targets", queryset=PostTarget.objects.select_related("channel"))
        )[:20]
    )
    failures = (
        PostTarget.objects.filter(
            workspace=workspace, state__in=[TargetState.FAILED, TargetState.UNKNOWN]
        )
        .select_related("post", "channel")
        .order_by("-updated_at")[:10]
    )
    reconnect = Channel.objects.filter(workspace=workspace).exclude(status=ChannelStatus.ACTIVE)
    return render(
        request,
        "core/dashboard.html",
        {
            "upcoming": upcoming,
            "failures": failures,
            "reconnect": reconnect,
            "has_channels": Channel.objects.filter(workspace=workspace).exists(),
            "can_write": can(request.membership, Action.CREATE_DRAFT),
        },
    )


@login_required
def workspaces(request: HttpRequest) -> HttpResponse:
    return render(request, "core/workspaces.html", {"memberships": memberships_of(request.user)})


@require_POST
@login_required
def workspace_switch(request: HttpRequest, workspace_id: int) -> HttpResponse:
    switch_workspace(request, membership_for(request.user, workspace_id))
    return redirect(safe_next(request, "/"))


@login_required
def workspace_create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.create_workspace(
                request.user, form.cleaned_data["name"], form.cleaned_data["timezone"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            switch_workspace(request, membership_for(request.user, workspace.pk))
            messages.success(request, _("Workspace created. Connect a channel to start."))
            return redirect("dashboard")
    return render(request, "core/workspace_form.html", {"form": form, "creating": True})


@workspace_view(Action.MANAGE_SETTINGS)
def workspace_settings(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    form = WorkspaceForm(
        request.POST or None, initial={"name": workspace.name, "timezone": workspace.timezone}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_workspace(
                workspace, name=form.cleaned_data["name"], timezone=form.cleaned_data["timezone"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Workspace settings saved."))
            return redirect("workspace_settings")
    return render(request, "core/workspace_form.html", {"form": form, "creating": False})
