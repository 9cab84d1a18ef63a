"""Contract kit for YouTube: answers from the Data API v3 references (videos.insert resumable
upload, channels.list, playlistItems.list, Google OAuth) in tests/networks/fixtures/youtube/.
"What text + image means" is one video here: YouTube publishes nothing else."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from keryx.networks.base import MediaItem
from tests.support.jsonfiles import fixture_loader

API = "https://www.googleapis.com"
OAUTH = "https://oauth2.googleapis.com"
UPLOAD = f"{API}/upload/youtube/v3/videos"
SESSION = f"{UPLOAD}?uploadType=resumable&upload_id=ADPycdvKeryx0001&part=snippet,status"
TITLE = "Keryx contract video"


fixture = fixture_loader("youtube")


def small_video(tmp_path: Path, name: str = "clip.mp4", seconds: int = 1) -> MediaItem:
    """A real MP4 made by ffmpeg (so ffprobe-based validation passes); without ffmpeg, a file
    with an MP4 header, which container sniffing accepts."""
    path = tmp_path / name
    if shutil.which("ffmpeg"):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc=duration={seconds}:size=64x64:rate=5", "-pix_fmt", "yuv420p",
                        str(path)], check=True, timeout=60)
    else:
        path.write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(2000))
    return MediaItem(str(path), "video/mp4", path.stat().st_size)


class YouTubeKit:
    network = "youtube"
    base_url = API
    oauth_base = OAUTH
    text_ok = "Fresh bread at Keryx Café ☕\nRecipe: https://example.com/bread #baking"
    text_too_long = "ε" * 2501  # 5,002 UTF-8 bytes, 2,501 characters

    def credentials(self) -> dict[str, Any]:
        return {"access_token": "ya29.old", "refresh_token": "1//0gRefresh",
                "expires_at": datetime.now(UTC).isoformat()}

    def channel_settings(self) -> dict[str, Any]:
        return {"channel_id": "UCkeryx0cafe1234567890ab",
                "uploads_playlist": "UUkeryx0cafe1234567890ab"}

    def media(self, tmp_path: Path) -> tuple[MediaItem, ...]:
        return (small_video(tmp_path),)

    def publish_options(self) -> dict[str, Any]:
        return {"title": TITLE, "privacy": "public"}

    def route_verify(self, mock: Any) -> None:
        mock.get(f"{API}/youtube/v3/channels").respond(200, json=fixture("channels_mine"))

    def route_publish(self, mock: Any) -> None:
        mock.post(UPLOAD).respond(200, headers={"Location": SESSION})
        mock.put(UPLOAD).respond(201, json=fixture("video_inserted"))

    def route_publish_error(self, mock: Any, kind: str) -> None:
        answers = {
            "auth": httpx.Response(401, json=fixture("error_auth")),
            "rate_limit": httpx.Response(403, json=fixture("error_quota")),
            "server": httpx.Response(503, json=fixture("error_backend")),
            "bad_content": httpx.Response(400, json=fixture("error_invalid_title")),
        }
        mock.post(UPLOAD).mock(return_value=answers[kind])

    def route_refresh(self, mock: Any) -> None:
        mock.post(f"{OAUTH}/token").respond(200, json=fixture("token_refreshed"))

    def route_refresh_refused(self, mock: Any) -> None:
        mock.post(f"{OAUTH}/token").respond(400, json=fixture("token_invalid_grant"))

    def route_lookup(self, mock: Any, found: bool) -> None:
        listing = fixture("uploads")
        if found:
            listing["items"].insert(0, {"kind": "youtube#playlistItem", "id": "VVnew", "snippet": {
                "publishedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "title": TITLE, "description": self.text_ok,
                "playlistId": "UUkeryx0cafe1234567890ab",
                "resourceId": {"kind": "youtube#video", "videoId": "dQw4w9WgXcQ"}}})
        mock.get(f"{API}/youtube/v3/playlistItems").respond(200, json=listing)


KIT = YouTubeKit()
