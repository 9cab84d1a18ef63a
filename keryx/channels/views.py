"""Channel pages: list, connect (any network: OAuth or a credential form; Bluesky and Mastodon
with their own forms), OAuth callbacks, reconnect, rename, delete.

Thin: every decision is in the channel modules (access, connect, oauth, health, ...)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from keryx.channels import access, connect, errors, flows, health, mastodon_oauth, oauth, tokens
from keryx.channels.forms import BlueskyForm, ConnectFieldsForm, MastodonForm, RenameForm
from keryx.channels.models import ChannelStatus
from keryx.core.permissions import Action, can
from keryx.core.web import workspace_view


@workspace_view()
def channel_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    channels = access.channels_for(request.user, membership.workspace)
    for channel in channels:
        channel.warning = tokens.channel_warning(channel)
    return render(
        request,
        "channels/list.html",
        {
            "channels": channels,
            "workspace": membership.workspace,
            "can_connect": can(membership, Action.CONNECT_CHANNEL),
            "can_delete": can(membership, Action.DELETE_CHANNEL),
            "needs_reconnect": ChannelStatus.NEEDS_RECONNECT,
        },
    )


@workspace_view(Action.CONNECT_CHANNEL)
def connect_bluesky(request: HttpRequest) -> HttpResponse:
    form = BlueskyForm(request.POST or None, initial=request.GET.dict() or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel = connect.connect_bluesky(
                request.membership.workspace,  # type: ignore[attr-defined]
                request.user,
                data["handle"],
                data["app_password"],
                service=data["service"],
                name=data["name"],
            )
        except errors.ChannelError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Connected %(name)s.") % {"name": channel.name})
            return redirect("channels:list")
    return render(request, "channels/connect_bluesky.html", {"form": form})


@workspace_view(Action.CONNECT_CHANNEL)
def connect_mastodon(request: HttpRequest) -> HttpResponse:
    form = MastodonForm(request.POST or None, initial=request.GET.dict() or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        workspace = request.membership.workspace  # type: ignore[attr-defined]
        try:
            if data["access_token"]:
                channel = connect.connect_mastodon_token(
                    workspace, request.user, data["instance"], data["access_token"], data["name"]
                )
            else:
                url = mastodon_oauth.begin_mastodon_oauth(
                    workspace, request.user, data["instance"], data["name"]
                )
                return HttpResponseRedirect(url)
        except errors.ChannelError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Connected %(name)s.") % {"name": channel.name})
            return redirect("channels:list")
    return render(request, "channels/connect_mastodon.html", {"form": form})


@login_required
def mastodon_callback(request: HttpRequest) -> HttpResponse:
    try:
        channel = mastodon_oauth.finish_mastodon_oauth(
            request.GET.get("state"),
            request.GET.get("code"),
            user=request.user,
            error=request.GET.get("error_description") or request.GET.get("error"),
        )
    except errors.ChannelError as exc:
        messages.error(request, exc.message)
        return redirect("channels:list")
    messages.success(request, _("Connected %(name)s.") % {"name": channel.name})
    return redirect("channels:list")


@workspace_view(Action.CONNECT_CHANNEL)
def connect_index(request: HttpRequest) -> HttpResponse:
    """Every network Keryx knows, with how it connects."""
    return render(request, "channels/connect.html", {"networks": flows.connect_options()})


@workspace_view(Action.CONNECT_CHANNEL)
def connect_network(request: HttpRequest, network: str) -> HttpResponse:
    """One network: a sign-in button (OAuth) and/or the credential form from its fields."""
    if network in flows.OWN_FLOWS:
        return redirect(f"channels:connect_{network}")
    try:
        option = flows.connect_option(network)
    except KeyError as exc:
        raise Http404(_("Keryx does not know this network.")) from exc
    workspace = request.membership.workspace  # type: ignore[attr-defined]
    initial = request.GET.dict() or None
    fields = flows.connect_fields(network)
    oauth_form = ConnectFieldsForm(
        request.POST if request.POST.get("method") == "oauth" else None,
        connect_fields=fields, only_settings=True, initial=initial, prefix="oauth",
    )
    token_form = ConnectFieldsForm(
        request.POST if request.POST.get("method") == "credentials" else None,
        connect_fields=fields, initial=initial, prefix="creds",
    )
    if request.method == "POST" and option["oauth"] and request.POST.get("method") == "oauth":
        if oauth_form.is_valid():
            try:
                url = oauth.begin_oauth(
                    workspace, request.user, network, name=oauth_form.cleaned_data["name"],
                    values=oauth_form.values(),
                )
            except errors.ChannelError as exc:
                oauth_form.add_error(None, exc.message)
            else:
                return HttpResponseRedirect(url)
    elif request.method == "POST" and request.POST.get("method") == "credentials":
        if token_form.is_valid():
            try:
                channel = connect.connect_with_credentials(
                    workspace, request.user, network, token_form.values(),
                    name=token_form.cleaned_data["name"],
                )
            except errors.ChannelError as exc:
                token_form.add_error(None, exc.message)
            else:
                messages.success(request, _("Connected %(name)s.") % {"name": channel.name})
                return redirect("channels:list")
    return render(
        request,
        "channels/connect_network.html",
        {"option": option, "oauth_form": oauth_form, "token_form": token_form},
    )


@login_required
def oauth_callback(request: HttpRequest, network: str) -> HttpResponse:
    try:
        channel = oauth.finish_oauth(
            request.GET.get("state"),
            request.GET.get("code"),
            request.user,
            error=request.GET.get("error_description") or request.GET.get("error"),
            network=network,
        )
    except errors.ChannelError as exc:
        messages.error(request, exc.message)
        return redirect("channels:list")
    messages.success(request, _("Connected %(name)s.") % {"name": channel.name})
    return redirect("channels:list")


@workspace_view(Action.CONNECT_CHANNEL)
def reconnect(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Back to the connect form for this account, prefilled; the same channel row is kept."""
    channel = access.get_channel(request.user, channel_id)
    access.require(channel.workspace, request.user, Action.CONNECT_CHANNEL)
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
    try:
        if flows.oauth_spec(channel.network) is not None:
            # One click: through the network's sign-in again, for this same channel.
            return HttpResponseRedirect(oauth.begin_oauth(
                channel.workspace, request.user, channel.network, reconnect_channel=channel
            ))
    except errors.ChannelError as exc:
        messages.error(request, exc.message)
        return redirect("channels:list")
    except KeyError:
        messages.error(request, _("This network cannot be reconnected from here."))
        return redirect("channels:list")
    query = {"name": channel.name, **{
        k: v for k, v in channel.settings.items() if isinstance(v, str)
    }}
    return redirect(
        reverse("channels:connect_network", args=[channel.network]) + "?" + urlencode(query)
    )


@workspace_view()
def rename(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = access.get_channel(request.user, channel_id)
    access.require(channel.workspace, request.user, Action.CONNECT_CHANNEL)
    form = RenameForm(request.POST or None, initial={"name": channel.name})
    if request.method == "POST" and form.is_valid():
        old = channel.name
        try:
            health.rename_channel(channel, request.user, form.cleaned_data["name"])
        except errors.ChannelError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, _("Renamed %(old)s to %(new)s.") % {
                "old": old, "new": channel.name})
            return redirect("channels:list")
    return render(request, "channels/rename.html", {"channel": channel, "form": form})


@workspace_view()
def delete(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = access.get_channel(request.user, channel_id)
    access.require(channel.workspace, request.user, Action.DELETE_CHANNEL)
    if request.method == "POST":
        try:
            health.delete_channel(channel, request.user)
        except errors.ChannelError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Deleted %(name)s.") % {"name": channel.name})
        return redirect("channels:list")
    return render(request, "channels/delete.html", {"channel": channel})
