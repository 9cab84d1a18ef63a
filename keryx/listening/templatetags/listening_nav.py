"""`{% may_listen as x %}` for the navigation: whether the current member may read listening
results (base.html has no request.membership on pages outside a workspace view)."""

from __future__ import annotations

from typing import Any

from django import template

from keryx.core.permissions import Action, can

register = template.Library()


@register.simple_tag(takes_context=True)
def may_listen(context: dict[str, Any]) -> bool:
    return can(context.get("current_membership"), Action.VIEW_LISTENING)
