"""The manager's view of the inbox: the filtered stream (one function for the page, the API and
the CLI), conversations, the author's history with the brand, the open counts, the block list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from keryx.inbox import services
from keryx.inbox.models import BlockedAuthor, InboxItem, Kind, Status
from keryx.inbox.moderation import author_key

STATUSES = ("open", "pending", "done", "all")
SENTIMENTS = ("positive", "neutral", "negative")
HISTORY = 10  # earlier items shown per author


@dataclass(frozen=True)
class Filters:
    status: str = "open"
    channel: int | None = None
    kind: str = ""
    language: str = ""
    label: str = ""
    sentiment: str = ""
    assignee: int | None = None  # a user id; 0 = nobody

    def check(self) -> Filters:
        if self.status not in STATUSES:
            raise services.InboxError(_("Unknown status %(s)s.") % {"s": self.status},
                                      code="bad_status")
        if self.kind and self.kind not in Kind.values:
            raise services.InboxError(_("Unknown kind %(k)s.") % {"k": self.kind},
                                      code="bad_kind")
        if self.sentiment and self.sentiment not in SENTIMENTS:
            raise services.InboxError(_("Unknown sentiment %(s)s.") % {"s": self.sentiment},
                                      code="bad_sentiment")
        return self


def filtered(workspace_id: int, filters: Filters) -> QuerySet[InboxItem]:
    filters.check()
    items = services.items_for(workspace_id, filters.status or "open")
    for name in ("kind", "language", "sentiment"):
        if getattr(filters, name):
            items = items.filter(**{name: getattr(filters, name)})
    if filters.channel:
        items = items.filter(channel_id=filters.channel)
    if filters.assignee == 0:
        items = items.filter(assignee__isnull=True)
    elif filters.assignee:
        items = items.filter(assignee_id=filters.assignee)
    if filters.label.strip():
        # Labels are a short JSON list; matched in Python so SQLite and PostgreSQL agree.
        label = filters.label.strip()
        items = items.filter(pk__in=[pk for pk, labels in items.values_list("pk", "labels")
                                     if label in (labels or [])])
    return items


def conversations(items: list[InboxItem]) -> list[dict[str, Any]]:
    """Items grouped by conversation, in the stream's order, each with the post it is under."""
    groups: dict[int, dict[str, Any]] = {}
    for item in items:
        group = groups.setdefault(item.conversation_id, {
            "conversation": item.conversation,
            "post": item.target.post if item.target else None, "items": []})
        group["items"].append(item)
    return list(groups.values())


def _author(item: InboxItem) -> tuple[str, str]:
    return item.channel.network, author_key(item.author_handle)


def histories(workspace_id: int, items: list[InboxItem], limit: int = HISTORY
              ) -> dict[int, list[InboxItem]]:
    """For each item: the same author's other items in the workspace (any conversation, on the
    same network), newest first, with our replies prefetched. One query for the whole page."""
    wanted = {_author(i) for i in items if i.author_handle}
    if not wanted:
        return {}
    found: dict[tuple[str, str], list[InboxItem]] = defaultdict(list)
    rows = InboxItem.objects.filter(workspace_id=workspace_id,
                                    author_key__in={key for _n, key in wanted}) \
        .select_related("channel", "conversation").prefetch_related("replies") \
        .order_by("-received_at", "-pk")[:limit * len(wanted) * 4]
    for row in rows:
        if _author(row) in wanted:
            found[_author(row)].append(row)
    return {i.pk: [r for r in found.get(_author(i), []) if r.pk != i.pk][:limit]
            for i in items if i.author_handle}


def history_counts(workspace_id: int, items: list[InboxItem]) -> dict[int, int]:
    """For each item: how many other items its author has in the workspace (one query)."""
    wanted = {_author(i) for i in items if i.author_handle}
    if not wanted:
        return {}
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for network, key in InboxItem.objects.filter(
            workspace_id=workspace_id, author_key__in={key for _n, key in wanted}) \
            .order_by().values_list("channel__network", "author_key"):
        totals[(network, key)] += 1
    return {i.pk: max(0, totals.get(_author(i), 1) - 1) for i in items if i.author_handle}


def history_json(item: InboxItem) -> dict[str, Any]:
    return {"id": item.pk, "channel": item.channel.name, "kind": item.kind, "text": item.text,
            "received_at": item.received_at, "status": item.status,
            "conversation_id": item.conversation_id,
            "replies": [{"text": r.text, "state": r.state, "automatic": r.automatic,
                         "sent_at": r.sent_at} for r in item.replies.all()]}


def open_counts(workspace_id: int, user: Any = None) -> dict[str, int]:
    open_items = InboxItem.objects.filter(workspace_id=workspace_id, status=Status.OPEN)
    mine = open_items.filter(assignee=user).count() if user is not None else 0
    return {"open": open_items.count(), "mine": mine,
            "unassigned": open_items.filter(assignee__isnull=True).count()}


# -- business hours ---------------------------------------------------------------------------

# Set by the off-hours assistant (keryx.inbox.assistant*: its business-hours settings) to a
# function (workspace) -> (moment -> in hours?) or None. Until then no workspace has business
# hours and the response-time figures split nothing.
BUSINESS_HOURS: list[Callable[[Any], Callable[[datetime], bool] | None]] = []


def business_hours(workspace: Any) -> Callable[[datetime], bool] | None:
    for provider in BUSINESS_HOURS:
        found = provider(workspace)
        if found is not None:
            return found
    return None


# -- the block list ---------------------------------------------------------------------------


def block(workspace_id: int, network: str, handle: str, reason: str = "") -> BlockedAuthor:
    key = author_key(handle)
    if not key:
        raise services.InboxError(_("Say whom to block (their handle)."), code="empty")
    row, _made = BlockedAuthor.objects.get_or_create(
        workspace_id=workspace_id, network=network, handle=key,
        defaults={"reason": reason.strip()[:255]})
    return row


def unblock(workspace_id: int, pk: int) -> bool:
    return BlockedAuthor.objects.filter(workspace_id=workspace_id, pk=pk).delete()[0] > 0


def is_blocked(item: InboxItem) -> bool:
    return BlockedAuthor.objects.filter(workspace_id=item.workspace_id,
                                        network=item.channel.network,
                                        handle=author_key(item.author_handle)).exists()
