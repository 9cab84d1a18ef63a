"""What a local video file is, for validation before any upload: container, codecs, duration,
size. Uses ffprobe when it is installed; otherwise sniffs the container from the first bytes, so
validation still catches "this is not an MP4" but cannot check duration or codecs.

Pure in the sense validate() needs: it reads a local file and never touches the network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROBE_TIMEOUT = 20.0


@dataclass(frozen=True)
class VideoInfo:
    container: str  # "mp4" (ISO BMFF, incl. QuickTime), "webm", "avi", "flv", "mpegts", "" unknown
    duration: float | None = None  # seconds; None when not measured (no ffprobe)
    width: int | None = None
    height: int | None = None
    video_codec: str = ""
    audio_codec: str = ""
    has_video: bool | None = None  # None when not measured
    probed: bool = False  # True when ffprobe read the file


@lru_cache(maxsize=1)
def ffprobe_path() -> str | None:
    return shutil.which("ffprobe")


def sniff_container(path: str | Path) -> str:
    """The container family from the file's magic bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return ""
    if len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free"):
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"  # Matroska/WebM (EBML)
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"FLV"):
        return "flv"
    if head[:1] == b"\x47":
        return "mpegts"
    return ""


def probe(path: str | Path) -> VideoInfo:
    """Facts about the video at `path`. Never raises for a bad file: an unreadable or
    non-video file comes back with has_video=False (ffprobe) or container "" (sniffing)."""
    container = sniff_container(path)
    tool = ffprobe_path()
    if tool is None:
        return VideoInfo(container=container)
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [tool, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
             str(path)],
            capture_output=True, timeout=PROBE_TIMEOUT, check=False,
        )
        data = json.loads(done.stdout or b"{}")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return VideoInfo(container=container, has_video=False, probed=True)
    streams = data.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration: float | None = None
    try:
        duration = float((data.get("format") or {}).get("duration"))
    except (TypeError, ValueError):
        duration = None
    return VideoInfo(
        container=container,
        duration=duration,
        width=int(video["width"]) if video and video.get("width") else None,
        height=int(video["height"]) if video and video.get("height") else None,
        video_codec=str(video.get("codec_name", "")) if video else "",
        audio_codec=str(audio.get("codec_name", "")) if audio else "",
        has_video=video is not None,
        probed=True,
    )
