"""Posts: composer, list, detail and the actions on a post (cancel, reschedule, retry).

Thin: every rule (validation, state transitions) is in keryx.publishing.services. Every
state-changing view is POST-only with CSRF (Django's middleware), and every lookup is scoped to
the workspaces the signed-in user belongs to, so another workspace's ids answer 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from keryx.approvals.services import visible_media, visible_posts
from keryx.channels.models import Channel
from keryx.composer.splitting import thread_parts
from keryx.core.access import membership_for
from keryx.core.models import Membership
from keryx.core.permissions import Action, can, require
from keryx.core.web import switch_workspace, workspace_view
from keryx.library import services as library
from keryx.networks import counting, registry
from keryx.planner.forms import initial_at, planning_data
from keryx.planner.services import set_planning
from keryx.publishing import services
from keryx.publishing.forms import MAX_IMAGES, ComposerForm, RescheduleForm
from keryx.publishing.models import Media, Post, PostTarget, TargetEvent, TargetState
from keryx.queues.services import queue_post

# What the person can do about each kind of failure, next to the network's own reason.
NEXT_STEP = {
    "auth_expired": gettext_lazy(
        "The network no longer accepts this channel's sign-in. Reconnect the channel, then retry."
    ),
    "disconnected": gettext_lazy(
        "The account or the app's access is gone. Reconnect the channel, then retry."
    ),
    "bad_content": gettext_lazy(
        "The network refused the content itself. Retrying the same post cannot succeed: "
        "write a corrected post."
    ),
    "rate_limited": gettext_lazy(
        "The network asked Keryx to slow down. Keryx retries by itself after the wait it asked "
        "for; you can also retry later."
    ),
    "transient": gettext_lazy(
        "The network had a temporary problem. Keryx retries by itself; you can also retry now."
    ),
    "outcome_unknown": gettext_lazy(
        "Keryx could not tell whether the network received the post. It checks with the "
        "network before any retry, so the post will not appear twice."
    ),
}
UNKNOWN_STEP = gettext_lazy(
    "Keryx is checking with the network whether the post went out. Nothing is sent twice."
)

# Providers describe problems in English (networks/ has no Django); the common ones are said
# again here in the reader's language from their stable code and params.
PROBLEM_TEXT = {
    "too_long": gettext_lazy(
        "The text is %(length)s characters long; this server allows %(limit)s (content warning "
        "included, each link counts as 23)."
    ),
    "text_too_long": gettext_lazy("The text has %(count)s characters; the limit is %(limit)s."),
    "text_too_many_bytes": gettext_lazy(
        "The text takes %(count)s bytes; the limit is %(limit)s bytes."
    ),
    "too_many_media": gettext_lazy("%(count)s images attached; at most %(limit)s are allowed."),
    "empty": gettext_lazy("Write some text or attach an image."),
}


def problem_text(problem: Any) -> str:
    template = PROBLEM_TEXT.get(problem.code)
    if template is not None:
        try:
            return str(template) % problem.params
        except (KeyError, TypeError, ValueError):
            pass
    return problem.message


TABS = {
    "upcoming": (
        gettext_lazy("Upcoming"),
        Q(targets__state__in=[TargetState.SCHEDULED, TargetState.PUBLISHING,
                              TargetState.PENDING_APPROVAL]),
    ),
    "published": (pgettext_lazy("posts tab", "Published"), Q(targets__state=TargetState.PUBLISHED)),
    "failed": (
        gettext_lazy("Needs attention"),
        Q(targets__state__in=[TargetState.FAILED, TargetState.UNKNOWN]),
    ),
    "drafts": (gettext_lazy("Drafts"), Q(targets__state=TargetState.DRAFT)),
    "all": (gettext_lazy("All"), Q()),
}


def _actor(request: HttpRequest) -> str:
    return request.user.get_username()


def _post_for(request: HttpRequest, pk: int) -> tuple[Post, Membership]:
    """The post if it belongs to one of the user's workspaces (which becomes the current one)."""
    # Team members see their workspaces' posts; client approvers only those sent to them.
    post = visible_posts(request.user).filter(pk=pk).first()
    if post is None:
        raise Http404("No such post")
    membership = membership_for(request.user, post.workspace_id)
    switch_workspace(request, membership)
    return post, membership


