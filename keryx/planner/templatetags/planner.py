"""Dashboard pieces from the planner, and an include that is silent when its template is
missing (so another app can fill a slot on the dashboard without a hard dependency)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from keryx.channels.models import Channel
from keryx.planner import calendar
from keryx.planner.models import Campaign, Label

register = template.Library()


@register.simple_tag(takes_context=True)
def optional_include(context: template.Context, name: str) -> SafeString:
    """{% optional_include "approvals/_dashboard.html" %}: renders the template with the
    current context when it exists, nothing when it does not."""
    try:
        found = get_template(name)
    except template.TemplateDoesNotExist:
        return mark_safe("")
    return mark_safe(found.render(context.flatten(), context.get("request")))


@register.inclusion_tag("planner/_dashboard_today.html", takes_context=True)
def dashboard_today(context: template.Context) -> dict[str, Any]:
    """Today's posts on the viewer's clock (all of them, in every state but cancelled)."""
    request = context["request"]
    membership = request.membership
    tz = calendar.zone(str(timezone.get_current_timezone()))
    today = timezone.now().astimezone(tz).date()
    cards, _counts = calendar.cards_between(
        membership,
        calendar.day_start(today, tz),
        calendar.day_start(today + timedelta(days=1), tz),
        calendar.Filters(),
        viewer_tz=tz,
        options={
            "channels": Channel.objects.filter(workspace=membership.workspace).only("id", "name"),
            "campaigns": Campaign.objects.filter(workspace=membership.workspace),
            "labels": Label.objects.filter(workspace=membership.workspace),
        },
    )
    for card in cards:
        card.movable = False  # no drag and drop on the dashboard
    return {
        "cards": [c for c in cards if c.state != "cancelled"],
        "today": today,
        "week": today.isoformat(),
        "posts_base": reverse("posts:list"),
        "request": request,
    }


@register.simple_tag(takes_context=True)
def cal_card(context: template.Context, card: calendar.Card) -> SafeString:
    return calendar.card_html(
        card, context.get("posts_base") or reverse("posts:list"),
        context.get("calendar_base") or reverse("planner:month"),
    )
