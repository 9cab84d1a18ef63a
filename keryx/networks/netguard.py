"""Refuse outbound requests to private, loopback and link-local addresses (SSRF guard).

Users give us URLs (a Mastodon instance, a PDS, a feed). Without this guard a user could make
the server fetch http://127.0.0.1:5432 or a cloud metadata address. Hosts or networks listed in
KERYX_ALLOWED_PRIVATE_HOSTS (a LAN instance, loopback servers in tests) are let through.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit


class BlockedAddress(ValueError):
    """The URL points at an address Keryx refuses to contact."""


def _allowed(host: str, addresses: Iterable[str], allow: Iterable[str]) -> bool:
    """True if the host is listed by name, or each of its addresses is in a listed network."""
    allow = list(allow)
    if host in allow:
        return True
    networks = []
    for entry in allow:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    addresses = list(addresses)
    return bool(networks) and bool(addresses) and all(
        any(ipaddress.ip_address(a.split("%")[0]) in net for net in networks) for a in addresses
    )


def check_url(url: str, allow: Iterable[str] = ()) -> None:
    """Raise BlockedAddress unless the URL is http(s) and every address it resolves to is public."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise BlockedAddress(
            f"Only http and https URLs are allowed, not {parts.scheme or 'none'!r}."
        )
    host = parts.hostname
    if not host:
        raise BlockedAddress("The URL has no host name.")
    allow = list(allow)
    if host in allow:
        # Listed by name: trusted without resolving (lets tests route official hosts to respx).
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
    except socket.gaierror as exc:
        raise BlockedAddress(f"The host {host} cannot be resolved.") from exc
    addresses = sorted({info[4][0] for info in infos})
    if _allowed(host, addresses, allow):
        return
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise BlockedAddress(
                f"{host} resolves to a private or local address ({address}); "
                "add it to KERYX_ALLOWED_PRIVATE_HOSTS if it is yours."
            )
