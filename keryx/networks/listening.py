"""What a provider's listening source takes and gives (network-neutral). A provider that can
listen declares Capabilities.listening (a ListeningSpec) and implements
listen(ListenRequest) -> ListenPage; the network's own search syntax lives in the provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from keryx.networks.base import ProviderError, RateBudget


@dataclass(frozen=True)
class ListeningSpec:
    sources: tuple[str, ...]  # e.g. ("hashtag timelines", "/api/v2/search")
    needs_channel: bool = True  # runs through the workspace's connected channel(s)
    max_query: int | None = None  # the longest query the network takes
    requests_per_run: int = 1  # at most, per search and run (for the budget)
    rate: RateBudget | None = None
    notes: str = ""
    # Servers the user names can be searched without an account there: the provider class
    # then has server_base(text) -> base URL (ValueError if not a server) and
    # listen_public(base, ListenRequest, get) -> ListenPage, `get` fetching through the
    # caller's private-address guard.
    public_servers: bool = False


@dataclass
class ListenRequest:
    query: Any  # keryx.listening.query.Query (with the search's hashtags/mentions OR-ed in)
    languages: tuple[str, ...] = ()
    domain: str = ""
    since: datetime | None = None
    since_id: str = ""
    cursor: str = ""
    limit: int = 40


@dataclass
class Found:
    remote_id: str
    url: str
    text: str  # plain text
    author_handle: str = ""
    author_name: str = ""
    author_followers: int | None = None
    language: str = ""
    published_at: datetime | None = None
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    public: bool = True


@dataclass
class ListenPage:
    items: list[Found] = field(default_factory=list)
    cursor: str = ""
    since_id: str = ""
    requests: int = 1


class QueryRefused(ProviderError):
    """The network refuses the query (too long, bad syntax); `part` names the part."""

    def __init__(self, message: str, part: str = "") -> None:
        super().__init__(message)
        self.part = part


class SearchUnavailable(ProviderError):
    """The network's search is disabled or needs access this connection lacks (kept on the
    search's source; the other sources keep running)."""
