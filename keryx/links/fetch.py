"""Fetch a web page's card (title, description, image) safely, for networks where the client
builds the link preview (Bluesky).

The URL comes from a user, so the fetch is a server-side request on their behalf, made by the
shared outbound fetcher (keryx.networks.fetch):
1. every hop (the URL and each redirect) must be http(s) to a public address, unless the host
   is listed in `allow_private` (tests, a LAN site the admin trusts);
2. the page and its image share one deadline, and bodies are read in chunks up to a byte cap,
   so a slow or endless response cannot hold a worker;
3. the image is decoded by Pillow with a pixel cap and re-encoded as a small JPEG, so what is
   uploaded to the network is always a sane image under the network's size limit.
Pure Python (no Django), like the network layer.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

from keryx.networks.fetch import (
    BadStatus,
    Blocked,
    EmptyRedirect,
    Fetched,
    Fetcher,
    TimedOut,
    TooLarge,
    TooManyRedirects,
    Unreachable,
    WrongType,
    kind_of,
)

MAX_HTML_BYTES = 512 * 1024
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 4
DEFAULT_TIMEOUT = 6.0
CONNECT_TIMEOUT = 4.0
# app.bsky.embed.external#external.thumb: an image blob of at most 1,000,000 bytes.
THUMB_MAX_BYTES = 1_000_000
THUMB_MAX_SIDE = 1200
MAX_PIXELS = 40_000_000
USER_AGENT = "Keryx/0.1 link preview (+self-hosted social media manager)"


class PreviewFailed(Exception):
    """No card could be built; the message says why in plain words (English, shown as is)."""


@dataclass(frozen=True)
class Card:
    url: str
    title: str = ""
    description: str = ""
    image: bytes = b""  # JPEG, at most THUMB_MAX_BYTES, or empty
    image_mime: str = ""


class _MetaParser(HTMLParser):
    """Collects <title> and the <meta> tags cards are made of; stops caring after </head>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = {k.lower(): (v or "") for k, v in attrs}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values and key not in self.meta:
                self.meta[key] = values["content"].strip()
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and not self.done and len(self.title) < 1000:
            self.title += data


def parse_card(url: str, html: str) -> tuple[str, str, str]:
    """(title, description, absolute image URL) from a page's head."""
    parser = _MetaParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # a broken page still gives whatever was parsed before the break
        pass
    meta = parser.meta

    def first(*keys: str) -> str:
        for key in keys:
            if meta.get(key):
                return " ".join(meta[key].split())
        return ""

    title = first("og:title", "twitter:title") or " ".join(parser.title.split())
    description = first("og:description", "twitter:description", "description")
    image = first("og:image:secure_url", "og:image", "og:image:url", "twitter:image",
                  "twitter:image:src")
    if image:
        image = urljoin(url, image)
        if not image.lower().startswith(("http://", "https://")):
            image = ""
    return title[:300], description[:1000], image


PAGE_TYPES = ("text/html", "application/xhtml+xml")


def _is_page(content_type: str) -> bool:
    """An untyped answer is given the benefit of the doubt: the parser finds no card in it."""
    kind = kind_of(content_type)
    return not kind or kind in PAGE_TYPES


def _get(fetcher: Fetcher, url: str, *, accept: str, cap: int, page: bool) -> Fetched:
    """The answer at `url`, through the shared guarded fetcher, or PreviewFailed in our words.
    A page is cut at `cap` (its head is what a card needs), and anything but a web page is
    refused before its body is read; an image past `cap` fails."""
    try:
        return fetcher.get(url, max_bytes=cap, headers={"Accept": accept}, truncate=page,
                           accept_type=_is_page if page else None)
    except WrongType as exc:
        raise PreviewFailed(f"The link is not a web page ({kind_of(exc.content_type)}).") from exc
    except Blocked as exc:
        raise PreviewFailed(str(exc)) from exc
    except EmptyRedirect as exc:
        raise PreviewFailed("The site answered with an empty redirect.") from exc
    except BadStatus as exc:
        raise PreviewFailed(f"The site answered HTTP {exc.status}.") from exc
    except TooLarge as exc:
        raise PreviewFailed("The page is too large to preview." if page
                            else "The image is too large to preview.") from exc
    except TimedOut as exc:
        raise PreviewFailed("The site took too long to answer.") from exc
    except TooManyRedirects as exc:
        raise PreviewFailed("The link redirects too many times.") from exc
    except Unreachable as exc:
        raise PreviewFailed(f"The site could not be reached: {exc.reason}") from exc


_CHARSET = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def decode_html(body: bytes, content_type: str) -> str:
    """The page as text: the charset from the header, else from a <meta> in the first 2 KiB,
    else UTF-8; bytes that do not decode become U+FFFD rather than an error."""
    found = _CHARSET.search(content_type.encode("latin-1", "ignore")) or _CHARSET.search(
        body[:2048]
    )
    charset = found.group(1).decode("ascii") if found else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:  # an encoding name Python does not know
        return body.decode("utf-8", errors="replace")


def thumbnail(data: bytes) -> bytes:
    """A JPEG of at most THUMB_MAX_SIDE px a side and THUMB_MAX_BYTES, or PreviewFailed."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise PreviewFailed("The preview image has too many pixels.")
            image.draft("RGB", (THUMB_MAX_SIDE, THUMB_MAX_SIDE))  # JPEGs decode smaller
            picture = ImageOps.exif_transpose(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        raise PreviewFailed("The preview image cannot be read.") from exc
    picture.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE))
    for quality in (85, 75, 60, 45):
        out = io.BytesIO()
        # No EXIF is written: location and camera data stay behind.
        picture.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= THUMB_MAX_BYTES:
            return out.getvalue()
        picture.thumbnail((picture.width * 3 // 4, picture.height * 3 // 4))
    raise PreviewFailed("The preview image cannot be made small enough.")


def fetch_card(url: str, *, allow_private: tuple[str, ...] = (),
               timeout: float = DEFAULT_TIMEOUT) -> Card:
    """The card for `url`, or PreviewFailed. A page without an image still gives a card; an
    image that cannot be fetched or read is left out rather than failing the card."""
    with Fetcher(timeout=timeout, total=timeout, allow_private=tuple(allow_private),
                 headers={"User-Agent": USER_AGENT}, max_redirects=MAX_REDIRECTS,
                 connect_timeout=CONNECT_TIMEOUT) as fetcher:
        page = _get(fetcher, url, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                    cap=MAX_HTML_BYTES, page=True)
        title, description, image_url = parse_card(page.url,
                                                   decode_html(page.content, page.content_type))
        if not title and not description:
            raise PreviewFailed("The page has no title or description to show.")
        image = b""
        if image_url:
            try:
                fetched = _get(fetcher, image_url, accept="image/*", cap=MAX_IMAGE_BYTES,
                               page=False)
                image = thumbnail(fetched.content)
            except PreviewFailed:
                image = b""
        return Card(url=url, title=title, description=description, image=image,
                    image_mime="image/jpeg" if image else "")
