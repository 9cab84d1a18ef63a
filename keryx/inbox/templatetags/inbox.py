"""The open-items count beside "Inbox" in the navigation."""

from __future__ import annotations

from typing import Any

from django import template

from keryx.core.permissions import Action, can
from keryx.inbox.services import open_count

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_open_count(context: dict[str, Any]) -> int:
    membership = context.get("current_membership")
    if membership is None or not can(membership, Action.VIEW_INBOX):
        return 0
    return open_count(membership.workspace_id)
