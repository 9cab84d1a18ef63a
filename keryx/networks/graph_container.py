"""GraphContainerProvider: Meta's container publishing, shared by Instagram and Threads.

Both publish in three steps: create a media container (POST /{user}/<container edge>, one per
carousel item first, each waited for), wait until the container is FINISHED, then publish it
(POST /{user}/<publish edge> with creation_id). Both download media from a public URL, read a
24-hour publishing quota, answer errors in the Graph shape (networks/meta.py) and trade a
short-lived token for a long-lived one that also buys the next. A subclass declares its edges,
field names and grant types, and says how one media item becomes container fields.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import httpx

from keryx.networks import meta
from keryx.networks.base import (
    BadContent,
    MediaItem,
    OutcomeUnknown,
    ProviderContext,
    ProviderError,
    PublishRequest,
    TokenSet,
    Transient,
)
from keryx.networks.common import BaseProvider

Sleep = Callable[[float], None]


def media_url(request: PublishRequest, index: int, item: MediaItem) -> str:
    """The public URL a Meta network downloads this item from."""
    url = getattr(item, "url", "") or ""
    urls = request.options.get("media_urls") or []
    if not url and index < len(urls):
        url = str(urls[index] or "")
    if not url.startswith(("https://", "http://")):
        raise BadContent(
            f"{Path(item.path).name} has no public URL: Meta's servers download media "
            "themselves, so it must be reachable from the internet (set KERYX_BASE_URL to "
            "Keryx's public address)."
        )
    return url


def insight_value(data: list[Any], name: str) -> int | None:
    """One metric from an /insights answer (a total_value or the first of its values)."""
    for entry in data:
        if not isinstance(entry, dict) or entry.get("name") != name:
            continue
        total = entry.get("total_value")
        if isinstance(total, dict) and isinstance(total.get("value"), int):
            return total["value"]
        values = entry.get("values") or []
        if values and isinstance(values[0], dict) and isinstance(values[0].get("value"), int):
            return values[0]["value"]
    return None


class GraphContainerProvider(BaseProvider):
    api_version: ClassVar[str]
    container_edge: ClassVar[str]  # POST /{user}/<edge> creates a container
    publish_edge: ClassVar[str]  # POST /{user}/<edge> publishes one
    quota_edge: ClassVar[str]  # GET /{user}/<edge>: the 24-hour publishing quota
    text_field: ClassVar[str]  # where the post's text goes ("text", "caption")
    # The container's state and the network's reason for it.
    status_field: ClassVar[str]
    reason_field: ClassVar[str]
    reason_on_timeout: ClassVar[bool] = False
    # Meta suggests about 30 s between creating a container and publishing it; video takes
    # longer. A wait beyond this is Transient (nothing was published yet).
    container_timeout: ClassVar[float] = 300.0
    exchange_grant: ClassVar[str]  # short-lived -> long-lived token
    refresh_grant: ClassVar[str]  # long-lived -> a new long-lived token
    daily_post_cap: ClassVar[int | None] = None

    def __init__(self, context: ProviderContext, sleep: Sleep = time.sleep) -> None:
        super().__init__(context)
        self._sleep = sleep

    # -- plumbing --------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              data: dict[str, Any] | None = None,
              safe_to_repeat: bool | None = None) -> dict[str, Any]:
        if safe_to_repeat is None:
            safe_to_repeat = method.upper() == "GET"
        query = {**(params or {}), "access_token": self.access_token()}
        response = self.http.request(method, f"{self.api}/{self.api_version}{path}",
                                     params=query, data=data, safe_to_repeat=safe_to_repeat,
                                     check_status=False)
        meta.raise_for_graph(response, sent_unsafe=not safe_to_repeat)
        return self._body(response)

    def _body(self, response: httpx.Response) -> dict[str, Any]:
        return meta.json_body(response, self.display_name)

    def _user(self) -> str:
        return str(self.settings.get("user_id") or "me")

    def publishing_quota(self) -> tuple[int, int]:
        """(posts used, posts allowed) in the moving 24-hour window."""
        body = self._call("GET", f"/{self._user()}/{self.quota_edge}",
                          params={"fields": "quota_usage,config"})
        entry = (body.get("data") or [{}])[0]
        total = (entry.get("config") or {}).get("quota_total") or self.daily_post_cap
        return int(entry.get("quota_usage") or 0), int(total or 0)

    # -- containers ------------------------------------------------------------------------

    def _container(self, fields: dict[str, Any]) -> str:
        # Creating a container publishes nothing: an unused one expires by itself.
        body = self._call("POST", f"/{self._user()}/{self.container_edge}", data=fields,
                          safe_to_repeat=True)
        if not body.get("id"):
            raise Transient(f"{self.display_name} did not return a container id.")
        return str(body["id"])

    def _wait(self, container_id: str) -> None:
        """Poll the container until FINISHED; ERROR/EXPIRED and a bounded wait raise."""
        meta.wait_for_container(
            lambda: self._call("GET", f"/{container_id}",
                               params={"fields": f"{self.status_field},{self.reason_field}"}),
            network=self.display_name, status_field=self.status_field,
            reason_field=self.reason_field, timeout=self.container_timeout, sleep=self._sleep,
            reason_on_timeout=self.reason_on_timeout)

    def _item_fields(self, request: PublishRequest, index: int, item: MediaItem,
                     carousel: bool) -> dict[str, Any]:
        """The container fields of one media item (a carousel item when `carousel`)."""
        raise NotImplementedError

    def _text_only(self, request: PublishRequest) -> str:
        """The container of a post without media (refused where the network needs media)."""
        raise BadContent(f"A {self.display_name} post needs at least one image or video.")

    def _build(self, request: PublishRequest) -> str:
        """The container to publish for this request (carousel items made and waited for)."""
        media = request.media
        if not media:
            return self._text_only(request)
        if len(media) == 1:
            fields = self._item_fields(request, 0, media[0], carousel=False)
        else:
            children = []
            for index, item in enumerate(media):
                child = self._container(self._item_fields(request, index, item, carousel=True))
                self._wait(child)
                children.append(child)
            fields = {"media_type": "CAROUSEL", "children": ",".join(children)}
        if request.text:
            fields[self.text_field] = request.text
        return self._container(fields)

    def _publish_container(self, container_id: str) -> str:
        """Wait for the container, publish it, and return the new post's id."""
        self._wait(container_id)
        body = self._call("POST", f"/{self._user()}/{self.publish_edge}",
                          data={"creation_id": container_id})
        if not body.get("id"):
            raise OutcomeUnknown(
                f"{self.display_name} answered without the id of the new post.")
        return str(body["id"])

    def _permalink(self, media_id: str) -> str:
        try:
            body = self._call("GET", f"/{media_id}", params={"fields": "permalink"})
        except ProviderError:
            return ""  # the post is out; a missing link must not fail it
        return str(body.get("permalink") or "")

    # -- OAuth -----------------------------------------------------------------------------

    def _token_url(self) -> str:
        raise NotImplementedError

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str = "") -> TokenSet:
        """The code buys a short-lived token (1 h), traded at once for a long-lived one."""
        return meta.exchange_long_lived(
            self.http, token_url=self._token_url(), api=self.api,
            client_id=self.context.client_id, client_secret=self.context.client_secret,
            code=code, redirect_uri=redirect_uri, grant_type=self.exchange_grant,
            network=self.display_name)

    def refresh(self) -> TokenSet:
        """A long-lived token at least a day old and not yet expired buys a new 60-day one."""
        current = str(self.credentials.get("refresh_token") or self.access_token())
        return meta.refresh_long_lived(self.http, api=self.api, token=current,
                                       grant_type=self.refresh_grant,
                                       network=self.display_name)


__all__ = ["GraphContainerProvider", "insight_value", "media_url"]
