"""Channel pages: list, connect Bluesky, connect Mastodon (OAuth or token), delete.

Thin: every decision is in channels.services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from keryx.channels import services
from keryx.channels.forms import BlueskyForm, MastodonForm
from keryx.channels.models import ChannelStatus
from keryx.core.models import Role
from keryx.core.web import workspace_view


@workspace_view()
def channel_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    channels = services.channels_for(request.user, membership.workspace)
    return render(
        request,
        "channels/list.html",
        {
            "channels": channels,
            "workspace": membership.workspace,
            "can_connect": membership.allows(Role.EDITOR),
            "can_delete": membership.allows(Role.ADMIN),
            "needs_reconnect": ChannelStatus.NEEDS_RECONNECT,
        },
    )


@workspace_view(Role.EDITOR)
def connect_bluesky(request: HttpRequest) -> HttpResponse:
    form = BlueskyForm(request.POST or None, initial=request.GET.dict() or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel = services.connect_bluesky(
                request.membership.workspace,  # type: ignore[attr-defined]
                request.user,
                data["handle"],
                data["app_password"],
                service=data["service"],
                name=data["name"],
            )
        except services.ChannelError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Connected %(name)s.") % {"name": channel.name})
            return redirect("channels:list")
    return render(request, "channels/connect_bluesky.html", {"form": form})


@workspace_view(Role.EDITOR)
def connect_mastodon(request: HttpRequest) -> HttpResponse:
    form = MastodonForm(request.POST or None, initial=request.GET.dict() or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        workspace = request.membership.workspace  # type: ignore[attr-defined]
        try:
            if data["access_token"]:
                channel = services.connect_mastodon_token(
                    workspace, request.user, data["instance"], data["access_token"], data["name"]
                )
            else:
                url = services.begin_mastodon_oauth(
                    workspace, request.user, data["instance"], data["name"]
                )
                return HttpResponseRedirect(url)
        except services.ChannelError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Connected %(name)s.") % {"name": channel.name})
            return redirect("channels:list")
    return render(request, "channels/connect_mastodon.html", {"form": form})


@login_required
def mastodon_callback(request: HttpRequest) -> HttpResponse:
    try:
        channel = services.finish_mastodon_oauth(
            request.GET.get("state"),
            request.GET.get("code"),
            user=request.user,
            error=request.GET.get("error_description") or request.GET.get("error"),
        )
    except services.ChannelError as exc:
        messages.error(request, exc.message)
        return redirect("channels:list")
    messages.success(request, _("Connected %(name)s.") % {"name": channel.name})
    return redirect("channels:list")


@workspace_view(Role.EDITOR)
def reconnect(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Back to the connect form for this account, prefilled; the same channel row is kept."""
    channel = services.get_channel(request.user, channel_id)
    services.require(channel.workspace, request.user, Role.EDITOR)
    if channel.network == "mastodon":
        query = {"instance": channel.settings.get("instance", ""), "name": channel.name}
        return redirect(reverse("channels:connect_mastodon") + "?" + urlencode(query))
    if channel.network == "bluesky":
        query = {
            "handle": channel.handle.lstrip("@"),
            "service": channel.settings.get("service", ""),
            "name": channel.name,
        }
        return redirect(reverse("channels:connect_bluesky") + "?" + urlencode(query))
    messages.error(request, _("This network cannot be reconnected from here."))
    return redirect("channels:list")


@workspace_view()
def delete(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = services.get_channel(request.user, channel_id)
    services.require(channel.workspace, request.user, Role.ADMIN)
    if request.method == "POST":
        try:
            services.delete_channel(channel, request.user)
        except services.ChannelError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Deleted %(name)s.") % {"name": channel.name})
        return redirect("channels:list")
    return render(request, "channels/delete.html", {"channel": channel})
