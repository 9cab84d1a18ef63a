"""Publishing actions people take: upload media, validate, create, reschedule, cancel, retry.

Views, the API and the CLI call these; the engine's own transitions (claim, publish, reconcile,
reap) live in scheduler.py and delivery.py. Every change of a target's state goes through a
guarded UPDATE and writes a TargetEvent, so the history shows who did what and why.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.channels.models import Channel, ChannelStatus
from keryx.composer.variants import apply_variant, model_variant
from keryx.core import audit
from keryx.core.models import Workspace
from keryx.core.timeutil import InvalidLocalTime, is_aware, parse_local_datetime
from keryx.networks.base import MediaItem, Problem, PublishRequest
from keryx.publishing.models import (
    Media,
    Post,
    PostMedia,
    PostTarget,
    PostVariant,
    TargetEvent,
    TargetState,
)
from keryx.publishing.public_media import public_media_url

logger = logging.getLogger(__name__)

__all__ = [
    "InvalidLocalTime",
    "InvalidTransition",
    "MediaRejected",
    "PostRejected",
    "cancel_post",
    "cancel_target",
    "create_post",
    "edit_post",
    "parse_local_datetime",
    "post_state",
    "request_for",
    "reschedule_post",
    "retry_target",
    "save_media",
    "validate_post",
]

MAX_MEDIA_BYTES = 100 * 1024 * 1024
# A time a few seconds in the past is "now" typed slowly, not a mistake.
PAST_GRACE = timedelta(minutes=1)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class PostRejected(Exception):
    """The post cannot be scheduled as it is. `problems` maps each channel to its problems; the
    key None holds problems of the post as a whole (no channel chosen)."""

    def __init__(self, problems: Mapping[Channel | None, list[Problem]]) -> None:
        self.problems: dict[Channel | None, list[Problem]] = {
            channel: list(items) for channel, items in problems.items() if items
        }
        super().__init__(self.summary())

    def summary(self) -> str:
        parts = []
        for channel, items in self.problems.items():
            label = channel.name if channel is not None else _("Post")
            parts.append(f"{label}: " + "; ".join(p.message for p in items))
        return " | ".join(parts) or _("The post was rejected.")


class MediaRejected(Exception):
    """An upload that is not an image we accept. The message says why, in plain words."""


class InvalidTransition(Exception):
    """The action does not fit the target's current state (e.g. cancelling a published post)."""


# ---------------------------------------------------------------------------------------------
# Media
# ---------------------------------------------------------------------------------------------

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"\x1aE\xdf\xa3", "video/webm"),
    (b"RIFF", "application/octet-stream"),
)


