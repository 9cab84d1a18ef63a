"""The media library: uploads (images and videos), tags, search, focal point, and the adapted
file each network gets, made once and cached per (media, network, spec).

Publishing asks `item_for(media, network, settings)` for what a target sends; the library page
shows the same files, so what the user downloads there is byte for byte what goes out.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keryx.core import audit
from keryx.core.models import Workspace
from keryx.library import adapt
from keryx.library.models import AdaptedFile, FocalPoint, Tag
from keryx.library.public import public_adapted_url, public_media_url
from keryx.library.specs import ImageSpec, spec_for
from keryx.networks import videoprobe
from keryx.networks.base import MediaItem, Problem, PublishRequest
from keryx.networks.registry import display_name as network_display_name
from keryx.networks.registry import get_provider_class
from keryx.publishing.models import Media
from keryx.publishing.uploads import MAX_MEDIA_BYTES, MediaRejected, save_media

logger = logging.getLogger(__name__)

MAX_TAGS = 20
VIDEO_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}

# Messages for refusals, by code, translated here (adapt.py is pure and speaks English).
REFUSALS = {
    "empty": lambda p: _("The file is empty."),
    "not_an_image": lambda p: _("The file is not an image Keryx can read."),
    "corrupt": lambda p: _("The image is damaged or truncated and cannot be read."),
    "too_many_pixels": lambda p: _("The image has too many pixels to be processed safely."),
    "animated": lambda p: _("The image is animated; %(network)s takes only still images.") % p,
    "animated_too_large": lambda p: _(
        "The animation does not fit %(network)s's limits, and Keryx does not re-encode "
        "animations.") % p,
    "no_format": lambda p: _("%(network)s takes no still image format Keryx can write.") % p,
    "too_large": lambda p: _("Keryx could not compress the image under %(network)s's size "
                             "limit.") % p,
    "no_fit": lambda p: _("Keryx could not fit the image to %(network)s's limits.") % p,
}


STEPS = {
    "cropped": gettext_lazy("cropped around the focal point"),
    "resized": gettext_lazy("resized"),
    "converted": gettext_lazy("converted"),
    "compressed": gettext_lazy("compressed"),
    "stripped": gettext_lazy("location and camera data removed"),
}


def refusal_problem(refusal: adapt.AdaptationRefused, network: str) -> Problem:
    params = {**refusal.params, "network": network_display_name(network)}
    render = REFUSALS.get(refusal.code)
    message = render(params) if render else refusal.message % params
    return Problem(f"media_{refusal.code}", message, field="media", params=params)


# ---------------------------------------------------------------------------------------------
# Upload, tags, search
# ---------------------------------------------------------------------------------------------


def _video_kind(path: str) -> str:
    container = videoprobe.sniff_container(path)
    return container if container in VIDEO_TYPES else ""


def upload(*, workspace: Workspace, user: Any, file: IO[bytes] | Any, filename: str,
           alt_text: str = "", tags: Iterable[str] = ()) -> Media:
    """Store one file from the library's upload: an image (checked by publishing.save_media,
    which reads its bytes) or an MP4/WebM video (checked by its container and ffprobe)."""
    head = b""
    if hasattr(file, "seek"):
        file.seek(0)
        head = file.read(16)
        file.seek(0)
    looks_video = len(head) >= 12 and (head[4:8] in (b"ftyp", b"moov", b"mdat")
                                       or head.startswith(b"\x1a\x45\xdf\xa3"))
    media = _save_video(workspace, user, file, filename, alt_text) if looks_video else \
        save_media(workspace=workspace, user=user, file=file, filename=filename,
                   alt_text=alt_text)
    if tags:
        set_tags(media, tags)
    return media


def _save_video(workspace: Workspace, user: Any, file: Any, filename: str,
                alt_text: str) -> Media:
    import hashlib

    name = os.path.basename(filename or "video") or "video"
    tmp_dir = os.path.join(settings.MEDIA_ROOT, "tmp")
    os.makedirs(tmp_dir, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=tmp_dir, delete=True) as tmp:
        chunks = file.chunks() if hasattr(file, "chunks") else iter(
            lambda: file.read(1024 * 1024), b"")
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_MEDIA_BYTES:
                raise MediaRejected(_("The file is larger than 100 MB."))
            digest.update(chunk)
            tmp.write(chunk)
        tmp.flush()
        kind = _video_kind(tmp.name)
        info = videoprobe.probe(tmp.name)
        if not kind or info.has_video is False:
            raise MediaRejected(_("%(name)s is not a video Keryx can read (MP4 or WebM).")
                                % {"name": name})
        tmp.seek(0)
        media = Media(
            workspace=workspace, original_name=name[:255], mime_type=VIDEO_TYPES[kind],
            size=size, width=info.width, height=info.height, alt_text=alt_text or "",
            sha256=digest.hexdigest(), created_by=user if getattr(user, "pk", None) else None,
        )
        media.file.save(f"upload.{kind}", File(tmp), save=False)
    media.save()
    return media


def parse_tags(raw: str | Iterable[str]) -> list[str]:
    """"summer, Launch 2026 ,summer" -> ["summer", "Launch 2026"]: trimmed, deduplicated
    without regard to case, at most MAX_TAGS of at most 60 characters."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    seen: dict[str, str] = {}
    for item in items:
        name = " ".join(str(item).split())[:60]
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())[:MAX_TAGS]


