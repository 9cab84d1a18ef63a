"""Network name -> provider class, imported on first use so one network's import cost or missing
optional dependency never touches the others. The rest of Keryx asks here, never imports a
network module directly."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from keryx.networks.base import Capabilities

# In the order forms list networks (a contact's handles, for one).
PROVIDERS: dict[str, str] = {
    "bluesky": "keryx.networks.bluesky:BlueskyProvider",
    "mastodon": "keryx.networks.mastodon:MastodonProvider",
    "x": "keryx.networks.x:XProvider",
    "threads": "keryx.networks.threads:ThreadsProvider",
    "instagram": "keryx.networks.instagram:InstagramProvider",
    "linkedin": "keryx.networks.linkedin:LinkedInProvider",
    "tiktok": "keryx.networks.tiktok:TikTokProvider",
    "youtube": "keryx.networks.youtube:YouTubeProvider",
    "pinterest": "keryx.networks.pinterest:PinterestProvider",
    "telegram": "keryx.networks.telegram:TelegramProvider",
    "reddit": "keryx.networks.reddit:RedditProvider",
    "facebook": "keryx.networks.facebook:FacebookProvider",
    "discord": "keryx.networks.discord:DiscordProvider",
    "google_business": "keryx.networks.google_business:GoogleBusinessProvider",
}

# Extra providers registered at run time (tests and benchmarks register a loopback network).
_extra: dict[str, Any] = {}


def register(name: str, provider_class: Any) -> None:
    _extra[name] = provider_class


def unregister(name: str) -> None:
    _extra.pop(name, None)


@contextmanager
def registered(name: str, provider_class: Any) -> Iterator[Any]:
    """`provider_class` known as `name` for the duration of the block (a test's own network),
    then forgotten again, whatever happens inside."""
    if name in PROVIDERS or name in _extra:
        raise ValueError(f"The network {name!r} is already registered")
    register(name, provider_class)
    try:
        yield provider_class
    finally:
        unregister(name)


def names() -> list[str]:
    return sorted(set(PROVIDERS) | set(_extra))


def in_form_order() -> list[str]:
    """Every network, built-in ones in PROVIDERS order, then those registered at run time."""
    return [*PROVIDERS, *(name for name in _extra if name not in PROVIDERS)]


def capabilities(name: str) -> Capabilities | None:
    """What `name` declares (keryx.networks.base.Capabilities), or None for a network that is
    unknown or cannot load: callers then apply no network rule at all."""
    try:
        return get_provider_class(name).capabilities
    except (KeyError, ImportError, AttributeError):
        return None


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
