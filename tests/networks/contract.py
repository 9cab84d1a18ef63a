"""The shared provider contract: what a network's kit provides, and the helpers the suite
(tests/networks/test_contract.py) uses to drive a provider through respx at the HTTP seam.

A kit is `KIT` in tests/networks/kits/<network>.py, an object with:

    network: str                                  the registry name ("x", "threads", ...)
    base_url: str                                 the api_base the provider is built with
    credentials() -> dict                         decrypted credentials as stored on a channel
    channel_settings() -> dict                    the channel's non-secret settings
    text_ok: str                                  a text that fits
    text_too_long: str                            one that does not
    route_verify(respx_mock) -> None              the documented "who am I" success
    route_publish(respx_mock) -> None             text + one image: documented successes
    route_publish_error(respx_mock, kind) -> None kind: "auth" | "rate_limit" | "server" |
                                                  "bad_content", each the documented answer
    route_refresh(respx_mock) -> None             OAuth networks; None for the others
    route_lookup(respx_mock, found: bool) -> None recent posts with / without the post

and optionally:

    oauth_base: str                               the oauth_base (default: base_url)
    hosts: tuple[str, ...]                        every other host the provider calls (upload
                                                  hosts, CDNs); each must be listed, see below
    media(tmp_path) -> tuple[MediaItem, ...]      what "text + image" means for this network
                                                  (a video for YouTube); default one JPEG
    publish_options() -> dict                     PublishRequest.options (title, board, ...)
    route_refresh_refused(respx_mock) -> None     the token endpoint refusing the refresh token
    idempotency_key: str                          a fixed key for the lookup/publish request
                                                  (default: a new one from the provider)
    provider_class                                for test-only networks not in the registry

The publish and lookup requests carry text_ok, media(), scheduled_at = now (UTC) and the
idempotency key, so route_lookup(found=True) can answer a recent post with that text.

Hosts: the provider is built with allow_private = the hosts of base_url, oauth_base and `hosts`.
keryx.networks.netguard trusts a host listed by name without resolving it, so official hosts
("api.x.com") work with respx and nothing leaves the machine; respx is started with
assert_all_mocked, so a request to any route the kit did not declare fails the test.

Mastodon and Bluesky have no kits: real servers run here (mastodon-mock, a Bluesky PDS) and
their own tests (tests/test_mastodon_*.py, tests/test_bluesky_*.py) drive them end to end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from keryx.networks.base import MediaItem, ProviderContext, PublishRequest
from keryx.networks.registry import get_provider_class
from tests.support.images import image_item

# Networks tested against real servers instead of the respx suite.
REAL_SERVER_NETWORKS = frozenset({"mastodon", "bluesky"})
ERROR_KINDS = ("auth", "rate_limit", "server", "bad_content")
CLIENT_ID = "contract-client-id"
CLIENT_SECRET = "contract-client-secret"


def provider_class(kit: Any) -> Any:
    return getattr(kit, "provider_class", None) or get_provider_class(kit.network)


def kit_hosts(kit: Any) -> tuple[str, ...]:
    urls = [kit.base_url, getattr(kit, "oauth_base", "") or kit.base_url]
    hosts = {httpx.URL(u).host for u in urls if u}
    hosts.update(getattr(kit, "hosts", ()))
    return tuple(sorted(hosts))


def build_provider(kit: Any, credentials: dict[str, Any] | None = None) -> Any:
    """The kit's provider with its credentials and settings; refreshed credentials a provider
    saves land in `provider.saved_credentials` for the test to read."""
    saved: dict[str, Any] = {}
    context = ProviderContext(
        credentials=dict(kit.credentials() if credentials is None else credentials),
        settings=dict(kit.channel_settings()),
        save_credentials=saved.update,
        timeout=5.0,
        allow_private=kit_hosts(kit),
        api_base=kit.base_url,
        oauth_base=getattr(kit, "oauth_base", "") or kit.base_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    provider = provider_class(kit)(context)
    provider.saved_credentials = saved
    return provider


def jpeg(tmp_path: Path, name: str = "photo.jpg") -> MediaItem:
    """A real 1080x1080 JPEG: within every network's image rules."""
    return image_item(tmp_path / name, 1080, 1080, (200, 120, 40), alt_text="An orange square",
                      kind="JPEG", quality=80)


def media(kit: Any, tmp_path: Path) -> tuple[MediaItem, ...]:
    custom = getattr(kit, "media", None)
    return tuple(custom(tmp_path)) if callable(custom) else (jpeg(tmp_path),)


def publish_request(kit: Any, tmp_path: Path, text: str | None = None) -> PublishRequest:
    from datetime import UTC, datetime

    options = getattr(kit, "publish_options", None)
    cls = provider_class(kit)
    return PublishRequest(
        text=kit.text_ok if text is None else text,
        media=media(kit, tmp_path),
        idempotency_key=getattr(kit, "idempotency_key", "") or cls.new_idempotency_key(),
        scheduled_at=datetime.now(UTC),
        options=dict(options()) if callable(options) else {},
    )


def is_oauth(kit: Any) -> bool:
    return getattr(provider_class(kit), "oauth", None) is not None
