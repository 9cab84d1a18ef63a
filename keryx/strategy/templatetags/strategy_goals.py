"""The dashboard's goals card (included by core/dashboard.html through optional_include)."""

from __future__ import annotations

from typing import Any

from django import template

from keryx.strategy import goals

register = template.Library()


@register.inclusion_tag("strategy/_dashboard_card.html", takes_context=True)
def goals_card(context: dict[str, Any]) -> dict[str, Any]:
    membership = context.get("current_membership")
    if membership is None:
        return {"goals": []}
    return {"goals": [goals.goal_json(g) for g in goals.goals_of(membership.workspace)][:6]}
