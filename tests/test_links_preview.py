"""Link preview cards: fetched from a real (loopback) web site, safely."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from keryx.links import fetch
from keryx.links.fetch import PreviewFailed, decode_html, fetch_card, parse_card
from keryx.links.models import LinkPreview
from keryx.links.preview import card_for, external_option
from tests.support.images import jpeg_bytes
from tests.support.webpages import Page, WebSite

LOOPBACK = ("127.0.0.1",)


def html(title="Νέα σελίδα", description="Περιγραφή & λεπτομέρειες", image="/og.jpg",
         charset="utf-8") -> bytes:
    meta_image = f'<meta property="og:image" content="{image}">' if image else ""
    return (
        f'<!doctype html><html><head><meta charset="{charset}"><title>Fallback</title>'
        f'<meta property="og:title" content="{title}">'
        f'<meta name="description" content="{description}">{meta_image}'
        f"</head><body><p>body</p></body></html>"
    ).encode(charset)


@pytest.fixture
def site():
    with WebSite() as running:
        yield running


def test_a_card_has_title_description_and_a_small_jpeg_thumbnail(site):
    site.pages["/article"] = Page(html())
    site.pages["/og.jpg"] = Page(jpeg_bytes(4000, 3000), headers={"Content-Type": "image/jpeg"})
    card = fetch_card(f"{site.url}/article", allow_private=LOOPBACK)
    assert card.title == "Νέα σελίδα"
    assert card.description == "Περιγραφή & λεπτομέρειες"
    assert card.image_mime == "image/jpeg" and 0 < len(card.image) <= fetch.THUMB_MAX_BYTES
    with Image.open(io.BytesIO(card.image)) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) <= fetch.THUMB_MAX_SIDE
        assert thumb.size == (1200, 900)  # aspect ratio kept


def test_relative_redirects_are_followed_and_each_hop_checked(site):
    site.pages["/short"] = Page(status=301, headers={"Location": "/long"})
    site.pages["/long"] = Page(html(image=""))
    card = fetch_card(f"{site.url}/short", allow_private=LOOPBACK)
    assert card.title == "Νέα σελίδα" and card.image == b""
    assert [path for _, path in site.requests] == ["/short", "/long"]


def test_loopback_is_refused_unless_allowed(site):
    site.pages["/article"] = Page(html())
    with pytest.raises(PreviewFailed, match="private or local address"):
        fetch_card(f"{site.url}/article")
    assert site.requests == []  # refused before any byte was sent


def test_a_redirect_to_a_private_address_is_refused(site):
    # The first hop is allowed by name; the redirect goes to an address nobody allowed.
    site.pages["/r"] = Page(status=302, headers={"Location": "http://10.0.0.1/admin"})
    with pytest.raises(PreviewFailed, match="private or local"):
        fetch_card(f"{site.url}/r", allow_private=LOOPBACK)


def test_endless_redirects_stop(site):
    site.pages["/a"] = Page(status=302, headers={"Location": "/b"})
    site.pages["/b"] = Page(status=302, headers={"Location": "/a"})
    with pytest.raises(PreviewFailed, match="redirects too many times"):
        fetch_card(f"{site.url}/a", allow_private=LOOPBACK)
    assert len(site.requests) == fetch.MAX_REDIRECTS + 1


def test_a_slow_site_hits_the_deadline(site):
    site.pages["/slow"] = Page(html(), delay=3)
    started = time.monotonic()
    with pytest.raises(PreviewFailed, match="too long"):
        fetch_card(f"{site.url}/slow", allow_private=LOOPBACK, timeout=0.5)
    assert time.monotonic() - started < 2.5


def test_an_endless_page_is_read_only_up_to_the_cap(site):
    site.pages["/endless"] = Page(b"", endless=True)
    started = time.monotonic()
    with pytest.raises(PreviewFailed, match="no title"):
        fetch_card(f"{site.url}/endless", allow_private=LOOPBACK)
    assert time.monotonic() - started < 5


def test_not_a_web_page(site):
    site.pages["/file.zip"] = Page(b"PK\x03\x04", headers={"Content-Type": "application/zip"})
    with pytest.raises(PreviewFailed, match="not a web page"):
        fetch_card(f"{site.url}/file.zip", allow_private=LOOPBACK)


def test_a_broken_or_huge_image_leaves_the_card_without_a_thumbnail(site, monkeypatch):
    site.pages["/a"] = Page(html(image="/bad.jpg"))
    site.pages["/bad.jpg"] = Page(b"\xff\xd8\xff not really",
                                  headers={"Content-Type": "image/jpeg"})
    assert fetch_card(f"{site.url}/a", allow_private=LOOPBACK).image == b""
    monkeypatch.setattr(fetch, "MAX_PIXELS", 1000)  # a decompression bomb, in miniature
    site.pages["/b"] = Page(html(image="/big.jpg"))
    site.pages["/big.jpg"] = Page(jpeg_bytes(100, 100), headers={"Content-Type": "image/jpeg"})
    card = fetch_card(f"{site.url}/b", allow_private=LOOPBACK)
    assert card.title and card.image == b""


def test_legacy_encodings_are_decoded():
    page = html(title="Καλημέρα", charset="iso-8859-7")
    assert parse_card("https://e.example/", decode_html(page, "text/html"))[0] == "Καλημέρα"
    assert parse_card("https://e.example/", decode_html(page, "text/html; charset=bogus-x"))[0]


def test_parse_card_falls_back_and_resolves_image_urls():
    title, description, image = parse_card(
        "https://e.example/a/b.html",
        '<head><title> Just  a title </title><meta name="twitter:image" content="../i.png">'
        '<meta property="og:image" content="javascript:alert(1)"></head>',
    )
    assert title == "Just a title" and description == ""
    assert image == ""  # og:image wins and is not http(s): no image rather than a bad one
    assert parse_card("https://e.example/a/", '<meta property="og:image" content="i.png">'
                      '<title>t</title>')[2] == "https://e.example/a/i.png"


def test_cards_are_stored_and_reused(site, people, settings):
    settings.ALLOWED_PRIVATE_HOSTS = list(LOOPBACK)
    site.pages["/p"] = Page(html())
    site.pages["/og.jpg"] = Page(jpeg_bytes(), headers={"Content-Type": "image/jpeg"})
    url = f"{site.url}/p"
    first = card_for(people.acme, url)
    again = card_for(people.acme, url)
    assert first.pk == again.pk and first.title == "Νέα σελίδα" and first.image
    assert [p for _, p in site.requests] == ["/p", "/og.jpg"]  # fetched once
    option = external_option(again)
    assert option["uri"] == url and option["thumb_mime"] == "image/jpeg"
    with open(option["thumb_path"], "rb") as handle:
        assert handle.read(3) == b"\xff\xd8\xff"


def test_a_failed_card_records_why_and_gives_no_option(site, people, settings):
    settings.ALLOWED_PRIVATE_HOSTS = []
    site.pages["/p"] = Page(html())
    preview = card_for(people.acme, f"{site.url}/p")
    assert "private or local" in preview.error and external_option(preview) is None
    assert LinkPreview.objects.filter(workspace=people.acme).count() == 1


def test_the_preview_endpoint_is_scoped_and_checks_the_url(client, people, site, settings):
    settings.ALLOWED_PRIVATE_HOSTS = list(LOOPBACK)
    site.pages["/p"] = Page(html(image=""))
    client.force_login(people.alice)
    answer = client.get("/links/preview.json", {"url": f"{site.url}/p"}).json()
    assert answer["title"] == "Νέα σελίδα" and answer["error"] == ""
    assert client.get("/links/preview.json", {"url": "file:///etc/passwd"}).status_code == 400
    client.force_login(people.charlie)  # a viewer: does not compose
    assert client.get("/links/preview.json", {"url": f"{site.url}/p"}).status_code == 403
