"""{% composer_tools workspace %}: the composer's helper panel (mentions, hashtag groups and
suggestions, the link builder), so the composer view itself needs no change."""

from __future__ import annotations

from typing import Any

from django import template

from keryx.contacts import hashtags
from keryx.contacts.models import Contact, HashtagGroup
from keryx.links.services import default_preset

register = template.Library()


@register.inclusion_tag("contacts/_composer_tools.html")
def composer_tools(workspace: Any) -> dict[str, Any]:
    if workspace is None:
        return {"workspace": None}
    preset = default_preset(workspace)
    return {
        "workspace": workspace,
        "contacts": list(Contact.objects.filter(workspace=workspace).values_list("name",
                                                                                 flat=True)),
        "groups": list(HashtagGroup.objects.filter(workspace=workspace)),
        "suggestions": hashtags.suggestions(workspace, limit=10),
        "preset": preset,
    }
