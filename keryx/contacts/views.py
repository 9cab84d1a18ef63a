"""Contacts (people and brands with a handle per network), hashtag groups and the workspace's
composer preferences, plus the JSON the composer's helper panel asks for. Thin views."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.channels.models import Channel
from keryx.contacts import hashtags
from keryx.contacts.extras import networks_offering, settings_for
from keryx.contacts.models import ComposerSettings, Contact, HashtagGroup
from keryx.contacts.services import (
    ContactRejected,
    handle_networks,
    save_contact,
    unknown_contacts,
)
from keryx.core.permissions import Action, can, require
from keryx.core.web import workspace_view


@workspace_view()
def contacts_page(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    editing = None
    if request.GET.get("edit"):
        editing = get_object_or_404(Contact, workspace=workspace, pk=request.GET["edit"])
    if request.method == "POST":
        require(request.membership, Action.MANAGE_PLANNING)
        if request.POST.get("delete"):
            Contact.objects.filter(workspace=workspace, pk=request.POST["delete"]).delete()
            messages.success(request, _("Contact deleted."))
            return redirect("contacts:list")
        if request.POST.get("contact_id"):
            editing = get_object_or_404(Contact, workspace=workspace,
                                        pk=request.POST["contact_id"])
        handles = {net: request.POST.get(f"handle_{net}", "") for net in handle_networks()}
        try:
            save_contact(workspace, name=request.POST.get("name", ""), handles=handles,
                         note=request.POST.get("note", ""), contact=editing)
        except ContactRejected as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Contact saved."))
            return redirect("contacts:list")
    current = {h.network: h.handle for h in editing.handles.all()} if editing else {}
    return render(request, "contacts/contacts.html", {
        "workspace": workspace,
        "contacts": Contact.objects.filter(workspace=workspace).prefetch_related("handles"),
        "editing": editing,
        "fields": [(net, request.POST.get(f"handle_{net}", current.get(net, "")))
                   for net in handle_networks()],
        "can_edit": can(request.membership, Action.MANAGE_PLANNING),
    })


@workspace_view()
def hashtags_page(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    prefs = settings_for(workspace.pk)
    if request.method == "POST":
        require(request.membership, Action.MANAGE_PLANNING)
        action = request.POST.get("action")
        if action == "delete":
            HashtagGroup.objects.filter(workspace=workspace, pk=request.POST.get("group")).delete()
        elif action == "settings":
            ComposerSettings.objects.update_or_create(workspace=workspace, defaults={
                "closing_tags_in_first_comment": bool(
                    request.POST.get("closing_tags_in_first_comment")),
                "link_cards": bool(request.POST.get("link_cards")),
            })
            messages.success(request, _("Preferences saved."))
        else:
            try:
                hashtags.save_group(workspace, request.POST.get("name", ""),
                                    request.POST.get("tags", ""))
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Hashtag group saved."))
        return redirect("contacts:hashtags")
    return render(request, "contacts/hashtags.html", {
        "workspace": workspace,
        "groups": HashtagGroup.objects.filter(workspace=workspace),
        "suggestions": hashtags.suggestions(workspace, limit=20),
        "prefs": prefs,
        "tag_networks": networks_offering("closing_tags_to_first_comment"),
        "card_networks": networks_offering("link_card_option"),
        "can_edit": can(request.membership, Action.MANAGE_PLANNING),
    })


@workspace_view(Action.CREATE_DRAFT)
@require_POST
def check_json(request: HttpRequest) -> JsonResponse:
    """{"text", "channels": [ids]} -> per-network hashtag advice, and @{Name}s with no contact.
    Advice only: the refusals come from validation."""
    try:
        data = json.loads(request.body or b"{}")
        text = str(data.get("text") or "")
        channel_ids = [int(c) for c in data.get("channels") or []][:50]
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError):
        return JsonResponse({"error": _("The request is not valid JSON.")}, status=400)
    workspace = request.membership.workspace
    networks = sorted(set(Channel.objects.filter(workspace=workspace, pk__in=channel_ids)
                          .values_list("network", flat=True)))
    unknown = unknown_contacts(workspace, text)
    advice = {net: [p.message for p in hashtags.advice(text, net)] for net in networks}
    return JsonResponse({
        "unknown_contacts": unknown,
        "advice": {net: items for net, items in advice.items() if items},
        "suggestions": [s.tag for s in hashtags.suggestions(
            workspace, prefix=str(data.get("prefix") or ""), limit=8)],
    })
