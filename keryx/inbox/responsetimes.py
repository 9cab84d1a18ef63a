"""Response-time figures for the inbox page and the reports (analytics may call `figures`).

- reply time of an item: from when it reached the network (its `created_at`, else when Keryx
  received it) to our first reply that was sent; median and mean over the items answered;
- first reply time of a conversation: from its first item in the period to our first sent
  reply in it (median and mean over the conversations answered);
- with business hours (`in_hours`: a function telling whether a moment is within them, from
  the workspace's assistant settings), the same split by when the item arrived: in hours and
  out of hours. Without business hours nothing is split (`business_hours` is null).

Automatic replies (the assistant's, a rule's canned answer) are left out by default: the figure
is the team's. Times are seconds; a figure with nothing to measure is null, never 0.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Min, Q

from keryx.inbox.models import InboxItem, ReplyState

InHours = Callable[[datetime], bool]


@dataclass(frozen=True)
class Row:
    conversation_id: int
    arrived: datetime
    first_reply: datetime | None  # our first sent reply


def _summary(delays: list[float]) -> dict[str, Any]:
    return {"count": len(delays),
            "median_seconds": round(statistics.median(delays), 1) if delays else None,
            "mean_seconds": round(statistics.fmean(delays), 1) if delays else None}


def _figures(rows: list[Row]) -> dict[str, Any]:
    delays = [max(0.0, (r.first_reply - r.arrived).total_seconds())
              for r in rows if r.first_reply is not None]
    first_item: dict[int, datetime] = {}
    answered: dict[int, datetime] = {}
    for row in rows:
        if row.conversation_id not in first_item or row.arrived < first_item[row.conversation_id]:
            first_item[row.conversation_id] = row.arrived
        if row.first_reply is not None and (row.conversation_id not in answered
                                            or row.first_reply < answered[row.conversation_id]):
            answered[row.conversation_id] = row.first_reply
    firsts = [max(0.0, (answered[c] - first_item[c]).total_seconds())
              for c in first_item if c in answered]
    return {"items": len(rows), "answered": len(delays), "unanswered": len(rows) - len(delays),
            "reply_time": _summary(delays),
            "first_reply": {**_summary(firsts), "conversations": len(first_item)}}


def figures(workspace_id: int, start: datetime | None = None, end: datetime | None = None, *,
            in_hours: InHours | None = None, include_automatic: bool = False,
            channel_ids: list[int] | None = None) -> dict[str, Any]:
    """The figures for items that arrived in [start, end) (either bound may be open). One
    query: each item with the time of our first sent reply."""
    items = InboxItem.objects.filter(workspace_id=workspace_id)
    if channel_ids:
        items = items.filter(channel_id__in=channel_ids)
    # Arrival is created_at, or received_at where the network gave no time.
    if start is not None:
        items = items.filter(Q(created_at__gte=start)
                             | Q(created_at__isnull=True, received_at__gte=start))
    if end is not None:
        items = items.filter(Q(created_at__lt=end)
                             | Q(created_at__isnull=True, received_at__lt=end))
    sent = Q(replies__state=ReplyState.SENT, replies__sent_at__isnull=False)
    if not include_automatic:
        sent &= Q(replies__automatic=False)
    rows = [Row(conversation, created or received, first)
            for conversation, created, received, first in items.order_by().annotate(
                first=Min("replies__sent_at", filter=sent)).values_list(
                "conversation_id", "created_at", "received_at", "first")]
    out = _figures(rows)
    out["business_hours"] = None
    if in_hours is not None:
        inside = [r for r in rows if in_hours(r.arrived)]
        outside = [r for r in rows if not in_hours(r.arrived)]
        out["business_hours"] = {"in": _figures(inside), "out": _figures(outside)}
    return out


def duration(seconds: float | None) -> str:
    """'2 h 05 min', '4 min', '35 s', or '—'."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"
