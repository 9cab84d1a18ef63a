"""The composer's check of a post: the verdicts (publishing.services.validate_post, the code that
also guards scheduling) with, per channel, the exact counts, which part is over and by how much,
the overrides the channel makes, a proposed thread split and a preview.

`check_networks` answers the same for networks without a connected channel (the CLI's and the
API's `--network` / "networks"), with each provider's own validate() on default settings, after
the same media adaptation a channel's target gets: a user is never refused what Keryx fixes
when it sends (a PNG for Instagram goes out as JPEG, so it is not refused here either).
"""

from __future__ import annotations

import mimetypes
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from keryx.channels.models import Channel
from keryx.composer import previews
from keryx.composer.splitting import split_thread
from keryx.composer.variants import deviations, link_option, with_link
from keryx.core.models import Workspace
from keryx.library import adapt
from keryx.library.services import item_for
from keryx.library.specs import spec_for
from keryx.networks import counting, registry
from keryx.networks.base import MediaItem, Problem, ProviderContext, PublishRequest
from keryx.publishing.models import Media
from keryx.publishing.uploads import sniff_type


class UnknownNetwork(ValueError):
    """A network name Keryx does not know (or does not implement yet)."""


def _kinds(media: Sequence[Any]) -> list[str]:
    return [str(getattr(m, "mime_type", "")).split("/", 1)[0] for m in media]


def text_report(
    network: str, settings: Mapping[str, Any], *, text: str, content_warning: str = "",
    media: Sequence[Any] = (), variant: Mapping[str, Any] | None = None,
    split: bool = False, numbering: bool = False,
) -> dict[str, Any]:
    """Counts, overflow, thread and preview of one channel's text (no verdict: see check)."""
    variant = variant or {}
    if variant.get("text") is not None:
        text = str(variant["text"])
    if variant.get("content_warning") is not None:
        content_warning = str(variant["content_warning"])
    if variant.get("media") is not None:
        media = variant["media"]
    link = str(variant.get("link") or "")
    if link and not link_option(network):
        text = with_link(text, link)
    kinds = _kinds(media)
    declared = registry.capabilities(network)
    # Only a network that takes a content warning shows one (and may count it with the text).
    cw = content_warning if declared is not None and declared.content_warning else ""
    splits = declared is not None and declared.split_long_text
    measures = counting.measures(text, network, settings, media_kinds=kinds, content_warning=cw)
    thread = [str(p) for p in variant.get("thread") or []]
    report: dict[str, Any] = {
        "network": network,
        "fits": all(m.fits for m in measures),
        "measures": [m.as_dict() for m in measures],
        "thread": [
            {"text": part, "measures": [m.as_dict() for m in counting.measures(
                part, network, settings)]}
            for part in thread
        ],
        "overrides": deviations(variant),
        "supports_thread": splits,
        "suggested_thread": None,
    }
    if split and splits and not report["fits"] and not thread:
        parts = split_thread(
            text, lambda t: counting.fits(t, network, settings, content_warning=cw),
            numbering=numbering,
        )
        report["suggested_thread"] = [p.text for p in parts]
    report["preview"] = previews.preview(
        network, registry.display_name(network), text=text, content_warning=cw,
        media_count=len(media), thread=thread or report["suggested_thread"] or [],
        first_comment=str(variant.get("first_comment") or ""),
    )
    return report


def check(
    *,
    workspace: Workspace,
    text: str,
    channels: Sequence[Channel],
    media: Sequence[Media] = (),
    content_warning: str = "",
    variants: Mapping[Any, Mapping[str, Any]] | None = None,
    scheduled_at: datetime | None = None,
    split: bool = False,
    numbering: bool = False,
) -> dict[str, Any]:
    """The verdicts of validate_post plus, per channel, what the composer shows."""
    from keryx.publishing.schemas import problem_details
    from keryx.publishing.services import validate_post

    problems = validate_post(
        workspace=workspace, text=text, channels=channels, media=media,
        content_warning=content_warning, variants=variants, scheduled_at=scheduled_at,
    )
    by_channel = {ch.pk: items for ch, items in problems.items() if ch is not None}
    rows = []
    for channel in channels:
        variant = next((dict(v or {}) for k, v in (variants or {}).items()
                        if str(k) == str(channel.pk)), {})
        report = text_report(
            channel.network, channel.settings or {}, text=text, content_warning=content_warning,
            media=media, variant=variant, split=split, numbering=numbering,
        )
        found = by_channel.get(channel.pk, [])
        report.update({
            "channel_id": channel.pk,
            "channel": channel.name,
            "valid": not found,
            "problems": [{"code": p.code, "message": str(p.message), "field": p.field,
                          "params": _plain(p.params)} for p in found],
        })
        rows.append(report)
    details = problem_details(problems)
    return {"valid": not details, "problems": details, "channels": rows}


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if isinstance(v, (str, int, float, bool))}