def set_tags(media: Media, raw: str | Iterable[str]) -> list[Tag]:
    names = parse_tags(raw)
    with transaction.atomic():
        existing = {t.name.casefold(): t for t in Tag.objects.filter(workspace=media.workspace)}
        tags = []
        for name in names:
            tag = existing.get(name.casefold())
            if tag is None:
                tag, _created = Tag.objects.get_or_create(workspace=media.workspace, name=name)
            tags.append(tag)
        media.library_tags.set(tags)
    return tags


def search(workspace: Workspace, query: str = "", tag: str = "",
           kind: str = "") -> QuerySet[Media]:
    """The workspace's media, newest first: `query` matches the name, alt text or a tag."""
    found = Media.objects.filter(workspace=workspace)
    for word in query.split()[:8]:
        found = found.filter(Q(original_name__icontains=word) | Q(alt_text__icontains=word)
                             | Q(library_tags__name__icontains=word))
    if tag:
        found = found.filter(library_tags__name__iexact=tag)
    if kind in ("image", "video"):
        found = found.filter(mime_type__startswith=f"{kind}/")
    return found.distinct().order_by("-created_at", "-pk").prefetch_related("library_tags")


def set_focal_point(media: Media, x: float, y: float) -> FocalPoint:
    x, y = min(max(float(x), 0.0), 1.0), min(max(float(y), 0.0), 1.0)
    point, _created = FocalPoint.objects.update_or_create(media=media, defaults={"x": x, "y": y})
    return point


def set_alt_text(media: Media, alt_text: str, *, actor: Any) -> Media:
    """Change what a file's description says, with an audit entry (the web composer, the library
    page and the API all save alt text here; the caller has checked SET_ALT_TEXT)."""
    alt_text = (alt_text or "").strip()
    if alt_text == media.alt_text:
        return media
    before = media.alt_text
    with transaction.atomic():
        media.alt_text = alt_text
        media.save(update_fields=["alt_text"])
        audit.record(media.workspace_id, "media.alt_text_changed", actor=actor, obj=media,
                     summary=f"{media.original_name}: {alt_text}"[:500],
                     before=before[:500], after=alt_text[:500])
    return media


def focal_of(media: Media) -> adapt.Focal:
    point = FocalPoint.objects.filter(media=media).first()
    return adapt.Focal(point.x, point.y) if point else adapt.Focal()


# ---------------------------------------------------------------------------------------------
# Adaptation, cached
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    network: str
    adapted: AdaptedFile | None = None
    problem: Problem | None = None
    # True when the network takes no images at all (YouTube) or the media is a video.
    not_applicable: bool = False


def _cache_key(spec: ImageSpec, focal: adapt.Focal) -> str:
    return f"{spec.key()}-{round(focal.x * 1000)}-{round(focal.y * 1000)}"[:40]


