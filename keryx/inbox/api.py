"""The inbox in the API: /api/v1/inbox/… — the stream with the page's filters (the shape of
`keryx inbox list --json`), one item with the author's history, reply (typed or canned), status,
assignment, the canned replies and the response-time figures. Thin: scope by the caller's
workspace, check the role (keryx.core.permissions), call keryx.inbox's services."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from keryx.api_errors import ApiError
from keryx.core.access import membership_for, memberships_of
from keryx.core.models import Membership
from keryx.core.permissions import Action, require
from keryx.inbox import canned, responsetimes, services, workflow
from keryx.inbox.models import InboxItem, ReplyState

router = Router(tags=["inbox"])


class ListQuery(Schema):
    workspace: int | str | None = None
    status: str = Field("open", description="open, pending, done or all")
    channel: str | None = Field(None, description="a channel's name or id")
    kind: str | None = Field(None, description="comment, mention or message")
    language: str | None = None
    label: str | None = None
    sentiment: str | None = Field(None, description="positive, neutral or negative")
    assignee: str | None = Field(None, description="a member's user id or e-mail, or 'none'")
    limit: int = Field(100, ge=1, le=500)


class AuthorOut(Schema):
    handle: str
    name: str


class ModerationOut(Schema):
    action: str
    rule: str


class ItemOut(Schema):
    id: int
    channel: str
    network: str
    kind: str
    author: AuthorOut
    text: str
    language: str
    received_at: datetime
    created_at: datetime | None
    status: str
    post_id: int | None
    remote_id: str
    conversation_id: int
    moderation: ModerationOut | None
    sentiment: str
    spam: float | None
    offensive: float | None
    hidden: bool
    labels: list[str]
    auto_reply: str | None
    assignee_id: int | None


class HistoryReplyOut(Schema):
    text: str
    state: str
    automatic: bool
    sent_at: datetime | None


class HistoryOut(Schema):
    id: int
    channel: str
    kind: str
    text: str
    received_at: datetime
    status: str
    conversation_id: int
    replies: list[HistoryReplyOut]


class ItemDetailOut(ItemOut):
    history: list[HistoryOut] = Field(description="the author's other items, newest first")


class ReplyIn(Schema):
    text: str | None = None
    canned: str | None = Field(None, description="a canned reply's code, instead of text")


class ReplyOut(Schema):
    id: int
    item_id: int
    state: str
    text: str
    remote_id: str
    url: str
    error: str
    attempts: int


class StatusIn(Schema):
    status: str


class AssignIn(Schema):
    user: int | str | None = Field(None, description="a member's user id or e-mail; null "
                                                     "to unassign")


class CannedOut(Schema):
    id: int
    code: str
    title: str
    text_el: str
    text_en: str


class TimesQuery(Schema):
    workspace: int | str | None = None
    from_: date | None = Field(None, alias="from")
    until: date | None = None


def _membership(request: HttpRequest, ref: int | str | None) -> Membership:
    if ref is None or ref == "":
        mine = memberships_of(request.auth)
        if len(mine) == 1:
            return mine[0]
        raise ApiError(400, "workspace_required",
                       _("You belong to several workspaces; say which one with 'workspace'."))
    if isinstance(ref, int) or str(ref).isdecimal():
        return membership_for(request.auth, int(ref))
    for membership in memberships_of(request.auth):
        if membership.workspace.slug == ref:
            return membership
    raise Http404(_("No such workspace"))


def _item_for(request: HttpRequest, item_id: int, action: Action) -> InboxItem:
    """The item if the caller is a member of its workspace (404 otherwise) allowed `action`."""
    item = InboxItem.objects.select_related("channel", "conversation", "target").filter(
        pk=item_id).first()
    if item is None or not request.auth.is_authenticated:
        raise Http404(_("No such inbox item"))
    try:
        membership = membership_for(request.auth, item.workspace_id)
    except Http404 as exc:
        raise Http404(_("No such inbox item")) from exc
    require(membership, action)
    return item


def _member(membership: Membership, ref: int | str | None) -> Any:
    if ref is None or ref == "" or ref == "none":
        return None
    members = Membership.objects.filter(workspace=membership.workspace).select_related("user")
    for m in members:
        if str(ref) == str(m.user_id) or str(ref).lower() == (m.user.email or "").lower():
            return m.user
    raise ApiError(422, "unknown_member", _("%(who)s is not a member of this workspace.")
                   % {"who": ref})


def _error(exc: services.InboxError) -> ApiError:
    status = {"gone": 409, "unknown_canned": 422}.get(exc.code, 422)
    return ApiError(status, exc.code, str(exc))


def _filters(membership: Membership, query: ListQuery) -> workflow.Filters:
    channel = None
    if query.channel:
        found = [c for c in services.inbox_channels(membership.workspace_id)
                 if c.name == query.channel or str(c.pk) == query.channel]
        if not found:
            raise ApiError(422, "unknown_channel", _("No channel %(name)s with an inbox in this "
                                                     "workspace.") % {"name": query.channel})
        channel = found[0].pk
    assignee: int | None = None
    if query.assignee == "none":
        assignee = 0
    elif query.assignee:
        user = _member(membership, query.assignee)
        assignee = user.pk if user is not None else None
    return workflow.Filters(status=query.status, channel=channel, kind=query.kind or "",
                            language=query.language or "", label=query.label or "",
                            sentiment=query.sentiment or "", assignee=assignee)


def _out(item: InboxItem) -> dict[str, Any]:
    return {**services.as_json(item), "assignee_id": item.assignee_id}


@router.get("/items", response=list[ItemOut], summary="The inbox stream, filtered")
def items(request: HttpRequest, query: Query[ListQuery]) -> list[dict[str, Any]]:
    membership = _membership(request, query.workspace)
    require(membership, Action.VIEW_INBOX)
    try:
        rows = workflow.filtered(membership.workspace_id, _filters(membership, query))
    except services.InboxError as exc:
        raise _error(exc) from exc
    return [_out(i) for i in rows[:query.limit]]


@router.get("/items/{inbox_item_id}", response=ItemDetailOut,
            summary="One item, with the author's history with the brand")
def item(request: HttpRequest, inbox_item_id: int) -> dict[str, Any]:
    found = _item_for(request, inbox_item_id, Action.VIEW_INBOX)
    found = services.items_for(found.workspace_id, "all").get(pk=found.pk)
    history = workflow.histories(found.workspace_id, [found]).get(found.pk, [])
    return {**_out(found), "history": [workflow.history_json(h) for h in history]}


@router.post("/items/{inbox_item_id}/reply", response={201: ReplyOut},
             summary="Answer the item in its thread or conversation, exactly once")
def reply(request: HttpRequest, inbox_item_id: int, payload: ReplyIn) -> Status:
    found = _item_for(request, inbox_item_id, Action.ANSWER_INBOX)
    try:
        if payload.canned:
            sent = canned.send(found, payload.canned, user=request.auth)
        else:
            text = canned.expand(found.workspace_id, payload.text or "", found.language)
            sent = services.send_reply(found, text, user=request.auth)
    except services.InboxError as exc:
        raise _error(exc) from exc
    if sent.state == ReplyState.GONE:
        raise ApiError(409, "gone", _("The item was deleted on the network before the reply; "
                                      "the reply was not sent and is kept."),
                       services.reply_json(sent))
    if sent.state != ReplyState.SENT:
        raise ApiError(502, "not_sent", sent.error or sent.state, services.reply_json(sent))
    return Status(201, services.reply_json(sent))


@router.post("/items/{inbox_item_id}/status", response=ItemOut, summary="Open, pending or done")
def status(request: HttpRequest, inbox_item_id: int, payload: StatusIn) -> dict[str, Any]:
    found = _item_for(request, inbox_item_id, Action.ANSWER_INBOX)
    try:
        services.set_status(found, payload.status)
    except services.InboxError as exc:
        raise _error(exc) from exc
    return _out(services.items_for(found.workspace_id, "all").get(pk=found.pk))


@router.post("/items/{inbox_item_id}/assign", response=ItemOut,
             summary="Assign to a member (who is told), or unassign")
def assign(request: HttpRequest, inbox_item_id: int, payload: AssignIn) -> dict[str, Any]:
    found = _item_for(request, inbox_item_id, Action.ANSWER_INBOX)
    membership = membership_for(request.auth, found.workspace_id)
    services.assign(found, _member(membership, payload.user), by=request.auth)
    return _out(services.items_for(found.workspace_id, "all").get(pk=found.pk))


@router.get("/canned", response=list[CannedOut], summary="The workspace's canned replies")
def canned_list(request: HttpRequest, workspace: int | str | None = None
                ) -> list[dict[str, Any]]:
    membership = _membership(request, workspace)
    require(membership, Action.VIEW_INBOX)
    return [canned.as_json(c) for c in canned.for_workspace(membership.workspace_id)]


@router.get("/response-times", summary="First reply and median reply times")
def response_times(request: HttpRequest, query: Query[TimesQuery]) -> dict[str, Any]:
    membership = _membership(request, query.workspace)
    require(membership, Action.VIEW_INBOX)
    zone = ZoneInfo(membership.workspace.timezone or "UTC")
    start = datetime.combine(query.from_, time.min, zone) if query.from_ else None
    end = datetime.combine(query.until, time.max, zone) if query.until else None
    return responsetimes.figures(membership.workspace_id, start, end,
                                 in_hours=workflow.business_hours(membership.workspace))
