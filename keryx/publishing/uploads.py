"""Uploads: an image stored after checking what its bytes really are.

Below the composer, the library and the publishing actions, which all take files from people.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.utils.translation import gettext as _

from keryx.core.models import Workspace
from keryx.publishing.models import Media

MAX_MEDIA_BYTES = 100 * 1024 * 1024


class MediaRejected(Exception):
    """An upload that is not an image we accept. The message says why, in plain words."""


_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"\x1aE\xdf\xa3", "video/webm"),
    (b"RIFF", "application/octet-stream"),
)


def sniff_type(head: bytes) -> str:
    """A best guess at what a non-image is from its first bytes, only to say so in an error
    message (never to decide what a file is: Pillow does that)."""
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def _read_into(source: IO[bytes] | Any, sink: IO[bytes]) -> tuple[int, str, bytes]:
    """Copy source to sink in chunks; returns (size, sha256 hex, first bytes)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    if hasattr(source, "chunks"):
        chunks: Iterable[bytes] = source.chunks()
    else:
        chunks = iter(lambda: source.read(1024 * 1024), b"")
    for chunk in chunks:
        if isinstance(chunk, str):
            chunk = chunk.encode()
        size += len(chunk)
        if size > MAX_MEDIA_BYTES:
            raise MediaRejected(_("The file is larger than 100 MB."))
        if len(head) < 64:
            head += chunk[: 64 - len(head)]
        digest.update(chunk)
        sink.write(chunk)
    return size, digest.hexdigest(), head


def save_media(
    *, workspace: Workspace, user: Any, file: IO[bytes] | Any, filename: str, alt_text: str = ""
) -> Media:
    """Store an uploaded image after checking what it really is.

    The type comes from the bytes (Pillow), never from the file name or the client's claim.
    """
    # Pillow is loaded on the first upload, not by every command that imports this module.
    from PIL import Image, UnidentifiedImageError

    name = os.path.basename(filename or "upload") or "upload"
    if hasattr(file, "seek"):
        try:
            file.seek(0)
        except (OSError, ValueError):
            pass
    tmp_dir = os.path.join(settings.MEDIA_ROOT, "tmp")
    os.makedirs(tmp_dir, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=tmp_dir, delete=True) as tmp:
        size, sha256, head = _read_into(file, tmp)
        if size == 0:
            raise MediaRejected(_("%(name)s is empty.") % {"name": name})
        tmp.flush()
        tmp.seek(0)
        try:
            with Image.open(tmp) as image:
                image_format = image.format or ""
                width, height = image.size
                image.verify()
            mime = Image.MIME.get(image_format, "")
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
                ValueError) as exc:
            if isinstance(exc, Image.DecompressionBombError):
                raise MediaRejected(
                    _("%(name)s has too many pixels to be processed safely.") % {"name": name}
                ) from exc
            raise MediaRejected(
                _("%(name)s is not an image (it is %(type)s).")
                % {"name": name, "type": sniff_type(head)}
            ) from exc
        if not mime.startswith("image/"):
            raise MediaRejected(
                _("%(name)s is not an image (it is %(type)s).") % {"name": name, "type": mime}
            )
        tmp.seek(0)
        media = Media(
            workspace=workspace,
            original_name=name[:255],
            mime_type=mime,
            size=size,
            width=width,
            height=height,
            alt_text=alt_text or "",
            sha256=sha256,
            created_by=user if getattr(user, "pk", None) else None,
        )
        extension = {"image/jpeg": "jpg"}.get(mime, mime.split("/", 1)[1])
        media.file.save(f"upload.{extension}", File(tmp), save=False)
    media.save()
    return media
