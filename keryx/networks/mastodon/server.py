"""A Mastodon server: its address, its default limits and the ones it announces
(/api/v2/instance), and its JSON answers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from keryx.networks.base import Transient
from keryx.networks.http import HttpSeam

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_MAX_MEDIA = 4
DEFAULT_URL_LENGTH = 23
ALT_TEXT_MAX = 1500
# Mastodon's defaults (4.x): images up to 16 MB, video up to 99 MB. The instance may say less.
DEFAULT_IMAGE_TYPES = (
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif"
)
DEFAULT_VIDEO_TYPES = ("video/mp4", "video/webm", "video/quicktime")
DEFAULT_IMAGE_LIMIT = 16 * 1024 * 1024
DEFAULT_VIDEO_LIMIT = 99 * 1024 * 1024


def normalize_instance_url(value: str) -> str:
    """"mastodon.social", "https://mastodon.social/" -> "https://mastodon.social".

    Raises ValueError with a readable reason for anything that is not a server address."""
    value = (value or "").strip()
    if not value:
        raise ValueError("Enter the address of your Mastodon server, e.g. mastodon.social.")
    if "://" not in value:
        value = "https://" + value.lstrip("@/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"}:
        raise ValueError(f"The server address must start with https:// (got {parts.scheme}://).")
    if not parts.hostname or " " in value or "@" in parts.netloc:
        raise ValueError(f"{value!r} is not a server address.")
    if parts.query or parts.fragment or parts.path.strip("/"):
        raise ValueError("Enter only the server address (e.g. https://mastodon.social), no path.")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r} has an invalid port.") from exc
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def json_body(response: Any) -> Any:
    """The answer's JSON; anything else is Transient, as a proxy's error page would be."""
    try:
        return response.json()
    except ValueError as exc:
        raise Transient(
            f"The server answered {response.status_code} with something that is not JSON."
        ) from exc


def server_limits(settings: dict[str, Any]) -> dict[str, Any]:
    """The limits a channel's server announced at connect time, else Mastodon's defaults."""
    s = settings
    mime = s.get("supported_mime_types") or [*DEFAULT_IMAGE_TYPES, *DEFAULT_VIDEO_TYPES]
    return {
        "max_characters": int(s.get("max_characters") or DEFAULT_MAX_CHARACTERS),
        "max_media": int(s.get("max_media") or DEFAULT_MAX_MEDIA),
        "url_length": int(s.get("characters_reserved_per_url") or DEFAULT_URL_LENGTH),
        "mime_types": set(mime),
        "image_size_limit": int(s.get("image_size_limit") or DEFAULT_IMAGE_LIMIT),
        "video_size_limit": int(s.get("video_size_limit") or DEFAULT_VIDEO_LIMIT),
    }


def instance_settings(http: HttpSeam, instance: str) -> dict[str, Any]:
    """The server's limits from /api/v2/instance (v1 on servers older than 4.0)."""
    response = http.request(
        "GET", instance + "/api/v2/instance", check_status=False
    )
    if response.status_code == 404:
        response = http.request("GET", instance + "/api/v1/instance")
    elif response.status_code >= 400:
        http.request("GET", instance + "/api/v2/instance")  # raises, classified
    data = json_body(response)
    config = data.get("configuration") or {}
    statuses = config.get("statuses") or {}
    media = config.get("media_attachments") or {}
    domain = data.get("domain") or data.get("uri") or ""
    result: dict[str, Any] = {
        "domain": str(domain),
        "max_characters": int(statuses.get("max_characters") or DEFAULT_MAX_CHARACTERS),
        "max_media": int(statuses.get("max_media_attachments") or DEFAULT_MAX_MEDIA),
        "characters_reserved_per_url": int(
            statuses.get("characters_reserved_per_url") or DEFAULT_URL_LENGTH
        ),
    }
    if media.get("supported_mime_types"):
        result["supported_mime_types"] = list(media["supported_mime_types"])
    for key in ("image_size_limit", "video_size_limit"):
        if media.get(key):
            result[key] = int(media[key])
    return result
