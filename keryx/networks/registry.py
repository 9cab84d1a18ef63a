"""Network name -> provider class, imported on first use so one network's import cost or missing
optional dependency never touches the others. The rest of Keryx asks here, never imports a
network module directly."""

from __future__ import annotations

import importlib
from typing import Any

PROVIDERS: dict[str, str] = {
    "mastodon": "keryx.networks.mastodon:MastodonProvider",
    "bluesky": "keryx.networks.bluesky:BlueskyProvider",
    "x": "keryx.networks.x:XProvider",
    "threads": "keryx.networks.threads:ThreadsProvider",
    "instagram": "keryx.networks.instagram:InstagramProvider",
    "facebook": "keryx.networks.facebook:FacebookProvider",
    "linkedin": "keryx.networks.linkedin:LinkedInProvider",
    "youtube": "keryx.networks.youtube:YouTubeProvider",
    "telegram": "keryx.networks.telegram:TelegramProvider",
    "tiktok": "keryx.networks.tiktok:TikTokProvider",
    "discord": "keryx.networks.discord:DiscordProvider",
    "pinterest": "keryx.networks.pinterest:PinterestProvider",
    "google_business": "keryx.networks.google_business:GoogleBusinessProvider",
    "reddit": "keryx.networks.reddit:RedditProvider",
}

# Extra providers registered at run time (tests and benchmarks register a loopback network).
_extra: dict[str, Any] = {}


def register(name: str, provider_class: Any) -> None:
    _extra[name] = provider_class


def unregister(name: str) -> None:
    _extra.pop(name, None)


def names() -> list[str]:
    return sorted(set(PROVIDERS) | set(_extra))


def get_provider_class(name: str) -> Any:
    if name in _extra:
        return _extra[name]
    try:
        target = PROVIDERS[name]
    except KeyError as exc:
        raise KeyError(f"Unknown network {name!r}; known: {', '.join(names())}") from exc
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def display_name(name: str) -> str:
    """The network's own spelling ("LinkedIn", "TikTok"), or the identifier if unknown."""
    try:
        return str(get_provider_class(name).display_name)
    except (KeyError, ImportError, AttributeError):
        return name
