"""{{ "linkedin"|network_name }} -> "LinkedIn": networks spelled as they spell themselves."""

from django import template

from keryx.networks.registry import display_name

register = template.Library()


@register.filter
def network_name(network: str) -> str:
    return display_name(str(network))
