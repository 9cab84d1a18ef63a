"""Networks and channels as people recognise them.

{{ "linkedin"|network_name }} -> "LinkedIn": networks spelled as they spell themselves.
{% channel_mark channel %}: the channel's avatar when it has one, else a small badge in the
network's colour with its initial (our own badges, no network artwork: styles in app.css,
`.net-badge` and `.net-<network>`)."""

from django import template
from django.utils.html import format_html

from keryx.networks.registry import display_name

register = template.Library()

# Two letters where one would be ambiguous (Threads/TikTok/Telegram, ...).
BADGE_LETTERS = {
    "mastodon": "M", "bluesky": "B", "linkedin": "in", "facebook": "f", "instagram": "IG",
    "threads": "Th", "tiktok": "TT", "telegram": "Tg", "discord": "D", "pinterest": "P",
    "youtube": "YT", "x": "X", "twitter": "X", "reddit": "R", "google_business": "G",
}


@register.filter
def network_name(network: str) -> str:
    return display_name(str(network))


@register.simple_tag
def network_badge(network: str) -> str:
    network = str(network)
    letters = BADGE_LETTERS.get(network, network[:1].upper() or "?")
    return format_html(
        # The letters come from CSS (attr), so they never join the channel's name in the text.
        '<span class="net-badge net-{}" data-letters="{}" title="{}" aria-hidden="true"></span>',
        network, letters, display_name(network),
    )


@register.simple_tag
def channel_mark(channel: object) -> str:
    """The avatar (an https URL the provider stored in settings) or the network badge."""
    settings = getattr(channel, "settings", None) or {}
    avatar = settings.get("avatar_url", "") if isinstance(settings, dict) else ""
    network = str(getattr(channel, "network", ""))
    if isinstance(avatar, str) and avatar.startswith("https://"):
        return format_html(
            '<span class="channel-mark"><img class="avatar" src="{}" alt="" loading="lazy"'
            ' referrerpolicy="no-referrer">{}</span>', avatar, network_badge(network),
        )
    return format_html('<span class="channel-mark">{}</span>', network_badge(network))