def adapt_for(media: Media, networks: Iterable[str],
              channel_settings: dict[str, dict[str, Any]] | None = None) -> dict[str, Outcome]:
    """The adapted file of this media for each network, made where not cached yet. All
    missing ones are made from one decode of the source (adapt.adapt_many)."""
    outcomes: dict[str, Outcome] = {}
    wanted: dict[str, tuple[ImageSpec, str]] = {}
    focal = focal_of(media)
    is_image = media.mime_type.startswith("image/")
    for network in dict.fromkeys(networks):
        spec = spec_for(network, (channel_settings or {}).get(network)) if is_image else None
        if spec is None:
            outcomes[network] = Outcome(network, not_applicable=True)
            continue
        wanted[network] = (spec, _cache_key(spec, focal))
    if wanted:
        cached = {a.network: a for a in AdaptedFile.objects.filter(
            media=media, network__in=list(wanted),
            spec_key__in=[key for _s, key in wanted.values()])}
        for network, (_spec, key) in list(wanted.items()):
            hit = cached.get(network)
            if hit is not None and hit.spec_key == key and hit.file.storage.exists(hit.file.name):
                outcomes[network] = Outcome(network, adapted=hit)
                del wanted[network]
    if wanted:
        outcomes.update(_make(media, wanted, focal))
    return outcomes


def _make(media: Media, wanted: dict[str, tuple[ImageSpec, str]], focal: adapt.Focal
          ) -> dict[str, Outcome]:
    tmp_dir = os.path.join(settings.MEDIA_ROOT, "tmp")
    os.makedirs(tmp_dir, exist_ok=True)
    sinks: dict[str, Any] = {}

    def sink(spec: ImageSpec) -> IO[bytes]:
        handle = tempfile.NamedTemporaryFile(dir=tmp_dir, delete=True)  # noqa: SIM115
        sinks[spec.network] = handle
        return handle

    outcomes: dict[str, Outcome] = {}
    try:
        try:
            path = media.file.path
        except (NotImplementedError, ValueError):
            path = ""
        if not path or not os.path.exists(path):
            refusal = adapt.AdaptationRefused("not_an_image", "missing")
            return {n: Outcome(n, problem=refusal_problem(refusal, n)) for n in wanted}
        results = adapt.adapt_many(path, media.size, [s for s, _k in wanted.values()], focal,
                                   sink)
        for network, result in results.items():
            if isinstance(result, adapt.AdaptationRefused):
                outcomes[network] = Outcome(network, problem=refusal_problem(result, network))
                continue
            handle = sinks[network]
            handle.flush()
            handle.seek(0)
            outcomes[network] = Outcome(network, adapted=_store(
                media, network, wanted[network][1], result, handle))
    finally:
        for handle in sinks.values():
            handle.close()
    return outcomes


def _store(media: Media, network: str, key: str, result: adapt.Adapted, handle: IO[bytes]
           ) -> AdaptedFile:
    row = AdaptedFile(
        media=media, network=network, spec_key=key, mime_type=result.mime_type,
        size=result.size, width=result.width, height=result.height,
        steps=",".join(result.steps), passthrough=result.passthrough,
    )
    row.file.save(f"{network}.{adapt.extension(result.mime_type)}", File(handle), save=False)
    try:
        with transaction.atomic():
            # Older adaptations (another focal point or spec) are superseded.
            for old in AdaptedFile.objects.filter(media=media, network=network).exclude(
                    spec_key=key):
                old.file.delete(save=False)
                old.delete()
            row.save()
    except IntegrityError:
        # Made at the same moment by another process: keep theirs, drop ours.
        row.file.delete(save=False)
        row = AdaptedFile.objects.get(media=media, network=network, spec_key=key)
    return row


def item_for(media: Media, network: str, channel_settings: dict[str, Any] | None = None,
             ) -> MediaItem:
    """What a target on `network` sends for this media: the adapted file where one can be
    made, else the original (the provider's validate then says what is wrong with it)."""
    outcome = adapt_for(media, [network], {network: channel_settings or {}})[network]
    adapted = outcome.adapted
    if adapted is None or adapted.passthrough:
        # Nothing to change (or nothing possible): the upload itself goes, byte for byte.
        return MediaItem(path=media.file.path, mime_type=media.mime_type, size=media.size,
                         alt_text=media.alt_text, width=media.width, height=media.height,
                         url=public_media_url(media))
    return MediaItem(path=adapted.file.path, mime_type=adapted.mime_type, size=adapted.size,
                     alt_text=media.alt_text, width=adapted.width, height=adapted.height,
                     url=public_adapted_url(adapted))


