"""Where a search's results come from: each network's provider (Capabilities.listening and its
listen method, through the workspace's connected channels) and RSS/Atom feeds (through the
private-address guard, parsed by the feeds app's parser)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from keryx.channels.models import Channel, ChannelStatus
from keryx.core.outbound import FetchFailed, fetch_url
from keryx.feeds import services as feeds
from keryx.networks.listening import Found, ListeningSpec, ListenPage, ListenRequest
from keryx.networks.registry import get_provider_class

FEED = "rss"
MAX_FEED_BYTES = 5 * 1024 * 1024
FEED_TIMEOUT = 15.0
MAX_FEED_ITEMS = 200
MAX_PUBLIC_BYTES = 2 * 1024 * 1024
FEED_SPEC = ListeningSpec(sources=("RSS 2.0 / Atom feeds",), needs_channel=False,
                          requests_per_run=1, notes="One request per feed and run.")


def spec_for(network: str) -> ListeningSpec | None:
    """The network's listening declaration, None when it cannot listen."""
    if network == FEED:
        return FEED_SPEC
    try:
        cls = get_provider_class(network)
    except Exception:
        return None
    return getattr(getattr(cls, "capabilities", None), "listening", None)


def serves_public(network: str) -> bool:
    """The network's provider can search servers the user names without an account there."""
    spec = spec_for(network)
    return bool(spec and spec.public_servers)


def server_base(network: str) -> Any:
    """The provider's normaliser of a named server (text -> base URL, ValueError if not)."""
    return get_provider_class(network).server_base


def _fetch_public(url: str) -> bytes:
    """A named server's public page of JSON, through the private-address guard."""
    return fetch_url(url, max_bytes=MAX_PUBLIC_BYTES, timeout=FEED_TIMEOUT,
                     headers={"Accept": "application/json"}).content


def listening_networks() -> list[str]:
    from keryx.networks.registry import names as network_names

    names = [n for n in network_names() if spec_for(n)]
    return sorted(names) + [FEED]


@dataclass
class Source:
    network: str
    key: str  # "" for a network without a channel, "channel:<pk>", or the feed URL
    run: Any  # (ListenRequest) -> ListenPage


def sources_for(search: Any) -> tuple[list[Source], dict[tuple[str, str], str]]:
    """The search's sources, and the ones that cannot run {(network, key): why}."""
    out: list[Source] = []
    problems: dict[tuple[str, str], str] = {}
    for network in search.networks:
        if network == FEED:
            for url in search.feeds:
                out.append(Source(FEED, url, lambda request, url=url: fetch_feed(url)))
            if not search.feeds:
                problems[(FEED, "")] = _("No feed address given for RSS.")
            continue
        spec = spec_for(network)
        if spec is None:
            problems[(network, "")] = _("Listening is not available for %(network)s.") % {
                "network": network}
            continue
        channels = list(Channel.objects.filter(workspace_id=search.workspace_id, network=network,
                                               status=ChannelStatus.ACTIVE).order_by("pk"))
        servers = _named_servers(search, network, channels)
        for base in servers:
            listen = get_provider_class(network).listen_public
            out.append(Source(network, f"server:{base}",
                              lambda request, base=base, listen=listen: listen(
                                  base, request, _fetch_public)))
        if not channels and not servers:
            problems[(network, "")] = _(
                "No connected %(network)s channel in this workspace: connect one to search "
                "through it.") % {"network": network}
        for channel in channels:
            def run(request: ListenRequest, channel: Channel = channel) -> ListenPage:
                from keryx.channels.providers import provider_for

                return provider_for(channel).listen(request)
            out.append(Source(network, f"channel:{channel.pk}", run))
    return out, problems


def _named_servers(search: Any, network: str, channels: list[Channel]) -> list[str]:
    """The search's named servers this network searches without an account: those where the
    workspace has no connected channel (a channel there searches more, with its token)."""
    if not serves_public(network) or not getattr(search, "servers", None):
        return []
    own = {str((channel.settings or {}).get("instance", "")).rstrip("/") for channel in channels}
    return [base for base in search.servers if base not in own]


def fetch_feed(url: str) -> ListenPage:
    """A feed's entries as results (plain text). FetchFailed / feeds.FeedError say why not."""
    fetched = fetch_url(url, max_bytes=MAX_FEED_BYTES, timeout=FEED_TIMEOUT)
    parsed = feeds.parse(fetched.content, fetched.content_type)
    items = []
    for entry in parsed.entries[:MAX_FEED_ITEMS]:
        link = (entry.get("link") or "")[:1000]
        key = entry.get("id") or link or entry.get("title") or ""
        if not key:
            continue
        title = feeds._text(entry.get("title", ""))
        summary = feeds._text(entry.get("summary", ""))
        text = title if not summary or summary == title else f"{title}\n{summary}"
        author = feeds._text(entry.get("author", ""))
        items.append(Found(
            remote_id=hashlib.sha256(f"{url}\n{key}".encode()).hexdigest()[:40],
            url=link if link.startswith(("http://", "https://")) else "",
            text=text[:5000], author_handle=author[:255], author_name=author[:255],
            language=(entry.get("language") or parsed.feed.get("language") or "")[:2].lower(),
            published_at=feeds._when(entry),
            hashtags=tuple(t.get("term", "") for t in entry.get("tags") or []
                           if " " not in t.get("term", "")),
        ))
    return ListenPage(items=items)


FeedErrors = (FetchFailed, feeds.FeedError)
