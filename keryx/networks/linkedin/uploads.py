"""Uploading a post's media to LinkedIn: images and documents in one PUT, videos in parts that
LinkedIn then processes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from keryx.networks.base import BadContent, MediaItem, ProviderError, PublishRequest, Transient
from keryx.networks.linkedin.api import LinkedInApi
from keryx.networks.mediacheck import kind_of

VIDEO_PROCESSING_TIMEOUT = 300.0
UPLOAD_ATTEMPTS = 3
# Waits between upload retries and processing polls (tests replace it).
_sleep = time.sleep


class LinkedInUploads(LinkedInApi):
    """The media of one post, uploaded before the post is created."""

    def _content(self, request: PublishRequest, author: str) -> dict[str, Any] | None:
        media = request.media
        if not media:
            return None
        kind = kind_of(self.capabilities.media, media[0].mime_type)
        if kind == "document":
            urn = self._upload_simple("documents", "document", media[0], author)
            title = str(request.options.get("document_title") or Path(media[0].path).stem)
            return {"media": {"title": title, "id": urn}}
        if kind == "video":
            urn = self._upload_video(media[0], author)
            entry: dict[str, Any] = {"id": urn}
            if request.options.get("title"):
                entry["title"] = str(request.options["title"])
            return {"media": entry}
        images = []
        for item in media:
            image: dict[str, Any] = {"id": self._upload_simple("images", "image", item, author)}
            if item.alt_text:
                image["altText"] = item.alt_text
            images.append(image)
        if len(images) == 1:
            return {"media": images[0]}
        return {"multiImage": {"images": images}}

    def _upload_simple(self, collection: str, key: str, item: MediaItem, author: str) -> str:
        """Images and documents: initializeUpload, then one PUT of the bytes."""
        # Initialising only reserves an asset: repeating it leaves an unused one, no post.
        response = self._call(
            "POST", f"/rest/{collection}?action=initializeUpload", safe_to_repeat=True,
            json={"initializeUploadRequest": {"owner": author}})
        value = self._json(response).get("value") or {}
        upload_url, urn = value.get("uploadUrl"), value.get(key)
        if not upload_url or not urn:
            raise Transient(f"LinkedIn did not hand out an upload address for {key}s.")
        self._put(upload_url, Path(item.path).read_bytes(), item.mime_type)
        return str(urn)

    def _put(self, url: str, data: bytes, content_type: str) -> httpx.Response:
        """PUT bytes to an upload URL; the same bytes to the same URL may be sent again."""
        last: ProviderError | None = None
        for attempt in range(UPLOAD_ATTEMPTS):
            try:
                return self._call("PUT", url, content=data, safe_to_repeat=True,
                                  headers={"Content-Type": content_type})
            except Transient as exc:
                last = exc
                if attempt + 1 < UPLOAD_ATTEMPTS:
                    _sleep(min(2.0**attempt * 0.5, 4.0))
        assert last is not None
        raise last

    def _upload_video(self, item: MediaItem, author: str) -> str:
        """Videos: initializeUpload (parts), PUT each part, finalizeUpload with the ETags,
        then wait until LinkedIn has processed it."""
        response = self._call(
            "POST", "/rest/videos?action=initializeUpload", safe_to_repeat=True,
            json={"initializeUploadRequest": {"owner": author, "fileSizeBytes": item.size,
                                              "uploadCaptions": False,
                                              "uploadThumbnail": False}})
        value = self._json(response).get("value") or {}
        urn = str(value.get("video") or "")
        instructions = value.get("uploadInstructions") or []
        if not urn or not instructions:
            raise Transient("LinkedIn did not hand out upload addresses for the video.")
        etags: list[str] = []
        with Path(item.path).open("rb") as handle:
            for part in instructions:
                first, last = int(part["firstByte"]), int(part["lastByte"])
                handle.seek(first)
                reply = self._put(part["uploadUrl"], handle.read(last - first + 1),
                                  "application/octet-stream")
                etag = reply.headers.get("etag")
                if not etag:
                    raise Transient("LinkedIn did not confirm a video part (no ETag).")
                etags.append(etag)
        self._call("POST", "/rest/videos?action=finalizeUpload", safe_to_repeat=True,
                   json={"finalizeUploadRequest": {"video": urn,
                                                   "uploadToken": value.get("uploadToken", ""),
                                                   "uploadedPartIds": etags}})
        self._wait_for_video(urn)
        return urn

    def _wait_for_video(self, urn: str) -> None:
        deadline = time.monotonic() + VIDEO_PROCESSING_TIMEOUT
        delay = 1.0
        while True:
            video = self._json(self._call("GET", f"/rest/videos/{quote(urn, safe='')}"))
            status = video.get("status")
            if status == "AVAILABLE":
                return
            if status == "PROCESSING_FAILED":
                reason = video.get("processingFailureReason") or "no reason given"
                raise BadContent(f"LinkedIn could not process the video: {reason}.")
            if time.monotonic() > deadline:
                raise Transient("LinkedIn is still processing the video; Keryx will try again.")
            _sleep(delay)
            delay = min(delay * 2, 10.0)
