"""Checks of a Bluesky post's own rules that are not media limits: every reply of a thread is a
post with the root's text limits, and an image's bytes must be what its type says."""

from __future__ import annotations

import os

from keryx.networks.base import Problem, PublishRequest
from keryx.networks.bluesky.keys import MAX_FOLLOW_UPS
from keryx.networks.bluesky.lexicon import MAX_BYTES, MAX_GRAPHEMES
from keryx.networks.text import graphemes, utf8_length


def follow_up_problems(request: PublishRequest) -> list[Problem]:
    """Each reply of a thread (and the first comment) is a post of its own, with the same
    limits as the root."""
    problems: list[Problem] = []
    parts = [(str(p), "thread", f"Thread post {i + 2}")
             for i, p in enumerate(request.options.get("thread") or [])]
    if request.options.get("first_comment"):
        parts.append((str(request.options["first_comment"]), "first_comment",
                      "The first comment"))
    if len(parts) > MAX_FOLLOW_UPS:
        problems.append(Problem(
            "thread_too_long",
            f"Keryx posts at most {MAX_FOLLOW_UPS} replies in a Bluesky thread; this one "
            f"has {len(parts)}.",
            field="thread", params={"limit": MAX_FOLLOW_UPS, "count": len(parts)}))
    for text, field_name, label in parts:
        count, size = graphemes(text), utf8_length(text)
        if not text.strip():
            problems.append(Problem("empty", f"{label} is empty.", field=field_name))
        if count > MAX_GRAPHEMES:
            problems.append(Problem(
                "text_too_long",
                f"{label}: Bluesky allows {MAX_GRAPHEMES} characters; it has {count}.",
                field=field_name, params={"limit": MAX_GRAPHEMES, "count": count}))
        if size > MAX_BYTES:
            problems.append(Problem(
                "text_too_many_bytes",
                f"{label}: Bluesky allows {MAX_BYTES} bytes of text (UTF-8); it has {size}.",
                field=field_name, params={"limit": MAX_BYTES, "count": size}))
    return problems


def signature_matches(mime_type: str, head: bytes) -> bool:
    if mime_type == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if mime_type == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if mime_type == "image/gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if mime_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return False


def content_problems(request: PublishRequest) -> list[Problem]:
    """Media whose bytes are not what their type says (or that cannot be read)."""
    problems = []
    for index, item in enumerate(request.media):
        params = {"index": index, "path": os.path.basename(item.path), "type": item.mime_type}
        try:
            with open(item.path, "rb") as handle:
                head = handle.read(16)
        except OSError:
            problems.append(
                Problem("media_missing", "The media file cannot be read.", "media", params)
            )
            continue
        if not signature_matches(item.mime_type, head):
            problems.append(
                Problem(
                    "media_content",
                    f"The file is not a valid {item.mime_type} image.",
                    "media",
                    params,
                )
            )
    return problems
