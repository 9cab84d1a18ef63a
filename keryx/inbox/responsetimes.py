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
from datetime import datetime
from typing import Any

from keryx.inbox.models import InboxItem, Reply, ReplyState

InHours = Callable[[datetime], bool]


def _arrived(item: InboxItem) -> datetime:
    return item.created_at or item.received_at


def _summary(delays: list[float]) -> dict[str, Any]:
    return {"count": len(delays),
            "median_seconds": round(statistics.median(delays), 1) if delays else None,
            "mean_seconds": round(statistics.fmean(delays), 1) if delays else None}


def _figures(items: list[InboxItem], first_reply: dict[int, datetime]) -> dict[str, Any]:
    delays = [max(0.0, (first_reply[i.pk] - _arrived(i)).total_seconds())
              for i in items if i.pk in first_reply]
    by_conversation: dict[int, InboxItem] = {}
    answered: dict[int, datetime] = {}
    for item in sorted(items, key=_arrived):
        by_conversation.setdefault(item.conversation_id, item)
        sent = first_reply.get(item.pk)
        if sent is not None and (item.conversation_id not in answered
                                 or sent < answered[item.conversation_id]):
            answered[item.conversation_id] = sent
    firsts = [max(0.0, (answered[c] - _arrived(first)).total_seconds())
              for c, first in by_conversation.items() if c in answered]
    return {"items": len(items), "answered": len(delays), "unanswered": len(items) - len(delays),
            "reply_time": _summary(delays),
            "first_reply": {**_summary(firsts), "conversations": len(by_conversation)}}


def figures(workspace_id: int, start: datetime | None = None, end: datetime | None = None, *,
            in_hours: InHours | None = None, include_automatic: bool = False,
            channel_ids: list[int] | None = None) -> dict[str, Any]:
    """The figures for items that arrived in [start, end) (either bound may be open)."""
    items = InboxItem.objects.filter(workspace_id=workspace_id)
    if channel_ids:
        items = items.filter(channel_id__in=channel_ids)
    rows = [i for i in items.only("pk", "conversation_id", "created_at", "received_at")
            if (start is None or _arrived(i) >= start) and (end is None or _arrived(i) < end)]
    replies = Reply.objects.filter(item_id__in=[i.pk for i in rows], state=ReplyState.SENT,
                                   sent_at__isnull=False)
    if not include_automatic:
        replies = replies.filter(automatic=False)
    first_reply: dict[int, datetime] = {}
    for item_id, sent_at in replies.order_by("sent_at").values_list("item_id", "sent_at"):
        first_reply.setdefault(item_id, sent_at)
    out = _figures(rows, first_reply)
    out["business_hours"] = None
    if in_hours is not None:
        inside = [i for i in rows if in_hours(_arrived(i))]
        outside = [i for i in rows if not in_hours(_arrived(i))]
        out["business_hours"] = {"in": _figures(inside, first_reply),
                                 "out": _figures(outside, first_reply)}
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
