"""Small real images made with Pillow, for tests that upload, adapt or send media."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from keryx.networks.base import MediaItem

Colour = str | tuple[int, int, int]
RED = (200, 30, 30)
MIME = {"PNG": "image/png", "JPEG": "image/jpeg"}


def image_bytes(width: int, height: int, colour: Colour, kind: str = "PNG", **save: Any) -> bytes:
    """An image of one colour, encoded as `kind` (a Pillow format name) with `save` options."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, kind, **save)
    return out.getvalue()


def png_bytes(width: int = 8, height: int = 6, colour: Colour = RED) -> bytes:
    return image_bytes(width, height, colour, "PNG")


def jpeg_bytes(width: int = 1600, height: int = 900, colour: Colour = RED,
               quality: int = 95) -> bytes:
    return image_bytes(width, height, colour, "JPEG", quality=quality)


def png_upload(name: str = "red.png", width: int = 8, height: int = 8,
               colour: Colour = "red") -> io.BytesIO:
    """A PNG as a named file object, the way a form post in Django's test client wants it."""
    upload = io.BytesIO(png_bytes(width, height, colour))
    upload.name = name
    return upload


def image_item(path: Path, width: int, height: int, colour: Colour, *, alt_text: str = "",
               kind: str = "PNG", **save: Any) -> MediaItem:
    """The image written to `path`, as the MediaItem a provider is handed."""
    path.write_bytes(image_bytes(width, height, colour, kind, **save))
    return MediaItem(path=str(path), mime_type=MIME[kind], size=path.stat().st_size,
                     alt_text=alt_text, width=width, height=height)
