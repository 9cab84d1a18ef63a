"""The one outbound fetcher for user-given URLs (keryx.networks.fetch), against a real loopback
web site, and the user's words for its failures (keryx.core.outbound)."""

from __future__ import annotations

import time

import pytest

from keryx.core import outbound
from keryx.networks import fetch
from tests.support.webpages import Page, WebSite

LOOPBACK = ("127.0.0.1",)


@pytest.fixture
def site():
    with WebSite() as running:
        yield running


def test_redirects_are_followed_and_each_hop_is_guarded(site):
    site.pages["/a"] = Page(status=302, headers={"Location": "/b"})
    site.pages["/b"] = Page(b"hello", headers={"Content-Type": "text/plain", "ETag": '"1"'})
    got = fetch.fetch(f"{site.url}/a", max_bytes=100, timeout=5, allow_private=LOOPBACK)
    assert (got.url, got.content, got.content_type, got.etag) == (
        f"{site.url}/b", b"hello", "text/plain", '"1"')
    site.pages["/r"] = Page(status=302, headers={"Location": "http://10.0.0.1/"})
    with pytest.raises(fetch.Blocked, match="private or local") as caught:
        fetch.fetch(f"{site.url}/r", max_bytes=100, timeout=5, allow_private=LOOPBACK)
    assert caught.value.url == "http://10.0.0.1/"


def test_redirects_are_counted(site):
    site.pages["/a"] = Page(status=302, headers={"Location": "/a"})
    with pytest.raises(fetch.TooManyRedirects):
        fetch.fetch(f"{site.url}/a", max_bytes=100, timeout=5, allow_private=LOOPBACK,
                    max_redirects=2)
    assert len(site.requests) == 3


def test_the_byte_cap_raises_or_truncates(site):
    site.pages["/endless"] = Page(endless=True)
    with pytest.raises(fetch.TooLarge) as caught:
        fetch.fetch(f"{site.url}/endless", max_bytes=1000, timeout=5, allow_private=LOOPBACK)
    assert caught.value.max_bytes == 1000
    with fetch.Fetcher(timeout=5, allow_private=LOOPBACK) as fetcher:
        got = fetcher.get(f"{site.url}/endless", max_bytes=1000, truncate=True)
    assert len(got.content) == 1000
    site.pages["/declared"] = Page(b"x" * 2000)
    with pytest.raises(fetch.TooLarge):  # refused on its Content-Length, before reading
        fetch.fetch(f"{site.url}/declared", max_bytes=1000, timeout=5, allow_private=LOOPBACK)


def test_status_type_and_not_modified(site):
    with pytest.raises(fetch.BadStatus) as caught:
        fetch.fetch(f"{site.url}/missing", max_bytes=100, timeout=5, allow_private=LOOPBACK)
    assert caught.value.status == 404
    site.pages["/zip"] = Page(b"PK", headers={"Content-Type": "application/zip"})
    with pytest.raises(fetch.WrongType) as wrong:
        fetch.fetch(f"{site.url}/zip", max_bytes=100, timeout=5, allow_private=LOOPBACK,
                    accept_type=lambda kind: fetch.kind_of(kind) == "text/html")
    assert wrong.value.content_type == "application/zip"
    site.pages["/same"] = Page(status=304)
    got = fetch.fetch(f"{site.url}/same", max_bytes=100, timeout=5, allow_private=LOOPBACK)
    assert (got.status, got.content) == (304, b"")


def test_one_deadline_for_the_whole_fetch(site):
    site.pages["/slow"] = Page(b"late", delay=2)
    started = time.monotonic()
    with pytest.raises(fetch.TimedOut):
        fetch.fetch(f"{site.url}/slow", max_bytes=100, timeout=10, total=0.5,
                    allow_private=LOOPBACK)
    assert time.monotonic() - started < 1.8


def test_a_closed_port_is_unreachable():
    with WebSite() as gone:
        url = f"{gone.url}/"
    with pytest.raises(fetch.Unreachable):
        fetch.fetch(url, max_bytes=100, timeout=2, allow_private=LOOPBACK)


def test_the_django_side_uses_the_allowance_and_says_why(site, settings):
    site.pages["/ok"] = Page(b"fine", headers={"Content-Type": "text/plain"})
    settings.ALLOWED_PRIVATE_HOSTS = []
    with pytest.raises(outbound.FetchFailed, match="private or local address"):
        outbound.fetch_url(f"{site.url}/ok", max_bytes=100)
    settings.ALLOWED_PRIVATE_HOSTS = list(LOOPBACK)
    assert outbound.fetch_url(f"{site.url}/ok", max_bytes=100).content == b"fine"
    with pytest.raises(outbound.FetchFailed, match=r"answered 404 for .*/missing\.$"):
        outbound.fetch_url(f"{site.url}/missing", max_bytes=100)
    site.pages["/big"] = Page(endless=True)
    with pytest.raises(outbound.FetchFailed, match="larger than 2 MB"):
        outbound.fetch_url(f"{site.url}/big", max_bytes=2 * 1024 * 1024)
