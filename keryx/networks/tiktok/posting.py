"""Posting to TikTok: the creator's current options, a video (pulled from a URL or uploaded in
chunks) or a photo post (pulled from public URLs), and the wait for TikTok's verdict."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from keryx.networks.base import MediaItem, OutcomeUnknown, PublishRequest, PublishResult, Transient
from keryx.networks.tiktok.api import TikTokApi, raise_failed
from keryx.networks.tiktok.chunks import chunk_ranges, plan_chunks


class TikTokPosting(TikTokApi):
    """The steps of one post, below the provider interface."""

    # Status polling: bounded so a post that never finishes processing ends as OutcomeUnknown.
    poll_interval: float = 2.0
    poll_timeout: float = 300.0

    def _privacy_level(self, request: PublishRequest) -> str:
        # TikTok forbids preselecting a public level for the user; the private level is valid
        # for every app (unaudited ones may use nothing else), so it is the default.
        value = request.options.get("privacy_level") or self.settings.get("privacy_level")
        return str(value or "SELF_ONLY").upper()

    def _media_urls(self, request: PublishRequest) -> list[str] | None:
        urls = request.options.get("media_urls")
        if isinstance(urls, list | tuple) and len(urls) == len(request.media):
            return [str(u) for u in urls]
        prefix = self.settings.get("media_url_prefix")
        if prefix:
            return [f"{str(prefix).rstrip('/')}/{Path(m.path).name}" for m in request.media]
        # Keryx's own signed links (KERYX_BASE_URL must be a domain verified with TikTok).
        if request.media and all(m.url for m in request.media):
            return [m.url for m in request.media]
        return None

    def creator_info(self) -> dict[str, Any]:
        return self._api("/v2/post/publish/creator_info/query/", json={}, safe=True)

    def _init_video(self, video: MediaItem, post_info: dict[str, Any], url: Any) -> str:
        if url:
            source = {"source": "PULL_FROM_URL", "video_url": str(url)}
            data = self._api("/v2/post/publish/video/init/",
                             json={"post_info": post_info, "source_info": source})
            return str(data["publish_id"])
        chunk, count = plan_chunks(video.size)
        source = {"source": "FILE_UPLOAD", "video_size": video.size, "chunk_size": chunk,
                  "total_chunk_count": count}
        data = self._api("/v2/post/publish/video/init/",
                         json={"post_info": post_info, "source_info": source})
        publish_id, upload_url = str(data["publish_id"]), str(data.get("upload_url") or "")
        if not upload_url:
            raise Transient("TikTok did not return an upload URL.")
        with Path(video.path).open("rb") as handle:
            for first, last in chunk_ranges(video.size, chunk, count):
                handle.seek(first)
                body = handle.read(last - first + 1)
                # One chunk of a known byte range: sending it again overwrites the same range.
                self.http.request(
                    "PUT", upload_url, content=body, safe_to_repeat=True,
                    headers={
                        "Content-Type": video.mime_type,
                        "Content-Range": f"bytes {first}-{last}/{video.size}",
                    },
                )
        return publish_id

    def _init_photos(self, request: PublishRequest, level: str, disable_comment: bool) -> str:
        urls = self._media_urls(request) or []
        body = {
            "media_type": "PHOTO",
            "post_mode": "DIRECT_POST",
            "post_info": {
                "title": str(request.options.get("title") or ""),
                "description": request.text,
                "privacy_level": level,
                "disable_comment": disable_comment,
                "auto_add_music": bool(request.options.get("auto_add_music", True)),
            },
            "source_info": {
                "source": "PULL_FROM_URL",
                "photo_cover_index": int(request.options.get("photo_cover_index", 0)),
                "photo_images": urls,
            },
        }
        return str(self._api("/v2/post/publish/content/init/", json=body)["publish_id"])

    def fetch_status(self, publish_id: str) -> dict[str, Any]:
        return self._api("/v2/post/publish/status/fetch/", json={"publish_id": publish_id},
                         safe=True)

    def _await_publish(self, publish_id: str, kind: str) -> PublishResult:
        deadline = time.monotonic() + self.poll_timeout
        delay = self.poll_interval
        while True:
            data = self.fetch_status(publish_id)
            status = data.get("status")
            if status == "PUBLISH_COMPLETE":
                return self._result(publish_id, kind, data)
            if status == "FAILED":
                raise_failed(str(data.get("fail_reason") or "unknown"), data)
            if time.monotonic() + delay > deadline:
                raise OutcomeUnknown(
                    f"TikTok is still processing the post (status {status}, publish_id "
                    f"{publish_id}); it may yet appear on the account.",
                    raw={"publish_id": publish_id, **data},
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 15.0)

    def _result(self, publish_id: str, kind: str, data: dict[str, Any]) -> PublishResult:
        ids = data.get("publicaly_available_post_id") or data.get("publicly_available_post_id")
        username = self.settings.get("username") or ""
        profile = f"https://www.tiktok.com/@{username}" if username else "https://www.tiktok.com/"
        if ids:
            post_id = str(ids[0])
            return PublishResult(remote_id=post_id, url=f"{profile}/{kind}/{post_id}",
                                 published_at=datetime.now(UTC),
                                 raw={"publish_id": publish_id, "post_id": post_id})
        # Private (SELF_ONLY) posts get no public id; the publish id is all TikTok gives.
        return PublishResult(remote_id=publish_id, url=profile, published_at=datetime.now(UTC),
                             raw={"publish_id": publish_id})
