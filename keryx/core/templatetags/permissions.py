"""`{% can "cancel_post" post as may_cancel %}`: whether the signed-in member may do an action
(to an object), asked of keryx.core.permissions, so a button shows only when the click would be
allowed. Without an object it asks about the current workspace."""

from __future__ import annotations

from typing import Any

from django import template

from keryx.core.models import Membership
from keryx.core.permissions import can as allowed

register = template.Library()


def _membership(request: Any, obj: Any) -> Membership | None:
    current = getattr(request, "membership", None)
    workspace_id = getattr(obj, "workspace_id", None)
    if workspace_id is None or (current is not None and current.workspace_id == workspace_id):
        return current
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    # A page may show objects of another of the user's workspaces (a post opened by its link).
    cache = request.__dict__.setdefault("_keryx_memberships", {})
    if workspace_id not in cache:
        cache[workspace_id] = Membership.objects.filter(
            user=user, workspace_id=workspace_id).select_related("workspace").first()
    return cache[workspace_id]


@register.simple_tag(takes_context=True)
def can(context: dict[str, Any], action: str, obj: Any = None) -> bool:
    request = context.get("request")
    if request is None:
        return False
    return allowed(_membership(request, obj), action, obj)
