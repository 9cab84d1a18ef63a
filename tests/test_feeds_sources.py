"""Feeds against a real HTTP server on 127.0.0.1 serving fixture RSS and Atom feeds, an HTML
page, an endless body and a redirect; the private-address guard; dedupe; drafts."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.utils import timezone

from keryx.feeds import services
from keryx.feeds.models import FeedItem, FeedSource, ItemStatus
from keryx.publishing.models import TargetState
from tests.support.httpserver import LocalServer, QuietHandler
from tests.ui_helpers import mastodon_channel

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>Athens Tech News</title><link>https://news.example/</link>
  <item><title>Νέο μετρό στην Αθήνα</title><link>https://news.example/metro</link>
    <guid>news-1</guid><pubDate>Mon, 02 Mar 2026 09:00:00 +0200</pubDate>
    <description>&lt;p&gt;The &lt;b&gt;new&lt;/b&gt; line opens.&lt;/p&gt;</description></item>
  <item><title>Second story</title><link>https://news.example/second</link>
    <guid>news-2</guid></item>
  {extra}
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom blog</title>
  <link href="https://blog.example/"/><id>urn:blog</id><updated>2026-03-01T10:00:00Z</updated>
  <entry><title>Hello Atom</title><link href="https://blog.example/hello"/>
    <id>urn:blog:1</id><updated>2026-03-01T10:00:00Z</updated><summary>Hi</summary></entry>
</feed>"""

HTML = "<!doctype html><html><head><title>Not a feed</title></head><body>Hi</body></html>"


class FeedServer(LocalServer):
    def __init__(self) -> None:
        self.extra = ""
        self.hits: list[str] = []
        server = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.hits.append(self.path)
                if self.path == "/rss":
                    self._send(200, "application/rss+xml",
                               RSS.replace("{extra}", server.extra).encode())
                elif self.path == "/atom":
                    self._send(200, "application/atom+xml", ATOM.encode())
                elif self.path == "/page":
                    self._send(200, "text/html; charset=utf-8", HTML.encode())
                elif self.path == "/moved":
                    self.send_response(301)
                    self.send_header("Location", "/atom")
                    self.end_headers()
                elif self.path == "/huge":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.end_headers()
                    chunk = b"<!-- padding -->" * 4096
                    try:
                        for _ in range(1000):  # 64 MB, never declared
                            self.wfile.write(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                else:
                    self._send(404, "text/plain", b"no")

            def _send(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler)


@pytest.fixture
def feed_server(settings) -> Iterator[FeedServer]:
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    with FeedServer() as server:
        yield server


def test_follow_rss_dedupes_on_refresh(people, feed_server):
    source = services.add_source(people.acme, f"{feed_server.url}/rss", user=people.alice)
    assert source.title == "Athens Tech News"
    items = {i.key: i for i in FeedItem.objects.filter(source=source)}
    assert set(items) == {"news-1", "news-2"}
    first = items["news-1"]
    assert first.title == "Νέο μετρό στην Αθήνα"
    assert first.summary == "The new line opens."
    assert first.published_at.isoformat() == "2026-03-02T07:00:00+00:00"

    feed_server.extra = ("<item><title>Third</title><link>https://news.example/3</link>"
                         "</item>")  # no guid: the link identifies it
    assert services.refresh(source) == 1
    assert services.refresh(source) == 0
    assert FeedItem.objects.filter(source=source).count() == 3


def test_atom_through_a_redirect(people, feed_server):
    source = services.add_source(people.acme, f"{feed_server.url}/moved")
    assert source.title == "Atom blog"
    assert list(source.items.values_list("title", "link")) == [
        ("Hello Atom", "https://blog.example/hello")]


def test_a_page_that_is_not_a_feed_is_refused_clearly(people, feed_server):
    with pytest.raises(services.FeedError, match="does not serve an RSS or Atom feed.*text/html"):
        services.add_source(people.acme, f"{feed_server.url}/page")
    with pytest.raises(services.FeedError, match="answered 404"):
        services.add_source(people.acme, f"{feed_server.url}/missing")
    assert not FeedSource.objects.exists()


def test_an_endless_answer_is_cut_off(people, feed_server):
    started = time.monotonic()
    with pytest.raises(services.FeedError, match="larger than 5 MB"):
        services.add_source(people.acme, f"{feed_server.url}/huge")
    assert time.monotonic() - started < 10


def test_private_addresses_are_refused_without_the_allowance(people, feed_server, settings):
    settings.ALLOWED_PRIVATE_HOSTS = []
    with pytest.raises(services.FeedError, match="private or local address"):
        services.add_source(people.acme, f"{feed_server.url}/rss")
    assert feed_server.hits == []
    with pytest.raises(services.FeedError, match="Only http and https"):
        services.add_source(people.acme, "file:///etc/passwd")


def test_periodic_fetch_claims_due_sources_and_records_errors(people, feed_server):
    ok = services.add_source(people.acme, f"{feed_server.url}/rss")
    broken = services.add_source(people.acme, f"{feed_server.url}/atom")
    FeedSource.objects.filter(pk=broken.pk).update(url=f"{feed_server.url}/page")
    FeedSource.objects.update(next_fetch_at=timezone.now())
    feed_server.extra = "<item><title>Fresh</title><guid>news-9</guid></item>"
    assert services.fetch_due() == 2
    assert ok.items.filter(key="news-9").exists()
    broken.refresh_from_db()
    assert "does not serve an RSS or Atom feed" in broken.last_error
    assert broken.next_fetch_at > timezone.now()
    assert services.fetch_due() == 0  # nothing due again yet


def test_pages_turn_a_suggestion_into_a_draft(people, feed_server, client):
    channel = mastodon_channel(people.acme)
    client.force_login(people.alice)
    bad = client.post("/feeds/", {"url": f"{feed_server.url}/page"})
    assert bad.status_code == 400
    assert "does not serve an RSS or Atom feed" in bad.content.decode()
    assert client.post("/feeds/", {"url": f"{feed_server.url}/rss"}).status_code == 302
    page = client.get("/feeds/").content.decode()
    assert "Νέο μετρό στην Αθήνα" in page
    item = FeedItem.objects.get(key="news-1")
    form = client.get(f"/feeds/items/{item.pk}/draft/").content.decode()
    assert "Νέο μετρό στην Αθήνα https://news.example/metro" in form
    response = client.post(f"/feeds/items/{item.pk}/draft/",
                           {"text": "Worth reading: https://news.example/metro",
                            "channels": [channel.pk]})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == ItemStatus.DRAFTED
    assert item.post.text == "Worth reading: https://news.example/metro"
    assert item.post.targets.get().state == TargetState.DRAFT
    assert "Νέο μετρό" not in client.get("/feeds/").content.decode()
    # Another workspace cannot see or use the item.
    client.force_login(people.bob)
    assert client.get(f"/feeds/items/{item.pk}/draft/").status_code == 404
