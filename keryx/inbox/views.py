"""Inbox pages: the stream with filters and conversations (the post beside them), the reply
box and triage, and the moderation rules with their log. Thin: the work is in services."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.core.models import Membership
from keryx.core.permissions import Action, can
from keryx.core.web import workspace_view
from keryx.inbox import canned, responsetimes, rows, services, workflow
from keryx.inbox.forms import (
    BlockForm,
    CannedForm,
    FilterForm,
    NoteForm,
    ReplyForm,
    RuleForm,
    TriageForm,
)
from keryx.inbox.models import (
    BlockedAuthor,
    CannedReply,
    Conversation,
    Decision,
    InboxItem,
    ModerationLog,
    ModerationRule,
    Reply,
    ReplyState,
)

# Items per page of the stream; older ones through the "Older" link (keyset: ?before=<item pk>).
PAGE = 50


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
    chosen = workflow.Filters(
        status=wanted.get("status") or "open", channel=wanted.get("channel"),
        kind=wanted.get("kind") or "", language=wanted.get("language") or "",
        label=wanted.get("label") or "", sentiment=wanted.get("sentiment") or "",
        assignee=wanted.get("assignee"))
    stream = workflow.filtered(workspace.pk, chosen)
    before = _before(request, workspace.pk)
    if before is not None:
        stream = stream.filter(Q(received_at__lt=before.received_at)
                               | Q(received_at=before.received_at, pk__lt=before.pk))
    items = list(stream.select_related("target__post", "assignee")
                 .prefetch_related("conversation__notes__author")[:PAGE + 1])
    older = None
    if len(items) > PAGE:
        items = items[:PAGE]
        query = request.GET.copy()
        query["before"] = str(items[-1].pk)
        older = query.urlencode()
    groups = workflow.conversations(items)
    drafts = {r.item_id: r.text for r in _drafts(workspace.pk, [i.pk for i in items])}
    counts = workflow.history_counts(workspace.pk, items)
    answers = canned.for_workspace(workspace.pk)
    may_moderate = can(request.membership, Action.MODERATE_INBOX)
    kit = rows.make_kit(request, members, answers, may_moderate)
    answering = can(request.membership, Action.ANSWER_INBOX)
    # Each item carries what its block of the page needs (a lookup per item in the template
    # would loop over every item's entries: quadratic on a full page); its forms are built
    # from parts made once for the page (rows.py).
    for entry in items:
        entry.draft = drafts.get(entry.pk, "")
        entry.history_count = counts.get(entry.pk)
        entry.actions = rows.actions(entry, kit) if answering else ""
    return render(request, "inbox/inbox.html", {
        "filters": filters, "conversations": groups,
        "reply_form": ReplyForm(), "note_form": NoteForm(),
        "canned_data": [{"code": c.code, "el": c.text_el, "en": c.text_en} for c in answers],
        "older": older, "answering": answering})


def _before(request: HttpRequest, workspace_id: int) -> InboxItem | None:
    """The item the previous page ended with (?before=<pk>), in the caller's workspace."""
    raw = request.GET.get("before", "")
    if not raw.isdigit():
        return None
    return InboxItem.objects.filter(pk=int(raw), workspace_id=workspace_id).only(
        "pk", "received_at").first()


# The page's response-time figures cover the items that arrived in the last this many days.
TIMES_DAYS = 30


def _times(workspace: object) -> dict:
    since = timezone.now() - timedelta(days=TIMES_DAYS)
    figures = responsetimes.figures(workspace.pk, since,
                                    in_hours=workflow.business_hours(workspace))
    show = responsetimes.duration

    def readable(block: dict) -> dict:
        return {"answered": block["answered"], "items": block["items"],
                "first": show(block["first_reply"]["median_seconds"]),
                "first_mean": show(block["first_reply"]["mean_seconds"]),
                "median": show(block["reply_time"]["median_seconds"])}

    hours = figures["business_hours"]
    return {"days": TIMES_DAYS, "all": readable(figures),
            "in": readable(hours["in"]) if hours else None,
            "out": readable(hours["out"]) if hours else None}


@workspace_view(Action.VIEW_INBOX)
def item(request: HttpRequest, pk: int) -> HttpResponse:
    """One item with its conversation, the post it is under, and the author's history with
    the brand (their other items, any conversation, and our replies to them)."""
    found = _item(request, pk)
    found = services.items_for(found.workspace_id, "all").select_related(
        "target__post", "assignee").get(pk=found.pk)
    thread = list(found.conversation.items.select_related("channel")
                  .prefetch_related("replies").order_by("created_at", "pk"))
    return render(request, "inbox/item.html", {
        "item": found, "thread": thread, "post": found.target.post if found.target else None,
        "notes": found.conversation.notes.select_related("author"),
        "history": workflow.histories(found.workspace_id, [found]).get(found.pk, []),
        "blocked": workflow.is_blocked(found)})


def _drafts(workspace_id: int, item_ids: list[int]) -> list:
    """Replies (to the items shown) that could not be sent: their text is offered again."""
    return list(Reply.objects.filter(item__workspace_id=workspace_id, item_id__in=item_ids,
                                     state__in=[ReplyState.GONE, ReplyState.FAILED]))


