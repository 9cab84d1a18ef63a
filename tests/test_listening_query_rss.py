"""The query language (parse errors naming the part, Greek folding) and RSS/Atom feeds from a
loopback server through the private-address guard (a page that is not a feed, said so)."""

from __future__ import annotations

import pytest

from keryx.listening import services
from keryx.listening.models import Result, SourceState
from keryx.listening.query import QueryError, fold, parse
from tests.support.httpserver import LocalServer, QuietHandler


@pytest.mark.parametrize(("text", "part"), [
    ("coffee AND", "AND"), ("(coffee OR tea", "("), ('"greek coffee', '"greek coffee'),
    ("OR tea", "OR"), ("tea)", ")"), ("#bad-tag", "#bad-tag"), ("()", "()"),
    ("NOT", "NOT"), ('""', '""')])
def test_parse_errors_name_the_part(text, part):
    with pytest.raises(QueryError) as info:
        parse(text)
    assert info.value.part == part


def test_too_long_query_says_so():
    with pytest.raises(QueryError, match="at most 1000"):
        parse("word " * 300)


def test_matching_folds_greek_accents_and_case():
    assert fold("ΚΑΦΈΣ Ϊ") == "καφεσ ι"
    q = parse('(καφές OR "greek coffee") AND NOT decaf')
    assert q.matches("Ο ΚΑΦΕΣ ήταν τέλειος")
    assert q.matches("Best Greek  Coffee ever")
    assert not q.matches("decaf καφές")
    assert not q.matches("greek tea and coffee")  # the phrase, not its words anywhere
    assert not q.matches("καφεσοκουτο")  # whole words only
    tags = parse("#Keryx @acme")
    assert tags.matches("hi #keryx @Acme@mastodon.social")
    assert tags.matches("no tags in text", hashtags=["KERYX"], mentions=["acme"])
    assert not tags.matches("#keryx only")
    assert parse("coffee -decaf").matches("coffee") and not parse("coffee -decaf").matches(
        "coffee decaf")
    assert [t.value for t in parse("a OR NOT b").positive_terms()] == ["a"]


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>News</title><link>https://news.example/</link>
<item><title>Ο καφές της Acme είναι εξαιρετικός</title><link>https://news.example/1</link>
<guid>n1</guid><pubDate>Mon, 02 Mar 2026 09:00:00 +0200</pubDate>
<description>&lt;p&gt;Πολύ &lt;b&gt;καλός&lt;/b&gt;, τον λατρεύω.&lt;/p&gt;</description></item>
<item><title>Weather today</title><link>https://news.example/2</link><guid>n2</guid></item>
<item><title>Acme coffee review: great taste</title><link>https://news.example/3</link>
<guid>n3</guid></item>
</channel></rss>"""


class FeedServer(LocalServer):
    def __init__(self) -> None:
        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802
                body, kind = (RSS, "application/rss+xml") if self.path == "/rss" else (
                    "<!doctype html><p>hi</p>", "text/html")
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
        super().__init__(Handler)


@pytest.fixture
def feed_server(settings):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.django_db
def test_feed_results_matched_locally_once(people, feed_server):
    search = services.create_search(people.acme, name="Feeds", query="καφές OR coffee",
                                    feeds=[feed_server.url + "/rss"], languages=["el"])
    assert search.networks == ["rss"]
    run = services.run_search(search)
    assert run.errors == {} and run.fetched == 3
    [row] = services.results(search)
    assert row.result.text.startswith("Ο καφές της Acme") and "<" not in row.result.text
    assert row.result.language == "el" and row.result.language_detected
    assert row.result.sentiment == "positive"
    assert run.dropped_language == 1 and run.dropped_nomatch == 1  # English; weather
    assert services.run_search(search).new_results == 0
    assert Result.objects.count() == 1


@pytest.mark.django_db
def test_not_a_feed_and_private_address(people, feed_server, settings):
    search = services.create_search(people.acme, name="Page", query="x",
                                    feeds=[feed_server.url + "/page"])
    run = services.run_search(search)
    assert "does not serve an RSS or Atom feed" in run.errors[f"rss:{feed_server.url}/page"]
    settings.ALLOWED_PRIVATE_HOSTS = []
    blocked = services.create_search(people.acme, name="Blocked", query="x",
                                     feeds=[feed_server.url + "/rss"])
    run = services.run_search(blocked)
    assert run.errors and SourceState.objects.get(search=blocked).last_error


@pytest.mark.django_db
def test_bad_input_on_create(people):
    for kwargs, field in [({"query": "a AND"}, "query"), ({"query": ""}, "query"),
                          ({"query": "x", "languages": ["greek"]}, "languages"),
                          ({"query": "x", "networks": ["myspace"]}, "networks"),
                          ({"query": "x", "feeds": ["ftp://x"]}, "feeds")]:
        with pytest.raises(services.ListeningError) as info:
            services.create_search(people.acme, name="S", **kwargs)
        assert info.value.field == field