# ---------------------------------------------------------------------------------------------
# Without channels: network names (keryx validate --network)
# ---------------------------------------------------------------------------------------------


def media_from_path(path: str) -> MediaItem:
    """A local file as the providers see media; the type from its bytes where Pillow knows
    it, else from its name."""
    if not os.path.isfile(path):
        raise FileNotFoundError(_("No such file: %(path)s") % {"path": path})
    mime = ""
    width = height = None
    try:
        from PIL import Image

        with Image.open(path) as image:
            mime = Image.MIME.get(image.format or "", "")
            width, height = image.size
    except Exception:  # not an image Pillow reads: fall back to the name
        mime = ""
    if not mime:
        # Not an image: say what the bytes are (video, PDF, text …), never trust the name.
        with open(path, "rb") as handle:
            head = handle.read(64)
        sniffed = sniff_type(head)
        guessed = mimetypes.guess_type(path)[0] or ""
        mime = guessed if guessed.split("/")[0] == sniffed.split("/")[0] != "text" else sniffed
    return MediaItem(path=path, mime_type=mime, size=os.path.getsize(path), width=width,
                     height=height)


def adapted_file(item: MediaItem, network: str, directory: str) -> MediaItem:
    """A local file as `network` would get it: adapted with the library's own adapter and the
    network's declared spec (written into `directory`), or the file itself where nothing needs
    changing or nothing can be done (the provider's validate then says what is wrong)."""
    spec = spec_for(network) if item.mime_type.startswith("image/") else None
    if spec is None:
        return item
    target = os.path.join(directory, f"{network}-{len(os.listdir(directory))}")
    with open(target, "w+b") as handle:
        result = adapt.adapt_many(item.path, item.size, [spec], adapt.Focal(),
                                  lambda _spec: handle)[network]
    if isinstance(result, adapt.AdaptationRefused) or result.passthrough:
        return item
    path = f"{target}.{adapt.extension(result.mime_type)}"
    os.replace(target, path)
    return MediaItem(path=path, mime_type=result.mime_type, size=result.size,
                     alt_text=item.alt_text, width=result.width, height=result.height)


def check_networks(
    networks: Sequence[str], *, text: str, media: Sequence[MediaItem] = (),
    uploads: Sequence[Media] = (), content_warning: str = "",
) -> dict[str, Any]:
    """Each network's verdict on its default settings (no account needed: validate() is pure).

    `media` are local files (the CLI), `uploads` the workspace's stored media (the API); both
    are adapted for each network first, as publishing to a channel of it would."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="keryx-validate-") as scratch:
        for network in networks:
            try:
                provider_class = registry.get_provider_class(network)
            except (KeyError, ImportError) as exc:
                raise UnknownNetwork(
                    _("Keryx does not support the network %(name)s (known: %(known)s).")
                    % {"name": network, "known": ", ".join(registry.names())}
                ) from exc
            items = (*(adapted_file(m, network, scratch) for m in media),
                     *(item_for(u, network) for u in uploads))
            provider = provider_class(ProviderContext(credentials={}))
            request = PublishRequest(text=text, media=items, content_warning=content_warning)
            found: list[Problem] = list(provider.validate(request))
            report = text_report(network, {}, text=text, content_warning=content_warning,
                                 media=items)
            report.update({
                "channel_id": None, "channel": network, "valid": not found,
                "problems": [{"code": p.code, "message": str(p.message), "field": p.field,
                              "params": _plain(p.params)} for p in found],
            })
            rows.append(report)
    return {"valid": all(r["valid"] for r in rows), "channels": rows,
            "problems": [{"channel": r["channel"], "channel_id": None, **p}
                         for r in rows for p in r["problems"]]}