@workspace_view(Action.VIEW_INBOX)
def response_times(request: HttpRequest) -> HttpResponse:
    """The response-time card: its own request, fetched by the inbox page after it is shown
    (the figures read every answered item of the period: the stream does not wait for them),
    and a page of its own without scripts."""
    template = "inbox/_times.html" if request.GET.get("fragment") else "inbox/times.html"
    return render(request, template, {"times": _times(request.membership.workspace)})


@require_POST
@workspace_view(Action.ANSWER_INBOX)
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a reply first."))
        return redirect("inbox:list")
    text = canned.expand(item.workspace_id, form.cleaned_data["text"], item.language)
    try:
        sent = services.send_reply(item, text, user=request.user)
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
        services.assign(item, assignee, by=request.user)
        services.set_labels(item, form.cleaned_data["labels"].split(","))
        messages.success(request, _("Saved."))
    return redirect("inbox:list")


@require_POST
@workspace_view(Action.ANSWER_INBOX)
def hide(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.hide(_item(request, pk), user=request.user)
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
    form = RuleForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        rule = form.save(commit=False)
        rule.workspace = workspace
        rule.save()
        messages.success(request, _("Rule saved."))
        return redirect("inbox:rules")
    return render(request, "inbox/rules.html", {
        "form": form, "rules": ModerationRule.objects.filter(workspace=workspace)
        .select_related("assign_to", "canned"),
        "blocked": BlockedAuthor.objects.filter(workspace=workspace),
        "block_form": BlockForm(),
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


@require_POST
@workspace_view(Action.ANSWER_INBOX)
def unhide(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.unhide(_item(request, pk), user=request.user)
        messages.success(request, _("Visible again."))
    except services.InboxError as exc:
        messages.error(request, str(exc))
    return redirect("inbox:list")


@require_POST
@workspace_view(Action.MODERATE_INBOX)
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """A moderator's "spam" / "not spam": kept as labelled data for `moderation retrain`."""
    item = _item(request, pk)
    decision = request.POST.get("decision", "")
    if decision not in Decision.values:
        messages.error(request, _("Say whether it is spam or not."))
        return redirect("inbox:list")
    services.record_decision(item, decision, "mark", request.user)
    messages.success(request, _("Noted: %(decision)s.") % {
        "decision": Decision(decision).label})
    return redirect("inbox:list")


@require_POST
@workspace_view(Action.MODERATE_INBOX)
def block(request: HttpRequest, pk: int) -> HttpResponse:
    """Block the item's author (the "a blocked author" rule condition)."""
    item = _item(request, pk)
    try:
        workflow.block(item.workspace_id, item.channel.network, item.author_handle,
                       request.POST.get("reason", ""))
        messages.success(request, _("%(handle)s is blocked.") % {"handle": item.author_handle})
    except services.InboxError as exc:
        messages.error(request, str(exc))
    return redirect("inbox:list")


@require_POST
@workspace_view(Action.MODERATE_INBOX)
def blocked(request: HttpRequest) -> HttpResponse:
    form = BlockForm(request.POST)
    if form.is_valid():
        try:
            workflow.block(request.membership.workspace.pk, form.cleaned_data["network"],
                           form.cleaned_data["handle"], form.cleaned_data["reason"])
            messages.success(request, _("Blocked."))
        except services.InboxError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, _("Give the network and the handle."))
    return redirect("inbox:rules")


@require_POST
@workspace_view(Action.MODERATE_INBOX)
def unblock(request: HttpRequest, pk: int) -> HttpResponse:
    if not workflow.unblock(request.membership.workspace.pk, pk):
        raise Http404("No such entry")
    messages.success(request, _("Unblocked."))
    return redirect("inbox:rules")


def _canned_row(request: HttpRequest, pk: int) -> CannedReply:
    row = CannedReply.objects.filter(pk=pk, workspace=request.membership.workspace).first()
    if row is None:
        raise Http404("No such canned reply")
    return row


@workspace_view(Action.ANSWER_INBOX)
def canned_list(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The canned replies: the list, a form for a new one (or the one being edited)."""
    workspace = request.membership.workspace
    editing = _canned_row(request, pk) if pk is not None else None
    may_edit = can(request.membership, Action.MODERATE_INBOX)
    initial = {"code": editing.code, "title": editing.title, "text_el": editing.text_el,
               "text_en": editing.text_en} if editing else None
    form = CannedForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not may_edit:
            messages.error(request, _("Only editors and above change canned replies."))
            return redirect("inbox:canned")
        if form.is_valid():
            try:
                canned.save(workspace.pk, canned=editing, **form.cleaned_data)
                messages.success(request, _("Canned reply saved."))
                return redirect("inbox:canned")
            except services.InboxError as exc:
                form.add_error("code" if "code" in exc.code else None, str(exc))
    return render(request, "inbox/canned.html", {
        "form": form, "editing": editing, "may_edit": may_edit,
        "answers": canned.for_workspace(workspace.pk)})


@require_POST
@workspace_view(Action.MODERATE_INBOX)
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _canned_row(request, pk).delete()
    messages.success(request, _("Canned reply deleted."))
    return redirect("inbox:canned")