def _target_for(request: HttpRequest, pk: int) -> tuple[PostTarget, Membership]:
    target = (
        PostTarget.objects.select_related("post", "channel")
        .filter(pk=pk, workspace__memberships__user=request.user)
        .first()
    )
    if target is None:
        raise Http404("No such delivery")
    return target, membership_for(request.user, target.workspace_id)


def channel_limits(channel: Channel) -> dict[str, Any]:
    """What the composer's live counter needs: limit and counting rule. Rough by design: the
    server's validation decides."""
    caps = registry.capabilities(channel.network)
    rules = counting.rules(channel.network, channel.settings or {})
    if caps is None or not rules:
        return {"limit": 500, "counting": "chars", "content_warning": False}
    # The first declared rule, with the channel's own limit (a Mastodon server's) where set.
    return {"limit": rules[0].limit, "counting": caps.counting,
            "content_warning": caps.content_warning}


# ---------------------------------------------------------------------------------------------
# List and detail
# ---------------------------------------------------------------------------------------------


@workspace_view()
def post_list(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    tab = request.GET.get("tab", "upcoming")
    if tab not in TABS:
        tab = "upcoming"
    posts = (
        Post.objects.filter(workspace=workspace)
        .filter(TABS[tab][1])
        .distinct()
        .select_related("campaign")
        .prefetch_related(
            Prefetch("targets", queryset=PostTarget.objects.select_related("channel")), "labels"
        )
    )
    posts = posts.order_by("scheduled_at", "pk") if tab == "upcoming" else posts.order_by(
        "-scheduled_at", "-pk"
    )
    page = Paginator(posts, 25).get_page(request.GET.get("page"))
    for post in page:
        post.summary_state = services.post_state(post)
    return render(
        request,
        "publishing/post_list.html",
        {
            "page": page,
            "tab": tab,
            "tabs": [(key, label) for key, (label, _q) in TABS.items()],
            "can_write": can(request.membership, Action.CREATE_DRAFT),
        },
    )


@workspace_view(clients=True)
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post, membership = _post_for(request, pk)
    targets = list(post.targets.select_related("channel").order_by("channel__name"))
    variants = {v.channel_id: v for v in post.variants.all()}
    for target in targets:
        target.variant = variants.get(target.channel_id)
        if target.state == TargetState.UNKNOWN:
            target.next_step = UNKNOWN_STEP
        elif target.state == TargetState.FAILED:
            target.next_step = NEXT_STEP.get(target.error_code, "")
        target.can_retry = target.state in (TargetState.FAILED, TargetState.UNKNOWN)
        target.can_cancel = target.state in services.CANCELLABLE and not (
            target.error_code == "outcome_unknown"
        )
    events = (
        TargetEvent.objects.filter(target__post=post)
        .select_related("target__channel")
        .order_by("at", "id")
    )
    local = post.scheduled_at
    # Which buttons show for the member's role is the template's `can` tag; these say whether
    # the post's state leaves anything to cancel or reschedule at all.
    return render(
        request,
        "publishing/post_detail.html",
        {
            "post": post,
            "state": services.post_state(post),
            "targets": targets,
            "events": events,
            "media": [pm.media for pm in post.postmedia_set.select_related("media")],
            "cancellable": any(t.can_cancel for t in targets),
            "reschedulable": any(t.state in services.RESCHEDULABLE for t in targets),
            "reschedule_form": RescheduleForm(
                workspace=post.workspace, initial=_initial_when(local, post.workspace.timezone)
            ),
        },
    )


def _initial_when(when: Any, tz_name: str) -> dict[str, Any]:
    if not when:
        return {}
    import zoneinfo

    local = when.astimezone(zoneinfo.ZoneInfo(tz_name))
    return {"date": local.date(), "time": local.time().replace(second=0, microsecond=0)}


@workspace_view(clients=True)
def media_file(request: HttpRequest, pk: int) -> FileResponse:
    """An uploaded image, for members of its workspace only (MEDIA_URL is not served in
    production, and would not check who asks)."""
    media = visible_media(request.user).filter(pk=pk).first()
    if media is None:
        raise Http404("No such media")
    response = FileResponse(media.file.open("rb"), content_type=media.mime_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


# ---------------------------------------------------------------------------------------------
# Composer
# ---------------------------------------------------------------------------------------------


def _kept_media(request: HttpRequest, membership: Membership) -> list[Media]:
    """Images uploaded by an earlier submit of this form (kept so a rejected post loses
    nothing). Only ids from this workspace count; alt text edits are applied."""
    ids = [int(v) for v in request.POST.getlist("media_id") if v.isdecimal()][:MAX_IMAGES]
    found = {m.pk: m for m in Media.objects.filter(workspace=membership.workspace, pk__in=ids)}
    kept = []
    for media_id in ids:
        media = found.get(media_id)
        if media is None:
            continue
        alt = request.POST.get(f"media_alt_{media_id}", media.alt_text).strip()
        if alt != media.alt_text:
            require(membership, Action.SET_ALT_TEXT, media)
            library.set_alt_text(media, alt, actor=request.user)
        kept.append(media)
    return kept


def _upload_media(request: HttpRequest, workspace: Any, room: int) -> tuple[list[Media], list]:
    saved: list[Media] = []
    errors: list[str] = []
    for slot in range(1, MAX_IMAGES + 1):
        upload = request.FILES.get(f"image_{slot}")
        if upload is None:
            continue
        if len(saved) >= room:
            errors.append(
                _("At most %(count)d images per post; %(name)s was not attached.")
                % {"count": MAX_IMAGES, "name": upload.name}
            )
            continue
        try:
            saved.append(
                services.save_media(
                    workspace=workspace,
                    user=request.user,
                    file=upload,
                    filename=upload.name,
                    alt_text=request.POST.get(f"alt_{slot}", "").strip(),
                )
            )
        except services.MediaRejected as exc:
            errors.append(str(exc))
    return saved, errors


def _variants(request: HttpRequest, channels: list[Channel]) -> dict[int, dict[str, Any]]:
    variants: dict[int, dict[str, Any]] = {}
    for channel in channels:
        variant: dict[str, Any] = {}
        if request.POST.get(f"override_{channel.pk}"):
            variant["text"] = request.POST.get(f"variant_text_{channel.pk}", "")
        # The composer's other overrides (keryx/templates/composer/_variant_fields.html).
        link = request.POST.get(f"variant_link_{channel.pk}", "").strip()
        comment = request.POST.get(f"variant_first_comment_{channel.pk}", "").strip()
        thread = thread_parts(request.POST.get(f"variant_thread_{channel.pk}", ""))
        variant.update({k: v for k, v in (("link", link), ("first_comment", comment),
                                          ("thread", thread)) if v})
        if variant:
            variants[channel.pk] = variant
    return variants


@workspace_view(Action.CREATE_DRAFT)
def post_new(request: HttpRequest) -> HttpResponse:
    membership: Membership = request.membership
    workspace = membership.workspace
    channels = list(Channel.objects.filter(workspace=workspace))
    draft = request.POST.get("action") == "draft"
    form = ComposerForm(
        request.POST or None, workspace=workspace, draft=draft,
        initial=initial_at(request.GET.get("at"), workspace, request.GET.get("tz")),
    )
    media: list[Media] = []
    media_errors: list[str] = []
    channel_problems: dict[int, list[str]] = {}
    general_problems: list[str] = []
    if request.method != "POST" and request.GET.getlist("media"):
        # "Use in a new post" from the media library (?media=<id>, repeatable).
        ids = [int(v) for v in request.GET.getlist("media") if v.isdecimal()][:MAX_IMAGES]
        found = {m.pk: m for m in Media.objects.filter(workspace=workspace, pk__in=ids)}
        media = [found[i] for i in ids if i in found]
    if request.method == "POST":
        media = _kept_media(request, membership)
        uploaded, media_errors = _upload_media(request, workspace, MAX_IMAGES - len(media))
        media += uploaded
        if form.is_valid() and not media_errors:
            if not draft:
                require(membership, Action.CREATE_POST)
            data = form.cleaned_data
            create = services.create_post
            if data.get("when") == "queue" and not draft:
                create = queue_post
            try:
                post = create(
                    workspace=workspace,
                    author=request.user,
                    text=data["text"],
                    channels=list(data["channels"]),
                    media=media,
                    content_warning=data["content_warning"],
                    language=data.get("language") or "",
                    scheduled_at=data.get("scheduled_at"),
                    variants=_variants(request, list(data["channels"])),
                    draft=draft,
                    actor=_actor(request),
                )
                set_planning(post, **planning_data(data))
            except services.PostRejected as exc:
                for channel, problems in exc.problems.items():
                    texts = [problem_text(p) for p in problems]
                    if channel is None:
                        general_problems += texts
                    else:
                        channel_problems[channel.pk] = texts
            else:
                messages.success(request, _success_message(post, draft))
                return redirect("posts:detail", pk=post.pk)
    chosen = {str(v) for v in (form["channels"].value() or [])}
    if request.method != "POST" and len(channels) == 1:
        # With one channel there is nothing to choose: it is where the post goes.
        chosen = {str(channels[0].pk)}
    rows = []
    for channel in channels:
        rows.append(
            {
                "channel": channel,
                "checked": str(channel.pk) in chosen,
                "limits": channel_limits(channel),
                "override": bool(request.POST.get(f"override_{channel.pk}")),
                "variant_text": request.POST.get(f"variant_text_{channel.pk}", ""),
                **{f"variant_{name}": request.POST.get(f"variant_{name}_{channel.pk}", "")
                   for name in ("link", "first_comment", "thread")},
                "problems": channel_problems.get(channel.pk, []),
            }
        )
    return render(
        request,
        "publishing/composer.html",
        {
            "form": form,
            "rows": rows,
            "media": media,
            "media_errors": media_errors,
            "general_problems": general_problems,
            "free_slots": range(len(media) + 1, MAX_IMAGES + 1),
            "workspace": workspace,
        },
        status=400 if request.method == "POST" else 200,
    )


def _success_message(post: Post, draft: bool) -> str:
    if draft:
        return _("Draft saved.")
    if post.targets.filter(state=TargetState.PENDING_APPROVAL).exists():
        return _("Sent for approval.")
    if post.scheduled_at and post.targets.filter(state=TargetState.SCHEDULED).exists():
        return _("Post scheduled.")
    return _("Publishing now.")


# ---------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------


@require_POST
@workspace_view()
def post_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    post, membership = _post_for(request, pk)
    require(membership, Action.CANCEL_POST, post)
    try:
        services.cancel_post(post, actor=_actor(request))
        messages.success(request, _("Post cancelled. Nothing more will be published."))
    except services.InvalidTransition as exc:
        messages.error(request, str(exc))
    return redirect("posts:detail", pk=post.pk)


@require_POST
@workspace_view()
def post_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    post, membership = _post_for(request, pk)
    require(membership, Action.RESCHEDULE_POST, post)
    form = RescheduleForm(request.POST, workspace=post.workspace)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("posts:detail", pk=post.pk)
    try:
        services.reschedule_post(post, form.cleaned_data["scheduled_at"], actor=_actor(request))
        messages.success(request, _("Post rescheduled."))
    except (services.InvalidTransition, services.PostRejected) as exc:
        messages.error(request, str(exc))
    return redirect("posts:detail", pk=post.pk)


@require_POST
@workspace_view()
def target_retry(request: HttpRequest, pk: int) -> HttpResponse:
    target, membership = _target_for(request, pk)
    require(membership, Action.RETRY_POST, target.post)
    try:
        services.retry_target(target, actor=_actor(request))
        messages.success(
            request, _("Retrying %(channel)s.") % {"channel": target.channel.name}
        )
    except services.InvalidTransition as exc:
        messages.error(request, str(exc))
    return redirect("posts:detail", pk=target.post_id)


@require_POST
@workspace_view()
def target_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    target, membership = _target_for(request, pk)
    require(membership, Action.CANCEL_POST, target.post)
    try:
        services.cancel_target(target, actor=_actor(request))
        messages.success(
            request, _("Cancelled for %(channel)s.") % {"channel": target.channel.name}
        )
    except services.InvalidTransition as exc:
        messages.error(request, str(exc))
    return redirect("posts:detail", pk=target.post_id)
