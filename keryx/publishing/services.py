"""Publishing actions people take: create, edit, reschedule, cancel and retry posts.

Views, the API, the CLI, the planner, the queues, the feeds and the bulk import call these. The
pieces they are built from have their own modules, and the names below are re-exported from
them for those callers:

- errors.py: PostRejected, InvalidTransition;
- uploads.py: save_media, MediaRejected (an image checked by its bytes);
- validation.py: validate_post, the verdicts per channel;
- requests.py: request_for and media_item, what a target sends;
- transitions.py: the guarded moves of a target and their TargetEvents.

The engine's own transitions (claim, publish, reconcile, reap) live in scheduler.py and
delivery.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.approvals import rules as approval_rules
from keryx.approvals.services import content_changed, submit
from keryx.channels.models import Channel
from keryx.composer.variants import model_variant
from keryx.core import audit
from keryx.core.models import Workspace
from keryx.core.timeutil import InvalidLocalTime, parse_local_datetime
from keryx.publishing.errors import InvalidTransition, PostRejected
from keryx.publishing.models import (
    Media,
    Post,
    PostMedia,
    PostTarget,
    PostVariant,
    TargetState,
)
from keryx.publishing.requests import media_item, request_for, variant_for
from keryx.publishing.transitions import move, nudge_after_commit, record
from keryx.publishing.uploads import MAX_MEDIA_BYTES, MediaRejected, save_media
from keryx.publishing.validation import PAST_GRACE, check_future, validate_post

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_MEDIA_BYTES",
    "PAST_GRACE",
    "InvalidLocalTime",
    "InvalidTransition",
    "MediaRejected",
    "PostRejected",
    "cancel_post",
    "cancel_target",
    "create_post",
    "edit_post",
    "media_item",
    "needs_review",
    "parse_local_datetime",
    "post_state",
    "record",
    "request_for",
    "reschedule_post",
    "retry_target",
    "save_media",
    "validate_post",
]


def needs_review(workspace: Workspace, author: Any) -> bool:
    """Whether the workspace's approval workflow holds this author's posts for review."""
    return approval_rules.needs_approval(workspace, author)


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
    language: str = "",
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
    review = not draft and needs_review(workspace, author)
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
            language=(language or "").strip().lower()[:8],
            scheduled_at=when,
        )
        PostMedia.objects.bulk_create(
            PostMedia(post=post, media=m, position=i) for i, m in enumerate(media)
        )
        for channel in channels:
            variant = variant_for(variants, channel)
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
            submit(post, by=author, actor=actor)
        if publish_now:
            nudge_after_commit()
        audit.record(workspace, "post.created", actor=author if getattr(author, "pk", None)
                     else actor, obj=post, summary=str(post), state=state)
    return post


RESCHEDULABLE = (TargetState.DRAFT, TargetState.SCHEDULED, TargetState.FAILED)
CANCELLABLE = (
    TargetState.DRAFT, TargetState.PENDING_APPROVAL, TargetState.SCHEDULED, TargetState.FAILED,
)


def reschedule_post(post: Post, when: datetime, *, actor: str) -> Post:
    """Move the post's not-yet-published targets to a new time. Drafts become scheduled.

    Targets that are publishing, unknown, published or cancelled keep their state.
    """
    check_future(when)
    # A draft that needs approval goes for review rather than onto the schedule.
    review = any(t.state == TargetState.DRAFT for t in post.targets.all()) and needs_review(
        post.workspace, post.author
    )
    with transaction.atomic():
        moved = 0
        for target in post.targets.select_related("channel").all():
            if target.state == TargetState.FAILED and target.error_code == "outcome_unknown":
                # It may be on the network already: only a reconcile (retry) may touch it.
                continue
            pending = review and target.state == TargetState.DRAFT
            moved += move(
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
        content_changed(post, editor=editor, actor=actor)
    return post


def cancel_target(target: PostTarget, *, actor: str) -> PostTarget:
    if target.state == TargetState.FAILED and target.error_code == "outcome_unknown":
        raise InvalidTransition(
            _("This delivery may already be on the network; retry it to check first.")
        )
    with transaction.atomic():
        if not move(target, CANCELLABLE, TargetState.CANCELLED, actor=actor,
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
            cancelled += move(target, CANCELLABLE, TargetState.CANCELLED, actor=actor,
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
        if not move(target, (TargetState.FAILED, TargetState.UNKNOWN), to_state, actor=actor,
                     message=_("Retry requested"), due_at=timezone.now()):
            raise InvalidTransition(_("Only failed deliveries can be retried."))
        nudge_after_commit()
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
