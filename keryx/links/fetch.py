"""Fetch a web page's card (title, description, image) safely, for networks where the client
builds the link preview (Bluesky).

The URL comes from a user, so the fetch is a server-side request on their behalf:
1. every hop (the URL and each redirect) must be http(s) to a public address (networks.netguard),
   unless the host is listed in `allow_private` (tests, a LAN site the admin trusts);
2. the whole fetch has one deadline, and bodies are read in chunks up to a byte cap, so a slow
   or endless response cannot hold a worker;
3. the image is decoded by Pillow with a pixel cap and re-encoded as a small JPEG, so what is
   uploaded to the network is always a sane image under the network's size limit.
Pure Python (no Django), like the network layer.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from keryx.networks.netguard import BlockedAddress, check_url

MAX_HTML_BYTES = 512 * 1024
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 4
DEFAULT_TIMEOUT = 6.0
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


class _Fetcher:
    def __init__(self, allow_private: tuple[str, ...], timeout: float) -> None:
        self.allow_private = allow_private
        self.deadline = time.monotonic() + timeout
        self.client = httpx.Client(
            follow_redirects=False,
            # identity: a compressed body could expand far past the byte cap in one chunk.
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 4.0)),
        )

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise PreviewFailed("The site took too long to answer.")
        return left

    def get(self, url: str, *, accept: str, cap: int) -> tuple[str, str, bytes]:
        """(final URL, content type, body up to `cap` bytes), each hop checked."""
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                check_url(url, self.allow_private)
            except BlockedAddress as exc:
                raise PreviewFailed(str(exc)) from exc
            try:
                with self.client.stream(
                    "GET", url, headers={"Accept": accept},
                    timeout=httpx.Timeout(self._left(), connect=min(self._left(), 4.0)),
                ) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        if not location:
                            raise PreviewFailed("The site answered with an empty redirect.")
                        url = urljoin(url, location)
                        continue
                    if response.status_code >= 400:
                        raise PreviewFailed(f"The site answered HTTP {response.status_code}.")
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > cap:
                        raise PreviewFailed("The page is too large to preview.")
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > cap:
                            if accept.startswith("text/html"):
                                break  # the head is what we want; the rest can go
                            raise PreviewFailed("The image is too large to preview.")
                        self._left()
                    return url, response.headers.get("content-type", ""), bytes(body[:cap])
            except httpx.TimeoutException as exc:
                raise PreviewFailed("The site took too long to answer.") from exc
            except httpx.HTTPError as exc:
                raise PreviewFailed(f"The site could not be reached: {exc}") from exc
        raise PreviewFailed("The link redirects too many times.")

    def close(self) -> None:
        self.client.close()


_CHARSET = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def _decode(body: bytes, content_type: str) -> str:
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
    fetcher = _Fetcher(tuple(allow_private), timeout)
    try:
        final, content_type, body = fetcher.get(
            url, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.1", cap=MAX_HTML_BYTES
        )
        kind = content_type.split(";")[0].strip().lower()
        if kind and kind not in ("text/html", "application/xhtml+xml"):
            raise PreviewFailed(f"The link is not a web page ({kind}).")
        title, description, image_url = parse_card(final, _decode(body, content_type))
        if not title and not description:
            raise PreviewFailed("The page has no title or description to show.")
        image = b""
        if image_url:
            try:
                _final, image_type, data = fetcher.get(image_url, accept="image/*",
                                                       cap=MAX_IMAGE_BYTES)
                image = thumbnail(data)
            except PreviewFailed:
                image = b""
        return Card(url=url, title=title, description=description, image=image,
                    image_mime="image/jpeg" if image else "")
    finally:
        fetcher.close()
