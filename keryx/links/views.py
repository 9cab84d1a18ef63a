"""Short-link redirects (public), the links page (UTM builder, presets, short links with their
clicks) and two small JSON endpoints the composer calls. Thin: rules live in services/preview."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keryx.core.permissions import Action, can, require
from keryx.core.web import workspace_view
from keryx.links import services
from keryx.links.models import ShortLink, UtmPreset
from keryx.links.preview import card_for


@never_cache
@require_http_methods(["GET", "HEAD"])
def go(request: HttpRequest, code: str) -> HttpResponse:
    """/l/<code>: 302 to the destination. A HEAD (link checkers, some unfurlers) is answered
    without counting, so only real visits add up."""
    click = services.follow(code, count=request.method == "GET")
    if click is None:
        raise Http404("No such link")
    response = HttpResponseRedirect(click.url)
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response


def _utm_values(data: dict) -> dict[str, str]:
    return {k: str(data.get(k) or "") for k in services.UTM_FIELDS}


@workspace_view()
def links_page(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    result = ""
    values = {}
    preset = services.default_preset(workspace)
    if preset is not None:
        values = {k: getattr(preset, k) for k in services.UTM_FIELDS}
    if request.method == "POST":
        require(request.membership, Action.MANAGE_PLANNING)
        values = _utm_values(request.POST)
        action = request.POST.get("action", "build")
        try:
            if action == "preset":
                name = request.POST.get("preset_name", "").strip()
                if not name:
                    raise services.LinkRejected(_("Give the preset a name."))
                services.save_preset(workspace, name=name,
                                     default=bool(request.POST.get("preset_default")), **values)
                messages.success(request, _("Preset saved."))
                return redirect("links:page")
            result = services.with_utm(request.POST.get("url", ""), values)
            if request.POST.get("shorten"):
                result = services.short_url(services.shorten(workspace, result,
                                                             user=request.user))
        except services.LinkRejected as exc:
            messages.error(request, str(exc))
    return render(request, "links/links.html", {
        "workspace": workspace,
        "values": values,
        "url": request.POST.get("url", ""),
        "result": result,
        "presets": UtmPreset.objects.filter(workspace=workspace),
        "links": [(link, services.short_url(link))
                  for link in ShortLink.objects.filter(workspace=workspace)[:100]],
        "can_edit": can(request.membership, Action.MANAGE_PLANNING),
    })


@workspace_view(Action.MANAGE_PLANNING)
@require_POST
def build_json(request: HttpRequest) -> JsonResponse:
    """{"url", "source", ..., "shorten": bool} -> {"url": tagged or short link}."""
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": _("The request is not valid JSON.")}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"error": _("The request is not valid JSON.")}, status=400)
    workspace = request.membership.workspace
    try:
        url = services.with_utm(str(data.get("url") or ""), _utm_values(data))
        if data.get("shorten"):
            url = services.short_url(services.shorten(workspace, url, user=request.user))
    except services.LinkRejected as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"url": url})


@workspace_view(Action.CREATE_DRAFT)
@require_GET
def preview_json(request: HttpRequest) -> JsonResponse:
    """The card Bluesky will show for ?url=..., fetched (safely) once and then kept."""
    url = request.GET.get("url", "").strip()
    try:
        services.check_url(url)
    except services.LinkRejected as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    preview = card_for(request.membership.workspace, url)
    return JsonResponse({
        "url": preview.url, "title": preview.title, "description": preview.description,
        "image": bool(preview.image), "error": preview.error,
    })
