"""{% load analytics_text %}: `{{ formula|figure_text }}` shows a formula name or the reason of a
null figure in the reader's language (keryx.analytics.labels); the machine name stays in the
JSON and the CSV."""

from __future__ import annotations

from django import template

from keryx.analytics.labels import figure_text as translate

register = template.Library()


@register.filter
def figure_text(value: object) -> str:
    return translate(value)