def _sniff_other(head: bytes) -> str:
    """A best guess at what a non-image is, only to say so in the error message."""
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def _read_into(source: IO[bytes] | Any, sink: IO[bytes]) -> tuple[int, str, bytes]:
    """Copy source to sink in chunks; returns (size, sha256 hex, first bytes)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    if hasattr(source, "chunks"):
        chunks: Iterable[bytes] = source.chunks()
    else:
        chunks = iter(lambda: source.read(1024 * 1024), b"")
    for chunk in chunks:
        if isinstance(chunk, str):
            chunk = chunk.encode()
        size += len(chunk)
        if size > MAX_MEDIA_BYTES:
            raise MediaRejected(_("The file is larger than 100 MB."))
        if len(head) < 64:
            head += chunk[: 64 - len(head)]
        digest.update(chunk)
        sink.write(chunk)
    return size, digest.hexdigest(), head


def save_media(
    *, workspace: Workspace, user: Any, file: IO[bytes] | Any, filename: str, alt_text: str = ""
) -> Media:
    """Store an uploaded image after checking what it really is.

    The type comes from the bytes (Pillow), never from the file name or the client's claim.
    """
    from PIL import Image, UnidentifiedImageError

    name = os.path.basename(filename or "upload") or "upload"
    if hasattr(file, "seek"):
        try:
            file.seek(0)
        except (OSError, ValueError):
            pass
    tmp_dir = os.path.join(settings.MEDIA_ROOT, "tmp")
    os.makedirs(tmp_dir, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=tmp_dir, delete=True) as tmp:
        size, sha256, head = _read_into(file, tmp)
        if size == 0:
            raise MediaRejected(_("%(name)s is empty.") % {"name": name})
        tmp.flush()
        tmp.seek(0)
        try:
            with Image.open(tmp) as image:
                image_format = image.format or ""
                width, height = image.size
                image.verify()
            mime = Image.MIME.get(image_format, "")
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
                ValueError) as exc:
            if isinstance(exc, Image.DecompressionBombError):
                raise MediaRejected(
                    _("%(name)s has too many pixels to be processed safely.") % {"name": name}
                ) from exc
            raise MediaRejected(
                _("%(name)s is not an image (it is %(type)s).")
                % {"name": name, "type": _sniff_other(head)}
            ) from exc
        if not mime.startswith("image/"):
            raise MediaRejected(
                _("%(name)s is not an image (it is %(type)s).") % {"name": name, "type": mime}
            )
        tmp.seek(0)
        media = Media(
            workspace=workspace,
            original_name=name[:255],
            mime_type=mime,
            size=size,
            width=width,
            height=height,
            alt_text=alt_text or "",
            sha256=sha256,
            created_by=user if getattr(user, "pk", None) else None,
        )
        extension = {"image/jpeg": "jpg"}.get(mime, mime.split("/", 1)[1])
        media.file.save(f"upload.{extension}", File(tmp), save=False)
    media.save()
    return media


def media_item(media: Media, channel: Channel | None = None) -> MediaItem:
    """What is sent for this media. For a channel: the file adapted to its network (cropped,
    converted, compressed, metadata stripped, cached; see keryx.library), else the upload."""
    if channel is not None:
        from keryx.library.services import item_for

        return item_for(media, channel.network, channel.settings)
    return MediaItem(
        path=media.file.path,
        mime_type=media.mime_type,
        size=media.size,
        alt_text=media.alt_text,
        width=media.width,
        height=media.height,
        url=public_media_url(media),
    )


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _variant_for(variants: Mapping[Any, Mapping[str, Any]] | None, channel: Channel) -> dict:
    if not variants:
        return {}
    for key, value in variants.items():
        if str(key) == str(channel.pk):
            return dict(value or {})
    return {}


def _provider_problems(channel: Channel, request: PublishRequest) -> list[Problem]:
    from keryx.channels.providers import provider_for

    try:
        provider = provider_for(channel)
    except (KeyError, ImportError) as exc:
        logger.warning("no provider for channel %s: %s", channel.pk, exc)
        return [
            Problem(
                "unknown_network",
                _("Keryx cannot publish to %(network)s.") % {"network": channel.network},
                field="channel",
            )
        ]
    return list(provider.validate(request))


def _extras(workspace_id: int, network: str, request: PublishRequest, *,
            fetch: bool = False) -> PublishRequest:
    """The composer's extras (@{Name} mentions, Instagram first-comment hashtags, Bluesky link
    cards): applied when validating and when sending, so both see the same text."""
    from keryx.contacts.extras import apply_extras

    return apply_extras(workspace_id, network, request, fetch=fetch)


def validate_post(
    *,
    workspace: Workspace,
    text: str,
    channels: Sequence[Channel],
    media: Sequence[Media] = (),
    content_warning: str = "",
    variants: Mapping[Any, Mapping[str, Any]] | None = None,
    scheduled_at: datetime | None = None,
    check_content: bool = True,
) -> dict[Channel | None, list[Problem]]:
    """Every problem with this post, per channel. An empty dict means it can be scheduled.

    Problems of the post as a whole (no channel at all) sit under the key None.
    """
    problems: dict[Channel | None, list[Problem]] = {}
    if not channels:
        problems[None] = [Problem("no_channels", _("Choose at least one channel."), "channels")]
        return problems
    media = list(media)
    foreign_media = [m for m in media if m.workspace_id != workspace.pk]
    past = False
    if scheduled_at is not None:
        if not is_aware(scheduled_at):
            raise ValueError("scheduled_at must be an aware datetime")
        past = scheduled_at < timezone.now() - PAST_GRACE
    items = tuple(media_item(m) for m in media) if check_content else ()
    for channel in channels:
        found: list[Problem] = []
        if channel.workspace_id != workspace.pk:
            # Said the same way as a channel that does not exist, so ids reveal nothing.
            found.append(Problem("unknown_channel", _("No such channel."), "channels"))
            problems[channel] = found
            continue
        if channel.status != ChannelStatus.ACTIVE:
            found.append(
                Problem(
                    "channel_inactive",
                    _("%(name)s needs reconnecting before it can publish.")
                    % {"name": channel.name},
                    "channels",
                )
            )
        if foreign_media:
            found.append(Problem("unknown_media", _("No such media."), "media"))
        if past:
            found.append(
                Problem("scheduled_in_past", _("The scheduled time is in the past."),
                        "scheduled_at")
            )
        variant = _variant_for(variants, channel)
        if any(m.workspace_id != workspace.pk for m in variant.get("media") or ()):
            found.append(Problem("unknown_media", _("No such media."), "media"))
        if check_content:
            # The files this channel's network will really get (adapted per network).
            adapted = tuple(media_item(m, channel) for m in media) if items else ()
            # The channel's variant (text, media, link, first comment, thread) applied exactly
            # as request_for applies it when publishing.
            request = apply_variant(
                PublishRequest(text=text, media=adapted, content_warning=content_warning,
                               scheduled_at=scheduled_at),
                variant, channel.network, lambda m, ch=channel: media_item(m, ch),
            )
            if not request.text.strip() and not request.media:
                found.append(Problem("empty", _("Write some text or attach media."), "text"))
            else:
                request = _extras(channel.workspace_id, channel.network, request)
                found.extend(_provider_problems(channel, request))
        if found:
            problems[channel] = found
    return problems


# ---------------------------------------------------------------------------------------------
# Creating and changing posts
# ---------------------------------------------------------------------------------------------


def record(
    target: PostTarget | int, from_state: str, to_state: str, *, actor: str, message: str = "",
    attempt: int = 0,
) -> TargetEvent:
    target_id = target if isinstance(target, int) else target.pk
    return TargetEvent.objects.create(
        target_id=target_id, from_state=from_state, to_state=to_state, actor=actor[:150],
        message=message, attempt=attempt,
    )


def _nudge_after_commit(post: Post) -> None:
    """Ask a worker to look now, rather than at its next poll. Purely a hint: the targets are
    claimed from our table either way."""
    from keryx.publishing.tasks import publish_due

    def enqueue() -> None:
        try:
            publish_due.enqueue()
        except Exception:  # the hint is optional; the dispatcher polls anyway
            logger.warning("could not enqueue the publish nudge", exc_info=True)

    transaction.on_commit(enqueue)


def create_post(
    *,
    workspace: Workspace,
    author: Any,
    text: str,
    channels: Sequence[Channel],
    media: Sequence[Media] = (),
    content_warning: str = "",
    scheduled_at: datetime | None = None,
    variants: Mapping[Any, Mapping[str, Any]] | None = None,
    draft: bool = False,
    actor: str,
) -> Post:
    """Create a post and one target per channel, atomically, or raise PostRejected.

    scheduled_at is an aware datetime; None publishes now. A draft is checked only for
    ownership (channels and media belong to the workspace); the rest waits until scheduling.
    """
    channels = list(dict.fromkeys(channels))
    media = list(dict.fromkeys(media))
    problems = validate_post(
        workspace=workspace, text=text, channels=channels, media=media,
        content_warning=content_warning, variants=variants, scheduled_at=scheduled_at,
        check_content=not draft,
    )
    if draft:
        ownership = {"unknown_channel", "unknown_media", "no_channels"}
        problems = {
            ch: [p for p in items if p.code in ownership] for ch, items in problems.items()
        }
        problems = {ch: items for ch, items in problems.items() if items}
    if problems:
        raise PostRejected(problems)

    now = timezone.now()
    publish_now = scheduled_at is None and not draft
    when = scheduled_at if scheduled_at is not None else (now if not draft else None)
    state = TargetState.DRAFT if draft else TargetState.SCHEDULED
    review = not draft and _needs_review(workspace, author)
    if review:
        # Waits for approval; "publish now" then means "as soon as it is approved".
        state, publish_now = TargetState.PENDING_APPROVAL, False
        when = scheduled_at
    with transaction.atomic():
        post = Post.objects.create(
            workspace=workspace,
            author=author if getattr(author, "pk", None) else None,
            text=text,
            content_warning=content_warning or "",
            scheduled_at=when,
        )
        PostMedia.objects.bulk_create(
            PostMedia(post=post, media=m, position=i) for i, m in enumerate(media)
        )
        for channel in channels:
            variant = _variant_for(variants, channel)
            if variant:
                stored = PostVariant.objects.create(
                    post=post,
                    channel=channel,
                    text=str(variant.get("text") or ""),
                    content_warning=str(variant.get("content_warning") or ""),
                    override_text=variant.get("text") is not None,
                    override_media=variant.get("media") is not None,
                    link=str(variant.get("link") or ""),
                    first_comment=str(variant.get("first_comment") or ""),
                    thread=[str(p) for p in variant.get("thread") or []],
                )
                if stored.override_media:
                    stored.media.set(variant["media"])
            target = PostTarget.objects.create(
                post=post,
                channel=channel,
                workspace=workspace,
                state=state,
                due_at=None if draft or review else when,
            )
            message = _("Publish now") if publish_now else (
                _("Saved as draft") if draft else
                _("Sent for approval") if review else _("Scheduled")
            )
            record(target, "", state, actor=actor, message=message)
        if review:
            from keryx.approvals.services import submit

            submit(post, by=author, actor=actor)
        if publish_now:
            _nudge_after_commit(post)
        audit.record(workspace, "post.created", actor=author if getattr(author, "pk", None)
                     else actor, obj=post, summary=str(post), state=state)
    return post


def _needs_review(workspace: Workspace, author: Any) -> bool:
    """Whether the workspace's approval workflow holds this author's posts for review."""
    from keryx.approvals.services import needs_approval

    return needs_approval(workspace, author)


def _check_future(when: datetime) -> None:
    if not is_aware(when):
        raise ValueError("the time must be an aware datetime")
    if when < timezone.now() - PAST_GRACE:
        raise PostRejected(
            {None: [Problem("scheduled_in_past", _("The scheduled time is in the past."),
                            "scheduled_at")]}
        )


def _move(
    target: PostTarget, allowed: Iterable[str], to_state: str, *, actor: str, message: str = "",
    **fields: Any,
) -> bool:
    """Guarded transition: applies only if the target is still in one of `allowed` states."""
    from_state = target.state
    if from_state not in set(allowed):
        return False
    updated = PostTarget.objects.filter(pk=target.pk, state=from_state).update(
        state=to_state, updated_at=timezone.now(), **fields
    )
    if not updated:
        return False
    record(target, from_state, to_state, actor=actor, message=message, attempt=target.attempts)
    target.state = to_state
    for name, value in fields.items():
        setattr(target, name, value)
    return True


RESCHEDULABLE = (TargetState.DRAFT, TargetState.SCHEDULED, TargetState.FAILED)
CANCELLABLE = (
    TargetState.DRAFT, TargetState.PENDING_APPROVAL, TargetState.SCHEDULED, TargetState.FAILED,
)


def reschedule_post(post: Post, when: datetime, *, actor: str) -> Post:
    """Move the post's not-yet-published targets to a new time. Drafts become scheduled.

    Targets that are publishing, unknown, published or cancelled keep their state.
    """
    _check_future(when)
    # A draft that needs approval goes for review rather than onto the schedule.
    review = any(t.state == TargetState.DRAFT for t in post.targets.all()) and _needs_review(
        post.workspace, post.author
    )
    with transaction.atomic():
        moved = 0
        for target in post.targets.select_related("channel").all():
            if target.state == TargetState.FAILED and target.error_code == "outcome_unknown":
                # It may be on the network already: only a reconcile (retry) may touch it.
                continue
            pending = review and target.state == TargetState.DRAFT
            moved += _move(
                target, RESCHEDULABLE,
                TargetState.PENDING_APPROVAL if pending else TargetState.SCHEDULED, actor=actor,
                message=_("Rescheduled to %(when)s") % {"when": when.isoformat()},
                due_at=None if pending else when, error_code="", error_message="",
            )
        if not moved:
            raise InvalidTransition(_("Nothing left to reschedule in this post."))
        Post.objects.filter(pk=post.pk).update(scheduled_at=when)
        post.scheduled_at = when
        if review:
            from keryx.approvals.services import submit

            submit(post, by=None, actor=actor)
        audit.record(post.workspace_id, "post.rescheduled", actor=actor, obj=post,
                     summary=str(post), when=when.isoformat())
    return post


def edit_post(post: Post, *, text: str, content_warning: str | None = None, editor: Any,
              actor: str) -> Post:
    """Change the post's text. Checked as for scheduling unless every target is a draft; an
    approved post goes back for review (what was approved is not what would go out)."""
    targets = list(post.targets.select_related("channel"))
    editable = (TargetState.DRAFT, TargetState.PENDING_APPROVAL, TargetState.SCHEDULED)
    live = [t for t in targets if t.state in editable]
    if not live:
        raise InvalidTransition(_("Nothing left to edit in this post."))
    content_warning = post.content_warning if content_warning is None else content_warning
    scheduling = [t.channel for t in live if t.state != TargetState.DRAFT]
    if scheduling:
        problems = validate_post(
            workspace=post.workspace, text=text, channels=scheduling,
            media=[pm.media for pm in post.postmedia_set.select_related("media")],
            content_warning=content_warning,
            variants={v.channel_id: model_variant(v) for v in post.variants.all()},
        )
        if problems:
            raise PostRejected(problems)
    with transaction.atomic():
        post.text, post.content_warning = text, content_warning
        post.save(update_fields=["text", "content_warning", "updated_at"])
        audit.record(post.workspace_id, "post.edited", actor=editor, obj=post,
                     summary=str(post))
        from keryx.approvals.services import content_changed

        content_changed(post, editor=editor, actor=actor)
    return post


def cancel_target(target: PostTarget, *, actor: str) -> PostTarget:
    if target.state == TargetState.FAILED and target.error_code == "outcome_unknown":
        raise InvalidTransition(
            _("This delivery may already be on the network; retry it to check first.")
        )
    with transaction.atomic():
        if not _move(target, CANCELLABLE, TargetState.CANCELLED, actor=actor,
                     message=_("Cancelled"), due_at=None):
            raise InvalidTransition(
                _("A %(state)s delivery cannot be cancelled.")
                % {"state": TargetState(target.state).label.lower()}
            )
    return target


def cancel_post(post: Post, *, actor: str) -> Post:
    """Cancel every target not yet on its way. Raises InvalidTransition if none could be."""
    with transaction.atomic():
        cancelled = 0
        for target in post.targets.all():
            if target.state == TargetState.FAILED and target.error_code == "outcome_unknown":
                continue
            cancelled += _move(target, CANCELLABLE, TargetState.CANCELLED, actor=actor,
                               message=_("Cancelled"), due_at=None)
        if not cancelled:
            raise InvalidTransition(_("Nothing left to cancel in this post."))
        audit.record(post.workspace_id, "post.cancelled", actor=actor, obj=post,
                     summary=str(post))
    return post


def retry_target(target: PostTarget, *, actor: str) -> PostTarget:
    """Try a failed (or unknown) delivery again now. One whose last outcome is unknown is
    reconciled with the network before anything is sent."""
    if target.state not in (TargetState.FAILED, TargetState.UNKNOWN):
        raise InvalidTransition(_("Only failed deliveries can be retried."))
    needs_check = target.state == TargetState.UNKNOWN or target.error_code == "outcome_unknown"
    to_state = TargetState.UNKNOWN if needs_check else TargetState.SCHEDULED
    with transaction.atomic():
        if not _move(target, (TargetState.FAILED, TargetState.UNKNOWN), to_state, actor=actor,
                     message=_("Retry requested"), due_at=timezone.now()):
            raise InvalidTransition(_("Only failed deliveries can be retried."))
        _nudge_after_commit(target.post)
    return target


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def post_state(post: Post) -> str:
    """One word for a list: draft, scheduled, publishing, published, partial, failed, cancelled.

    "partial" means some channels published and some failed; "publishing" covers targets in
    flight and those being checked (unknown)."""
    states = {t.state for t in post.targets.all()}
    if not states:
        return TargetState.DRAFT
    if len(states) == 1:
        only = states.pop()
        return TargetState.PUBLISHING if only == TargetState.UNKNOWN else only
    if states & {TargetState.PUBLISHING, TargetState.UNKNOWN}:
        return TargetState.PUBLISHING
    if TargetState.FAILED in states:
        return "partial" if TargetState.PUBLISHED in states else TargetState.FAILED
    if states & {TargetState.SCHEDULED, TargetState.PENDING_APPROVAL}:
        return TargetState.SCHEDULED
    if TargetState.PUBLISHED in states:
        return TargetState.PUBLISHED
    if TargetState.DRAFT in states:
        return TargetState.DRAFT
    return TargetState.CANCELLED


_UNREAD: Any = object()


def request_for(target: PostTarget, *, idempotency_key: str | None = None,
                variant: PostVariant | None = _UNREAD,
                media: Sequence[Media] | None = None) -> PublishRequest:
    """What this target sends: the post adapted by its channel's variant, if any.

    The engine reads a whole batch's variants and media in two queries and passes each
    target's in: `variant` (its PostVariant, or None for none) and `media` (the post's, in
    order). Left out, they are read here."""
    post = target.post
    if variant is _UNREAD:
        variant = PostVariant.objects.filter(post_id=post.pk, channel_id=target.channel_id).first()
    if media is None:
        media = [pm.media for pm in
                 PostMedia.objects.filter(post_id=post.pk).select_related("media")]
    items = tuple(media_item(m, target.channel) for m in media)
    request = PublishRequest(
        text=post.text,
        media=items,
        content_warning=post.content_warning,
        idempotency_key=target.idempotency_key if idempotency_key is None else idempotency_key,
        scheduled_at=post.scheduled_at,
    )
    if variant is not None:
        # The same overrides validate_post checked (keryx.composer.variants).
        request = apply_variant(request, model_variant(variant), target.channel.network,
                                lambda m: media_item(m, target.channel))
    return _extras(target.workspace_id, target.channel.network, request, fetch=True)