def invalidate(media: Media) -> None:
    """Forget every adapted file of this media (its source or focal point changed)."""
    for old in AdaptedFile.objects.filter(media=media):
        old.file.delete(save=False)
        old.delete()


# ---------------------------------------------------------------------------------------------
# Checks per network: the adapted image, or the video as it is
# ---------------------------------------------------------------------------------------------


def checks(media: Media, networks: Iterable[str]) -> list[dict[str, Any]]:
    """One row per network for the library page: what it will get, or why it will refuse."""
    networks = list(networks)
    rows = []
    outcomes = adapt_for(media, networks) if media.mime_type.startswith("image/") else {}
    for network in networks:
        row: dict[str, Any] = {"network": network, "label": network_display_name(network),
                               "adapted": None, "problems": []}
        outcome = outcomes.get(network)
        if outcome is not None and outcome.problem is not None:
            row["problems"] = [outcome.problem.message]
        elif outcome is not None and outcome.adapted is not None:
            row["adapted"] = outcome.adapted
            row["steps"] = [str(STEPS.get(s, s)) for s in outcome.adapted.steps.split(",") if s]
        else:
            row["problems"] = [p.message for p in provider_media_problems(media, network)]
        rows.append(row)
    return rows


def provider_media_problems(media: Media, network: str) -> list[Problem]:
    """The provider's own verdict on this media as it is (videos: ffprobe facts checked by the
    provider's validate, e.g. duration, codec, size), text problems left out."""
    from keryx.channels.providers import provider_context

    item = MediaItem(path=media.file.path, mime_type=media.mime_type, size=media.size,
                     alt_text=media.alt_text, width=media.width, height=media.height)
    cls = get_provider_class(network)
    provider = cls(provider_context(network, {}, {}, None))
    problems = provider.validate(PublishRequest(text="", media=(item,)))
    found = [p for p in problems if p.field == "media"]
    found.extend(video_problems(media, network))
    return found


def video_problems(media: Media, network: str) -> list[Problem]:
    """Duration, width and codec against the network's declared rules (MediaRules.video),
    measured by ffprobe. Each message says what the file is and what the network wants."""
    if not media.mime_type.startswith("video/"):
        return []
    try:
        rule = get_provider_class(network).capabilities.media.video
    except (KeyError, ImportError, AttributeError):
        return []
    if rule is None:
        return []
    info = videoprobe.probe(media.file.path)
    label = network_display_name(network)
    found: list[Problem] = []
    if not info.probed:
        return found  # no ffprobe here: the provider's container check is all we can do
    if info.duration is not None:
        if rule.max_seconds is not None and info.duration > rule.max_seconds:
            found.append(Problem("video_too_long", _(
                "The video lasts %(seconds).1f s; %(network)s takes at most %(limit)s s.")
                % {"seconds": info.duration, "network": label, "limit": rule.max_seconds},
                field="media", params={"duration": info.duration}))
        if rule.min_seconds is not None and info.duration < rule.min_seconds:
            found.append(Problem("video_too_short", _(
                "The video lasts %(seconds).1f s; %(network)s needs at least %(limit)s s.")
                % {"seconds": info.duration, "network": label, "limit": rule.min_seconds},
                field="media", params={"duration": info.duration}))
    if rule.max_width and info.width and info.width > rule.max_width:
        found.append(Problem("video_too_wide", _(
            "The video is %(width)s px wide; %(network)s takes at most %(limit)s px.")
            % {"width": info.width, "network": label, "limit": rule.max_width},
            field="media", params={"width": info.width}))
    if rule.codecs and info.video_codec and info.video_codec not in rule.codecs:
        found.append(Problem("video_codec", _(
            "The video is encoded as %(codec)s; %(network)s takes %(wanted)s.")
            % {"codec": info.video_codec, "network": label, "wanted": ", ".join(rule.codecs)},
            field="media", params={"codec": info.video_codec}))
    return found
