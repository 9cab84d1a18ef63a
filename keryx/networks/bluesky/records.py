"""Post records on the PDS: created under their own record key (or found made by an earlier
attempt), the replies of a thread chained to it, and the embeds (image blobs, link cards)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from keryx.networks.base import PublishResult
from keryx.networks.bluesky.facets import facets
from keryx.networks.bluesky.keys import follow_up_key
from keryx.networks.bluesky.lexicon import APP_URL, POST_COLLECTION, now, parse_time, split_uri
from keryx.networks.bluesky.session import XrpcSession, xrpc_error
from keryx.networks.http import raise_for_status


class BlueskyRecords(XrpcSession):
    """Reading and writing this account's post records."""

    def _put(self, rkey: str, record: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create the record under its own key, or find it made by an earlier attempt.
        Returns ({"uri", "cid", "createdAt"}, whether it already existed)."""
        response = self._call(
            "POST",
            "com.atproto.repo.createRecord",
            json={
                "repo": self.did,
                "collection": POST_COLLECTION,
                "rkey": rkey,
                "record": record,
                "validate": True,
            },
            # A timeout still says OutcomeUnknown: the engine reconciles with lookup() first.
            safe_to_repeat=False,
            check_status=False,
        )
        if response.status_code == 400 or response.status_code >= 500:
            # The PDS answers a record key that is already taken with a 500 (a unique constraint
            # in its database), so any failure may mean "an earlier attempt got through".
            existing = self._get(rkey)
            if existing is not None:
                return existing, True
            # The record certainly does not exist, and the record key makes a retry safe.
            raise_for_status(response, sent_unsafe=False)
        raise_for_status(response, sent_unsafe=True)
        body = response.json()
        return {"uri": body["uri"], "cid": body.get("cid", ""),
                "createdAt": record["createdAt"]}, False

    def _get(self, rkey: str) -> dict[str, Any] | None:
        """Our post with this record key ({"uri", "cid", "createdAt", "text"}), or None."""
        response = self.http.request(
            "GET",
            self._url("com.atproto.repo.getRecord"),
            params={"repo": self.did, "collection": POST_COLLECTION, "rkey": rkey},
            check_status=False,
        )
        if response.status_code == 400 and xrpc_error(response) == "RecordNotFound":
            return None
        raise_for_status(response, sent_unsafe=False)
        body = response.json()
        value = body.get("value") or {}
        return {"uri": body["uri"], "cid": body.get("cid", ""),
                "createdAt": value.get("createdAt"), "text": value.get("text", "")}

    def _chain(self, root_key: str, root: dict[str, Any], texts: list[str], *,
               langs: list[str] | None, look_first: bool) -> tuple[list[str], str]:
        """Post `texts` as replies, each to the one before. With `look_first` (the root was
        already there: a retry) each part is first looked up under its key, until one is
        missing; parts are made in order, so every later one is missing too."""
        root_ref = {"uri": root["uri"], "cid": root["cid"]}
        parent = root_ref
        posted: list[str] = []
        for index, text in enumerate(texts, start=1):
            key = follow_up_key(root_key, index)
            try:
                found = self._get(key) if look_first else None
                if found is None:
                    look_first = False
                    record: dict[str, Any] = {
                        "$type": POST_COLLECTION, "text": text, "createdAt": now(),
                        "reply": {"root": root_ref, "parent": parent},
                    }
                    facets = self._facets(text)
                    if facets:
                        record["facets"] = facets
                    if langs:
                        record["langs"] = list(langs)
                    found, _ = self._put(key, record)
            except Exception as exc:  # noqa: BLE001 - reported on the result, see publish()
                return posted, getattr(exc, "message", None) or str(exc)
            parent = {"uri": found["uri"], "cid": found["cid"]}
            posted.append(found["uri"])
        return posted, ""

    def _result(self, uri: str, cid: str, created_at: str | None) -> PublishResult:
        _, _, rkey = split_uri(uri)
        handle = self.credentials.get("handle") or self.credentials.get("did")
        return PublishResult(
            remote_id=uri,
            url=f"{APP_URL}/profile/{handle}/post/{rkey}",
            published_at=parse_time(created_at),
            raw={"uri": uri, "cid": cid},
        )

    def _image(self, item: Any) -> dict[str, Any]:
        data = Path(item.path).read_bytes()
        response = self._call(
            "POST",
            "com.atproto.repo.uploadBlob",
            content=data,
            headers={"Content-Type": item.mime_type},
            # Blobs are content-addressed: uploading the same bytes twice stores one blob.
            safe_to_repeat=True,
        )
        image: dict[str, Any] = {"image": response.json()["blob"], "alt": item.alt_text or ""}
        if item.width and item.height:
            image["aspectRatio"] = {"width": int(item.width), "height": int(item.height)}
        return image

    def _external(self, card: dict[str, Any]) -> dict[str, Any]:
        """app.bsky.embed.external from {"uri", "title", "description", "thumb_path",
        "thumb_mime"}; the thumbnail (at most 1,000,000 bytes, per the lexicon) is uploaded as a
        blob, and left out if it is missing or too large rather than failing the post."""
        external: dict[str, Any] = {
            "uri": str(card["uri"]),
            "title": str(card.get("title") or ""),
            "description": str(card.get("description") or ""),
        }
        path = card.get("thumb_path")
        if path and os.path.exists(path) and os.path.getsize(path) <= 1_000_000:
            response = self._call(
                "POST",
                "com.atproto.repo.uploadBlob",
                content=Path(path).read_bytes(),
                headers={"Content-Type": str(card.get("thumb_mime") or "image/jpeg")},
                safe_to_repeat=True,
            )
            external["thumb"] = response.json()["blob"]
        return {"$type": "app.bsky.embed.external", "external": external}

    def _facets(self, text: str) -> list[dict[str, Any]]:
        return facets(text, self.resolve_handle)
