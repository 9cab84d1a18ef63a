"""BaseProvider: the set-up every provider shares, so a network module holds only what is its own.

A provider is built from a ProviderContext (networks/base.py): the channel's decrypted
credentials and plain settings, its HTTP seam (with the channel's private-address allowance),
and the endpoints, where a configured base (KERYX_<NETWORK>_API_BASE / _OAUTH_BASE) wins over
the provider's default. The media check every validate() runs is driven by the declared
MediaRules (networks/mediacheck.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

from keryx.networks.base import (
    AuthExpired,
    Capabilities,
    ConnectField,
    MediaItem,
    MediaRules,
    OAuth2Spec,
    Problem,
    ProviderContext,
)
from keryx.networks.http import HttpSeam
from keryx.networks.mediacheck import media_problems


class BaseProvider:
    network: ClassVar[str]
    display_name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    default_api_base: ClassVar[str] = ""
    default_oauth_base: ClassVar[str] = ""
    oauth: ClassVar[OAuth2Spec | None] = None
    connect_fields: ClassVar[tuple[ConnectField, ...]] = ()

    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.credentials: dict[str, Any] = context.credentials
        self.settings: dict[str, Any] = context.settings
        self.http = HttpSeam(timeout=context.timeout, allow_private=context.allow_private)
        self.api = (context.api_base or self.default_api_base).rstrip("/")
        self.oauth_base = (context.oauth_base or self.default_oauth_base).rstrip("/")

    @classmethod
    def new_idempotency_key(cls) -> str:
        return uuid.uuid4().hex

    def access_token(self) -> str:
        """The stored access token; AuthExpired (the user reconnects) when there is none."""
        token = self.credentials.get("access_token")
        if not token:
            raise AuthExpired(
                f"No access token stored for this {self.display_name} channel; reconnect it.")
        return str(token)

    def bearer_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token()}", "Accept": "application/json"}

    def media_rules(self) -> MediaRules:
        """The rules this channel's media is checked against: the declared ones, unless the
        channel learned its own at connect time (a Mastodon server's limits)."""
        return self.capabilities.media

    def media_problems(self, media: Sequence[MediaItem]) -> list[Problem]:
        return media_problems(self.display_name, self.media_rules(), media)


__all__ = ["BaseProvider"]
