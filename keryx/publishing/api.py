"""Posts and media in the API. Thin: resolve input inside the caller's workspace, ask
keryx.core.permissions, call the services, shape the answer with publishing.schemas."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from keryx.api_errors import ApiError
from keryx.approvals.services import visible_posts
from keryx.channels.quota import schedule_warnings
from keryx.composer.schemas import ValidateIn, ValidateOut
from keryx.composer.services import UnknownNetwork, check_networks
from keryx.composer.services import check as composer_check
from keryx.contacts.services import composer_warnings
from keryx.core.access import membership_for, memberships_of
from keryx.core.models import Membership
from keryx.core.permissions import Action, require
from keryx.core.timeutil import InvalidLocalTime, get_zone, parse_local_datetime
from keryx.library import services as library
from keryx.publishing import inputs, services
from keryx.publishing.models import Media, Post, PostTarget, TargetEvent, TargetState
from keryx.publishing.schemas import (
    LIST_ORDER,
    MediaOut,
    MediaPatch,
    PostIn,
    PostOut,
    RescheduleIn,
    media_out,
    post_out,
)

router = Router(tags=["posts"])

MAX_PAGE = 200


# --------------------------------------------------------------------------------------------
# Scoping helpers: every lookup goes through the caller's memberships.
# --------------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> str:
    user = request.auth
    return user.email or user.get_username()


def _membership(request: HttpRequest, ref: int | str | None) -> Membership:
    """The caller's membership in a workspace given by id or slug, or in their only one.

    404 when the caller is not a member, so other workspaces' ids reveal nothing."""
    if ref is None or ref == "":
        mine = memberships_of(request.auth)
        if len(mine) == 1:
            return mine[0]
        raise ApiError(
            400, "workspace_required",
            _("You belong to several workspaces; say which one with 'workspace'."),
        )
    if isinstance(ref, int) or str(ref).isdecimal():
        return membership_for(request.auth, int(ref))
    for membership in memberships_of(request.auth):
        if membership.workspace.slug == ref:
            return membership
    raise Http404(_("No such workspace"))


def _input_error(exc: inputs.InputError) -> ApiError:
    return ApiError(422, exc.code, exc.message, exc.details)


def _post_queryset() -> QuerySet[Post]:
    return Post.objects.select_related("author").prefetch_related(
        Prefetch("targets", queryset=PostTarget.objects.select_related("channel")),
        "media",
    )


def _post_for(request: HttpRequest, post_id: int, action: Action, *, history: bool = False
              ) -> tuple[Post, Membership]:
    qs = _post_queryset()
    if history:
        qs = qs.prefetch_related(
            Prefetch("targets__events", queryset=TargetEvent.objects.order_by("at", "pk"))
        )
    post = visible_posts(request.auth, qs).filter(pk=post_id).first()
    if post is None:
        raise Http404(_("No such post"))
    membership = membership_for(request.auth, post.workspace_id)
    # A client approver reaches only the posts sent to them (visible_posts); the table says
    # what they may do with those.
    require(membership, action, post)
    return post, membership


def _reload(post_id: int, *, history: bool = True) -> dict[str, Any]:
    qs = _post_queryset()
    if history:
        qs = qs.prefetch_related(
            Prefetch("targets__events", queryset=TargetEvent.objects.order_by("at", "pk"))
        )
    return post_out(qs.get(pk=post_id), history=history)


