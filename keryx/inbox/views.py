"""Inbox pages: the stream with filters and conversations (the post beside them), the reply
box and triage, and the moderation rules with their log. Thin: the work is in services."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.core.models import Membership
from keryx.core.permissions import Action
from keryx.core.web import workspace_view
from keryx.inbox import services
from keryx.inbox.forms import FilterForm, NoteForm, ReplyForm, RuleForm, TriageForm
from keryx.inbox.models import (
    Conversation,
    InboxItem,
    ModerationLog,
    ModerationRule,
    Reply,
    ReplyState,
)

PAGE = 100


def _item(request: HttpRequest, pk: int) -> InboxItem:
    item = InboxItem.objects.select_related("channel", "conversation").filter(
        pk=pk, workspace=request.membership.workspace).first()
    if item is None:
        raise Http404("No such item")
    return item


def _members(request: HttpRequest) -> list[Membership]:
    return list(Membership.objects.filter(workspace=request.membership.workspace)
                .select_related("user").order_by("user__email"))


@workspace_view(Action.VIEW_INBOX)
def inbox(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    channels = services.inbox_channels(workspace.pk)
    members = _members(request)
    filters = FilterForm(request.GET or None, channels=channels, members=members)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    items = services.items_for(workspace.pk, wanted.get("status") or "open") \
        .select_related("target__post", "assignee")
    for name in ("kind", "language", "sentiment"):
        if wanted.get(name):
            items = items.filter(**{name: wanted[name]})
    if wanted.get("channel"):
        items = items.filter(channel_id=wanted["channel"])
    if wanted.get("assignee"):
        items = items.filter(assignee_id=wanted["assignee"])
    if wanted.get("label"):
        # Labels are a short JSON list; matched in Python so SQLite and PostgreSQL agree.
        label = wanted["label"].strip()
        items = items.filter(pk__in=[pk for pk, labels in items.values_list("pk", "labels")
                                     if label in (labels or [])])
    conversations: dict[int, dict] = {}
    for item in items[:PAGE]:
        group = conversations.setdefault(item.conversation_id, {
            "conversation": item.conversation, "post": item.target.post if item.target else None,
            "items": []})
        group["items"].append(item)
    forms = {item.pk: TriageForm(members=members, initial={
        "status": item.status, "assignee": item.assignee_id, "labels": ", ".join(item.labels)})
        for group in conversations.values() for item in group["items"]}
    return render(request, "inbox/inbox.html", {
        "filters": filters, "conversations": list(conversations.values()),
        "triage": forms, "reply_form": ReplyForm(), "note_form": NoteForm(),
        "drafts": {r.item_id: r.text for r in _drafts(workspace.pk)}})


def _drafts(workspace_id: int) -> list:
    """Replies that could not be sent: their text is offered again in the reply box."""
    return list(Reply.objects.filter(item__workspace_id=workspace_id,
                                  state__in=[ReplyState.GONE, ReplyState.FAILED]))


@require_POST
@workspace_view(Action.ANSWER_INBOX)
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a reply first."))
        return redirect("inbox:list")
    try:
        sent = services.send_reply(item, form.cleaned_data["text"], user=request.user)
    except services.InboxError as exc:
        messages.error(request, str(exc))
        return redirect("inbox:list")
    if sent.state == ReplyState.SENT:
        messages.success(request, _("Reply sent."))
    elif sent.state == ReplyState.GONE:
        messages.error(request, _("The item was deleted on the network before the reply; "
                                  "your reply was not sent and is kept."))
    else:
        messages.error(request, _("The reply was not sent: %(error)s") % {"error": sent.error})
    return redirect("inbox:list")


@require_POST
@workspace_view(Action.ANSWER_INBOX)
def triage(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    members = _members(request)
    form = TriageForm(request.POST, members=members)
    if form.is_valid():
        services.set_status(item, form.cleaned_data["status"])
        assignee = next((m.user for m in members if m.user_id == form.cleaned_data["assignee"]),
                        None)
        services.assign(item, assignee)
        services.set_labels(item, form.cleaned_data["labels"].split(","))
        messages.success(request, _("Saved."))
    return redirect("inbox:list")


@require_POST
@workspace_view(Action.ANSWER_INBOX)
def hide(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.hide(_item(request, pk))
        messages.success(request, _("Hidden."))
    except services.InboxError as exc:
        messages.error(request, str(exc))
    return redirect("inbox:list")


@require_POST
@workspace_view(Action.ANSWER_INBOX)
def note(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = Conversation.objects.filter(
        pk=pk, workspace=request.membership.workspace).first()
    if conversation is None:
        raise Http404("No such conversation")
    form = NoteForm(request.POST)
    if form.is_valid():
        services.add_note(conversation, request.user, form.cleaned_data["text"])
    return redirect("inbox:list")


@workspace_view(Action.MODERATE_INBOX)
def rules(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rule = form.save(commit=False)
        rule.workspace = workspace
        rule.save()
        messages.success(request, _("Rule saved."))
        return redirect("inbox:rules")
    return render(request, "inbox/rules.html", {
        "form": form, "rules": ModerationRule.objects.filter(workspace=workspace),
        "log": ModerationLog.objects.filter(item__workspace=workspace)
        .select_related("item")[:100]})


@require_POST
@workspace_view(Action.MODERATE_INBOX)
def revert(request: HttpRequest, pk: int) -> HttpResponse:
    log = ModerationLog.objects.select_related("item__channel").filter(
        pk=pk, item__workspace=request.membership.workspace).first()
    if log is None:
        raise Http404("No such entry")
    try:
        services.revert_moderation(log, request.user)
        messages.success(request, _("Undone."))
    except services.InboxError as exc:
        messages.error(request, str(exc))
    return redirect("inbox:rules")
