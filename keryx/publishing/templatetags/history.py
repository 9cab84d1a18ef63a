"""{{ event.message|history_note }}, {{ event.actor|history_actor }}: see publishing.history."""

from django import template

from keryx.publishing.history import actor_text, note_text

register = template.Library()


@register.filter
def history_note(message: str) -> str:
    return note_text(str(message or ""))


@register.filter
def history_actor(actor: str) -> str:
    return actor_text(str(actor or ""))
