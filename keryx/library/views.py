"""The media library pages. Thin: the rules live in keryx.library.services. Every lookup is
scoped to the current workspace, so another workspace's ids answer 404."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.channels.models import Channel
from keryx.core.permissions import Action, can, require
from keryx.core.web import workspace_view
from keryx.library import services
from keryx.library.models import AdaptedFile, Tag
from keryx.networks.registry import names
from keryx.publishing.models import Media
from keryx.publishing.services import MediaRejected

MAX_FILES_PER_UPLOAD = 20
GUIDE = Path(__file__).with_name("guide.json")


def _media(request: HttpRequest, pk: int) -> Media:
    media = Media.objects.filter(pk=pk, workspace_id=request.membership.workspace_id).first()
    if media is None:
        raise Http404("No such media")
    return media


def _networks(request: HttpRequest) -> list[str]:
    """The workspace's channels' networks first (what the user publishes to), then the rest."""
    mine = list(dict.fromkeys(Channel.objects.filter(
        workspace_id=request.membership.workspace_id).values_list("network", flat=True)))
    return mine + [n for n in names() if n not in mine]


@workspace_view()
def library(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    query, tag, kind = (request.GET.get(k, "").strip() for k in ("q", "tag", "kind"))
    found = services.search(workspace, query, tag, kind)[:200]
    return render(request, "library/library.html", {
        "items": found, "q": query, "tag": tag, "kind": kind,
        "tags": Tag.objects.filter(workspace=workspace),
        "can_edit": can(request.membership, Action.UPLOAD_MEDIA),
        "max_files": MAX_FILES_PER_UPLOAD,
    })


@require_POST
@workspace_view(Action.UPLOAD_MEDIA)
def upload(request: HttpRequest) -> HttpResponse:
    """Several files at once. Each file is saved or refused on its own (one bad file never
    loses the others); answers JSON to the drag-and-drop script, else back to the page."""
    files = request.FILES.getlist("files")[:MAX_FILES_PER_UPLOAD]
    tags = request.POST.get("tags", "")
    results: list[dict[str, Any]] = []
    for file in files:
        try:
            media = services.upload(workspace=request.membership.workspace, user=request.user,
                                    file=file, filename=file.name, tags=tags)
        except MediaRejected as exc:
            results.append({"name": file.name, "ok": False, "error": str(exc)})
        else:
            results.append({"name": file.name, "ok": True, "id": media.pk,
                            "url": f"/library/{media.pk}/"})
    if not files:
        results.append({"name": "", "ok": False, "error": _("Choose at least one file.")})
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"results": results}, status=200)
    for result in results:
        if result["ok"]:
            messages.success(request, _("%(name)s added.") % {"name": result["name"]})
        else:
            messages.error(request, result["error"])
    return redirect("library:index")


@workspace_view()
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    media = _media(request, pk)
    can_edit = can(request.membership, Action.SET_ALT_TEXT, media)
    if request.method == "POST":
        require(request.membership, Action.SET_ALT_TEXT, media)
        services.set_alt_text(media, request.POST.get("alt_text", media.alt_text),
                              actor=request.user)
        services.set_tags(media, request.POST.get("tags", ""))
        try:
            x, y = float(request.POST["focal_x"]), float(request.POST["focal_y"])
        except (KeyError, ValueError):
            pass
        else:
            services.set_focal_point(media, x, y)
        messages.success(request, _("Saved."))
        return redirect("library:detail", pk=media.pk)
    focal = services.focal_of(media)
    return render(request, "library/detail.html", {
        "media": media, "can_edit": can_edit, "focal": focal,
        "focal_left": round(focal.x * 100, 2), "focal_top": round(focal.y * 100, 2),
        "tags": ", ".join(t.name for t in media.library_tags.all()),
        "rows": services.checks(media, _networks(request)),
    })


@workspace_view()
def adapted_file(request: HttpRequest, pk: int, network: str) -> FileResponse:
    """Download the exact file `network` gets (made now if it is not cached yet)."""
    media = _media(request, pk)
    if network not in names():
        raise Http404("No such network")
    outcome = services.adapt_for(media, [network])[network]
    adapted: AdaptedFile | None = outcome.adapted
    if adapted is None:
        raise Http404("No adapted file for this network")
    stem = (media.original_name.rsplit(".", 1)[0] or "media")[:80]
    name = f"{stem}-{network}.{adapted.file.name.rsplit('.', 1)[-1]}"
    response = FileResponse(adapted.file.open("rb"), content_type=adapted.mime_type,
                            as_attachment="download" in request.GET, filename=name)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@lru_cache(maxsize=1)
def _guide() -> list[dict[str, str]]:
    return json.loads(GUIDE.read_text(encoding="utf-8"))


@workspace_view()
def guide(request: HttpRequest) -> HttpResponse:
    rows = _guide()
    networks = list(dict.fromkeys(r["network"] for r in rows))
    return render(request, "library/guide.html", {
        "groups": [(n, [r for r in rows if r["network"] == n]) for n in networks],
    })
