"""Link preview cards, fetched once and kept for a day per (workspace, URL).

The composer asks for a card to show it; the publisher asks again at publish time and gets the
stored one, so a post does not wait on a slow site twice and the card the user saw is the card
that goes out.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from keryx.core.models import Workspace
from keryx.links.fetch import PreviewFailed, fetch_card
from keryx.links.models import LinkPreview
from keryx.links.services import LinkRejected, check_url

MAX_AGE = timedelta(days=1)
# A failed fetch is tried again sooner: the site may have been down for a moment.
RETRY_AFTER_FAILURE = timedelta(minutes=10)


def _hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def card_for(workspace: Workspace | int, url: str, *, refresh: bool = False) -> LinkPreview:
    """The stored card for `url`, fetched now if missing or stale. A card that could not be
    built has `error` set and no title; it never raises for a bad site."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    now = timezone.now()
    url = url.strip()
    preview = LinkPreview.objects.filter(workspace_id=workspace_id, url_hash=_hash(url)).first()
    if preview is not None and not refresh:
        age = now - preview.fetched_at
        if age < (RETRY_AFTER_FAILURE if preview.error else MAX_AGE):
            return preview
    if preview is None:
        preview = LinkPreview(workspace_id=workspace_id, url=url[:2000], url_hash=_hash(url))
    preview.fetched_at = now
    try:
        check_url(url)
        card = fetch_card(url, allow_private=tuple(settings.ALLOWED_PRIVATE_HOSTS))
    except (LinkRejected, PreviewFailed) as exc:
        preview.error = str(exc)[:300]
        preview.title = preview.description = ""
        if preview.image:
            preview.image.delete(save=False)
        preview.image_mime = ""
        preview.save()
        return preview
    preview.error = ""
    preview.title, preview.description = card.title, card.description
    if preview.image:
        preview.image.delete(save=False)
    if card.image:
        preview.image.save(f"{_hash(url)[:32]}.jpg", ContentFile(card.image), save=False)
        preview.image_mime = card.image_mime
    else:
        preview.image_mime = ""
    preview.save()
    return preview


def external_option(preview: LinkPreview) -> dict[str, str] | None:
    """What the Bluesky provider takes as request.options["external"], or None without a card.
    The thumbnail is handed over as a file path, like media (the provider uploads the blob)."""
    if preview.error or not (preview.title or preview.description):
        return None
    option = {"uri": preview.url, "title": preview.title, "description": preview.description}
    if preview.image:
        option["thumb_path"] = preview.image.path
        option["thumb_mime"] = preview.image_mime or "image/jpeg"
    return option
