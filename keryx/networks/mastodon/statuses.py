"""Statuses on a Mastodon server: media uploads, the post and its replies under fixed
Idempotency-Keys, reading back recent statuses to reconcile an unknown outcome, deleting."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from keryx.networks.base import Disconnected, PublishRequest, PublishResult, Transient
from keryx.networks.common import BaseProvider
from keryx.networks.mastodon.content import comparable, follow_ups, html_to_text
from keryx.networks.mastodon.server import json_body
from keryx.networks.times import parse_iso_time

# A status posted for a request cannot be older than its scheduled time, but clocks differ.
LOOKUP_MARGIN = timedelta(minutes=5)
LOOKUP_PAGES = 5
MEDIA_PROCESSING_TIMEOUT = 120.0
# Mastodon keeps an Idempotency-Key "for up to 1 hour" (API docs); a margin for clock skew.
IDEMPOTENCY_WINDOW = timedelta(minutes=50)


class MastodonStatuses(BaseProvider):
    """Reading and writing this account's statuses on its server (settings["instance"])."""

    @property
    def instance(self) -> str:
        instance = self.settings.get("instance")
        if not instance:
            raise Disconnected("This Mastodon channel has no server address; connect it again.")
        return str(instance).rstrip("/")

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.bearer_headers(), **kwargs.pop("headers", {})}
        response = self.http.request(method, self.instance + path, headers=headers, **kwargs)
        return response

    def _upload(self, item: Any) -> str:
        path = Path(item.path)
        with path.open("rb") as handle:
            # An upload is not a post: repeating it after a timeout leaves at most an unused
            # attachment, which Mastodon deletes by itself. So it is safe to repeat.
            response = self._call(
                "POST",
                "/api/v2/media",
                files={"file": (path.name, handle, item.mime_type)},
                data={"description": item.alt_text} if item.alt_text else {},
                safe_to_repeat=True,
            )
        media = json_body(response)
        media_id = str(media["id"])
        deadline = time.monotonic() + MEDIA_PROCESSING_TIMEOUT
        delay = 0.5
        # 202: accepted, still processing (video, large images); usable once `url` is set.
        while response.status_code == 202 or not media.get("url"):
            if time.monotonic() > deadline:
                raise Transient(f"The server is still processing {path.name}; try again later.")
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
            response = self._call("GET", f"/api/v1/media/{media_id}")
            media = json_body(response)
            if response.status_code == 200 and media.get("url"):
                break
        return media_id

    def publish(self, request: PublishRequest) -> PublishResult:
        if not request.idempotency_key:
            raise ValueError("A Mastodon publish needs the target's idempotency key.")
        media_ids = [self._upload(item) for item in request.media]
        data: dict[str, Any] = {"status": request.text}
        if request.content_warning:
            data["spoiler_text"] = request.content_warning
        if media_ids:
            data["media_ids[]"] = media_ids
        if request.language:
            data["language"] = request.language
        for option in ("visibility", "language", "sensitive"):
            if option in request.options:
                value = request.options[option]
                data[option] = ("true" if value else "false") if isinstance(value, bool) else value
        response = self._call(
            "POST",
            "/api/v1/statuses",
            data=data,
            headers={"Idempotency-Key": request.idempotency_key},
        )
        status = json_body(response)
        result = self._result(status)
        texts = follow_ups(request)
        if not texts:
            return result
        # The root is out: whatever happens to the replies must not make the engine retry
        # the post as failed. They are reported on the result instead.
        replies, error = self._chain(request, status, texts)
        raw: dict[str, Any] = {**result.raw, "replies": replies}
        if error:
            raw["follow_up_error"] = error
        return PublishResult(remote_id=result.remote_id, url=result.url,
                             published_at=result.published_at, raw=raw)

    def _chain(self, request: PublishRequest, root: dict[str, Any],
               texts: list[str]) -> tuple[list[str], str]:
        """Post `texts` as replies, each to the one before. Reply n has the fixed key
        f"{key}-{n}", so a retry gets back the replies already made and adds only the rest."""
        data: dict[str, Any] = {
            # As the root: a public thread stays public, a followers-only one stays so.
            "visibility": root.get("visibility") or request.options.get("visibility") or "",
        }
        if request.content_warning:
            data["spoiler_text"] = request.content_warning
        if request.options.get("language") or request.language:
            data["language"] = request.options.get("language") or request.language
        data = {k: v for k, v in data.items() if v}
        parent = str(root["id"])
        posted: list[str] = []
        for index, text in enumerate(texts, start=1):
            try:
                response = self._call(
                    "POST",
                    "/api/v1/statuses",
                    data={**data, "status": text, "in_reply_to_id": parent},
                    headers={"Idempotency-Key": f"{request.idempotency_key}-{index}"},
                )
                parent = str(json_body(response)["id"])
            except Exception as exc:  # noqa: BLE001 - reported on the result, see publish()
                return posted, getattr(exc, "message", None) or str(exc)
            posted.append(parent)
        return posted, ""

    @staticmethod
    def _result(status: dict[str, Any]) -> PublishResult:
        return PublishResult(
            remote_id=str(status["id"]),
            url=status.get("url") or status.get("uri") or "",
            published_at=parse_iso_time(status.get("created_at")),
            raw={"id": str(status["id"]), "uri": status.get("uri", "")},
        )

    def _account_id(self) -> str:
        account_id = self.settings.get("account_id")
        if account_id:
            return str(account_id)
        account = json_body(self._call("GET", "/api/v1/accounts/verify_credentials"))
        return str(account["id"])

    def _matches(self, status: dict[str, Any], request: PublishRequest) -> bool:
        if comparable(html_to_text(status.get("content", ""))) != comparable(request.text):
            return False
        if comparable(status.get("spoiler_text") or "") != comparable(request.content_warning):
            return False
        return len(status.get("media_attachments") or []) == len(request.media)

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The status made for this request among the account's recent ones, else None.

        Reads back until statuses are older than scheduled_at minus a margin; if that bound
        is not reached within a few pages, it cannot be sure and raises Transient."""
        account_id = self._account_id()
        since = request.scheduled_at - LOOKUP_MARGIN if request.scheduled_at else None
        max_id: str | None = None
        for _ in range(LOOKUP_PAGES):
            params = {"limit": "40", "exclude_reblogs": "true"}
            if max_id:
                params["max_id"] = max_id
            page = json_body(
                self._call("GET", f"/api/v1/accounts/{account_id}/statuses", params=params)
            )
            if not isinstance(page, list):
                raise Transient("The server's list of statuses is not a list.")
            for status in page:
                created = parse_iso_time(status.get("created_at"))
                if since and created and created < since:
                    continue
                if self._matches(status, request):
                    return self._found(status, request)
            oldest = parse_iso_time(page[-1].get("created_at")) if page else None
            if len(page) < 40 or since is None or (oldest and oldest < since):
                # Every status in the window was seen (or, without a bound, the newest page).
                return None
            max_id = str(page[-1]["id"])
        raise Transient("Too many recent statuses to be sure whether the post went out.")

    def _found(self, root: dict[str, Any], request: PublishRequest) -> PublishResult | None:
        """The root found by lookup(), with its replies when the request is a thread.

        A reply still missing makes it None while the server still holds the Idempotency-Keys:
        publish() then gets the root and the replies already made back under their keys and
        posts only the rest. Past that window a second publish would post the root again, so
        the root is the result and the missing replies are reported on it."""
        result = self._result(root)
        texts = follow_ups(request)
        if not texts:
            return result
        context = json_body(self._call("GET", f"/api/v1/statuses/{root['id']}/context"))
        descendants = context.get("descendants") if isinstance(context, dict) else None
        if not isinstance(descendants, list):
            raise Transient("The server's thread of a status is not a list.")
        account_id = str((root.get("account") or {}).get("id") or "")
        replies: list[str] = []
        parent = str(root["id"])
        for text in texts:
            reply = next((s for s in descendants
                          if str(s.get("in_reply_to_id")) == parent
                          and str((s.get("account") or {}).get("id") or "") == account_id
                          and comparable(html_to_text(s.get("content", ""))) == comparable(text)),
                         None)
            if reply is None:
                break
            parent = str(reply["id"])
            replies.append(parent)
        raw: dict[str, Any] = {**result.raw, "replies": replies}
        if len(replies) < len(texts):
            created = parse_iso_time(root.get("created_at"))
            if created is None or datetime.now(UTC) - created < IDEMPOTENCY_WINDOW:
                return None
            raw["follow_up_error"] = (
                f"{len(texts) - len(replies)} of {len(texts)} replies were not posted, and it "
                "is too late to post them without risking a second copy of the post."
            )
        return PublishResult(remote_id=result.remote_id, url=result.url,
                             published_at=result.published_at, raw=raw)

    def delete(self, remote_id: str) -> None:
        try:
            self._call("DELETE", f"/api/v1/statuses/{remote_id}", safe_to_repeat=True)
        except Disconnected as exc:
            if exc.status == 404:
                return  # already gone: deleting is done
            raise