def _transition(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a state change; one the current state does not allow is a 409."""
    try:
        return call(*args, **kwargs)
    except services.InvalidTransition as exc:
        raise ApiError(409, "invalid_state", str(exc)) from exc


# --------------------------------------------------------------------------------------------
# Media
# --------------------------------------------------------------------------------------------


@router.post("/media", response={201: MediaOut}, summary="Upload an image or video")
def upload_media(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008 - ninja's way of declaring a form file
    workspace: str = Form(""),  # noqa: B008
    alt_text: str = Form(""),  # noqa: B008
) -> Status[dict[str, Any]]:
    membership = _membership(request, workspace)
    require(membership, Action.UPLOAD_MEDIA)
    media = services.save_media(
        workspace=membership.workspace,
        user=request.auth,
        file=file,
        filename=file.name or "upload",
        alt_text=alt_text.strip(),
    )
    return Status(201, media_out(media))


def _media_for(request: HttpRequest, media_id: int, action: Action) -> Media:
    workspace_ids = [m.workspace_id for m in memberships_of(request.auth)]
    media = Media.objects.filter(pk=media_id, workspace_id__in=workspace_ids).first()
    if media is None:
        raise Http404(_("No such media"))
    require(membership_for(request.auth, media.workspace_id), action, media)
    return media


@router.get("/media/{media_id}", response=MediaOut, summary="One uploaded file")
def get_media(request: HttpRequest, media_id: int) -> dict[str, Any]:
    return media_out(_media_for(request, media_id, Action.VIEW_WORKSPACE))


@router.patch("/media/{media_id}", response=MediaOut, summary="Change a file's alt text")
def patch_media(request: HttpRequest, media_id: int, payload: MediaPatch) -> dict[str, Any]:
    media = _media_for(request, media_id, Action.SET_ALT_TEXT)
    return media_out(library.set_alt_text(media, payload.alt_text, actor=request.auth))


# --------------------------------------------------------------------------------------------
# Posts
# --------------------------------------------------------------------------------------------


class PostPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PostOut]


def _range_bound(value: str, tz_name: str, *, end: bool) -> datetime:
    """A date ("2026-03-01") means the whole day in the workspace's zone; a date-time is exact."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).date()
            if end:
                day += timedelta(days=1)
            return datetime.combine(day, time(0), tzinfo=get_zone(tz_name))
        return parse_local_datetime(text, tz_name)
    except (ValueError, InvalidLocalTime) as exc:
        raise ApiError(422, "invalid_time", str(exc), {"field": "to" if end else "from"}) from exc


@router.get("/posts", response=PostPage, summary="List posts")
def list_posts(
    request: HttpRequest,
    workspace: str | None = None,
    state: str | None = Query(None, description="Posts with at least one channel in this state."),  # noqa: B008
    from_: str | None = Query(None, alias="from", description="Scheduled at or after (ISO 8601)."),  # noqa: B008
    to: str | None = Query(None, description="Scheduled before (a date includes that day)."),  # noqa: B008
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    tz_name = "UTC"
    if workspace:
        membership = _membership(request, workspace)
        workspace_ids = [membership.workspace_id]
        tz_name = membership.workspace.timezone
    else:
        workspace_ids = [m.workspace_id for m in memberships_of(request.auth)]
    qs = visible_posts(request.auth, _post_queryset().filter(workspace_id__in=workspace_ids))
    if state:
        valid = {choice.value for choice in TargetState}
        if state not in valid:
            raise ApiError(422, "validation_error",
                           _("Unknown state %(state)s; one of: %(states)s.")
                           % {"state": state, "states": ", ".join(sorted(valid))},
                           [{"field": "state", "code": "invalid", "message": state}])
        qs = qs.filter(targets__state=state).distinct()
    if from_:
        qs = qs.filter(scheduled_at__gte=_range_bound(from_, tz_name, end=False))
    if to:
        qs = qs.filter(scheduled_at__lt=_range_bound(to, tz_name, end=True))
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, offset)
    count = qs.count()
    items = [post_out(p) for p in qs.order_by(*LIST_ORDER)
             [offset:offset + limit]]
    return {"count": count, "limit": limit, "offset": offset, "items": items}


def _prepare(request: HttpRequest, payload: PostIn, action: Action) -> dict[str, Any]:
    """The services' keyword arguments from a PostIn, all resolved inside one workspace."""
    membership = _membership(request, payload.workspace)
    require(membership, action)
    workspace = membership.workspace
    try:
        channels = inputs.resolve_channels(workspace, payload.channels)
        media = inputs.resolve_media(workspace, payload.media)
        when = inputs.resolve_when(payload.scheduled_at, workspace)
        variants = inputs.resolve_variants(
            channels, {k: v.model_dump() for k, v in payload.variants.items()}
        )
    except inputs.InputError as exc:
        raise _input_error(exc) from exc
    return {
        "workspace": workspace,
        "text": payload.text,
        "content_warning": payload.content_warning,
        "channels": channels,
        "media": media,
        "scheduled_at": when,
        "variants": variants or None,
    }


@router.post("/validate", response=ValidateOut, summary="Check a post without saving")
def validate(request: HttpRequest, payload: ValidateIn) -> dict[str, Any]:
    """The scheduler's own verdicts (services.validate_post) with, per channel, the exact counts,
    where the text stops fitting, a proposed thread split and a preview (keryx.composer)."""
    if payload.networks:
        return _validate_networks(request, payload)
    kwargs = _prepare(request, payload, Action.VIEW_WORKSPACE)
    result = composer_check(**kwargs, split=payload.split, numbering=payload.numbering)
    result["warnings"] = [
        *schedule_warnings(kwargs["channels"], kwargs["scheduled_at"]),
        *composer_warnings(kwargs["workspace"], kwargs["text"], kwargs["channels"]),
    ]
    return result


def _validate_networks(request: HttpRequest, payload: ValidateIn) -> dict[str, Any]:
    """Without channels: each network's verdict on its defaults, the media adapted as a channel
    of that network would send them (composer.services.check_networks)."""
    membership = _membership(request, payload.workspace)
    require(membership, Action.VIEW_WORKSPACE)
    try:
        media = inputs.resolve_media(membership.workspace, payload.media)
    except inputs.InputError as exc:
        raise _input_error(exc) from exc
    names = [name.strip().lower() for name in payload.networks if name.strip()]
    try:
        result = check_networks(names, text=payload.text, uploads=media,
                                content_warning=payload.content_warning)
    except UnknownNetwork as exc:
        raise ApiError(422, "unknown_network", str(exc), {"field": "networks"}) from exc
    return {**result, "warnings": []}


# The first home of validation, kept for existing scripts.
router.post("/posts/validate", response=ValidateOut, summary="Check a post (alias of /validate)",
            operation_id="validate_post_alias")(validate)


@router.post("/posts", response={201: PostOut}, summary="Create (schedule or publish) a post")
def create_post(request: HttpRequest, payload: PostIn) -> Status[dict[str, Any]]:
    # Whether a post is scheduled or held for approval is the workspace's approval workflow's
    # call (services.create_post asks it).
    kwargs = _prepare(request, payload,
                      Action.CREATE_DRAFT if payload.draft else Action.CREATE_POST)
    post = services.create_post(
        author=request.auth, draft=payload.draft, actor=_actor(request),
        language=payload.language, **kwargs
    )
    body = _reload(post.pk)
    if not payload.draft:
        body["warnings"] = schedule_warnings(
            kwargs["channels"], kwargs["scheduled_at"], exclude_post_id=post.pk
        )
    return Status(201, body)


@router.get("/posts/{post_id}", response=PostOut, summary="A post, per channel, with history")
def get_post(request: HttpRequest, post_id: int) -> dict[str, Any]:
    post, _membership_ = _post_for(request, post_id, Action.VIEW_POSTS, history=True)
    return post_out(post, history=True)


@router.post("/posts/{post_id}/cancel", response=PostOut, summary="Cancel what has not gone out")
def cancel(request: HttpRequest, post_id: int) -> dict[str, Any]:
    post, _m = _post_for(request, post_id, Action.CANCEL_POST)
    _transition(services.cancel_post, post, actor=_actor(request))
    return _reload(post.pk)


@router.post("/posts/{post_id}/reschedule", response=PostOut, summary="Move to another time")
def reschedule(request: HttpRequest, post_id: int, payload: RescheduleIn) -> dict[str, Any]:
    post, membership = _post_for(request, post_id, Action.RESCHEDULE_POST)
    try:
        when = inputs.resolve_when(payload.scheduled_at, membership.workspace)
    except inputs.InputError as exc:
        raise _input_error(exc) from exc
    if when is None:
        raise ApiError(422, "invalid_time", _("Give a date and time to reschedule to."),
                       {"field": "scheduled_at"})
    _transition(services.reschedule_post, post, when, actor=_actor(request))
    return _reload(post.pk)


def _target_for(post: Post, target_id: int) -> PostTarget:
    target = next((t for t in post.targets.all() if t.pk == target_id), None)
    if target is None:
        raise Http404(_("No such target"))
    return target


@router.post("/posts/{post_id}/targets/{target_id}/retry", response=PostOut,
             summary="Retry a failed or unknown channel")
def retry(request: HttpRequest, post_id: int, target_id: int) -> dict[str, Any]:
    post, _m = _post_for(request, post_id, Action.RETRY_POST)
    _transition(services.retry_target, _target_for(post, target_id), actor=_actor(request))
    return _reload(post.pk)


@router.post("/posts/{post_id}/targets/{target_id}/cancel", response=PostOut,
             summary="Cancel one channel of a post")
def cancel_target(request: HttpRequest, post_id: int, target_id: int) -> dict[str, Any]:
    post, _m = _post_for(request, post_id, Action.CANCEL_POST)
    _transition(services.cancel_target, _target_for(post, target_id), actor=_actor(request))
    return _reload(post.pk)
