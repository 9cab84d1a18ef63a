"""The open-items count beside "Inbox" in the navigation."""

from __future__ import annotations

from typing import Any

from django import template

from keryx.core.permissions import Action, can
from keryx.inbox.services import open_count
from keryx.inbox.workflow import open_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_open_count(context: dict[str, Any]) -> int:
    membership = context.get("current_membership")
    if membership is None or not can(membership, Action.VIEW_INBOX):
        return 0
    return open_count(membership.workspace_id)


@register.inclusion_tag("inbox/_open.html", takes_context=True)
def inbox_dashboard(context: dict[str, Any]) -> dict[str, Any]:
    """For the dashboard: what is open in the inbox, and how much of it is the viewer's."""
    membership = context.get("current_membership")
    request = context.get("request")
    if membership is None or not can(membership, Action.VIEW_INBOX):
        return {"show": False}
    user = getattr(request, "user", None)
    return {"show": True, "user_id": getattr(user, "pk", None),
            **open_counts(membership.workspace_id, user)}
