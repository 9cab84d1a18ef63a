"""Listening on Reddit through the provider's `GET /search` at the HTTP seam (respx), answers
shaped after Reddit's API reference (a Listing of `t3` things with `name`, `title`,
`selftext`, `author`, `permalink`, `created_utc`, `subreddit_type`): the whole boolean query
goes in one request, only public matching posts are stored (once however often the search
runs), a refused search disables the Reddit source and keeps the others, an over-long query is
refused with the part named, and a second run keeps only posts newer than the last."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from django.core.management import call_command

from keryx.channels.models import Channel
from keryx.listening import services
from keryx.listening.models import Result, SourceState
from keryx.listening.query import combined
from keryx.networks.listening import ListenRequest, QueryRefused
from keryx.networks.reddit_listening import MAX_QUERY, compile_query, time_window

API = "https://reddit-listen.keryx.test"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def endpoint(settings) -> Iterator[None]:
    config = {**settings.KERYX_NETWORK_CONFIG}
    config["reddit"] = {"api_base": API, "oauth_base": API, "client_id": "r-app",
                        "client_secret": "r-secret"}
    settings.KERYX_NETWORK_CONFIG = config
    settings.ALLOWED_PRIVATE_HOSTS = [*settings.ALLOWED_PRIVATE_HOSTS, "reddit-listen.keryx.test"]
    yield


def channel(people) -> Channel:
    return Channel.objects.create(
        workspace=people.acme, network="reddit", name="Reddit",
        credentials={"access_token": "tok", "refresh_token": "r"},
        settings={"username": "keryxbrand", "subreddit": "selfhosted"})


def thing(name: str, title: str, body: str = "", *, author: str = "fan",
          created: datetime = NOW, subreddit_type: str = "public") -> dict:
    return {"kind": "t3", "data": {
        "name": f"t3_{name}", "id": name, "title": title, "selftext": body, "author": author,
        "permalink": f"/r/greece/comments/{name}/slug/", "created_utc": created.timestamp(),
        "subreddit": "greece", "subreddit_type": subreddit_type,
        "subreddit_name_prefixed": "r/greece", "url": f"https://www.reddit.com/r/greece/{name}",
        "score": 3, "num_comments": 1}}


def listing(*children: dict) -> dict:
    return {"kind": "Listing", "data": {"after": None, "before": None, "dist": len(children),
                                        "children": list(children)}}


def test_the_query_becomes_one_reddit_search_string():
    query = combined('καφές OR "cold brew" NOT decaf', ["ΚαφέςΤώρα"], ["keryxbrand"])
    text = compile_query(ListenRequest(query=query, domain="https://keryx.example/"))
    assert '"cold brew"' in text and "NOT decaf" in text and "καφές" in text
    assert "ΚαφέςΤώρα" in text and '"u/keryxbrand"' in text
    assert text.endswith("(site:keryx.example)")
    with pytest.raises(QueryRefused) as refused:
        compile_query(ListenRequest(query=combined(" OR ".join(["anotherword"] * 60), [], [])))
    assert str(MAX_QUERY) in str(refused.value)


def test_the_window_is_the_narrowest_that_covers_the_last_run():
    assert time_window(None, NOW) == "week"
    assert time_window(NOW - timedelta(minutes=5), NOW) == "hour"
    assert time_window(NOW - timedelta(hours=5), NOW) == "day"
    assert time_window(NOW - timedelta(days=20), NOW) == "month"
    assert time_window(NOW - timedelta(days=900), NOW) == "all"


@respx.mock
def test_matching_public_posts_are_stored_once_with_language_and_sentiment(people, endpoint):
    channel(people)
    search = services.create_search(people.acme, name="Coffee", query="καφές OR coffee",
                                    networks=["reddit"])
    answers = [listing(
        thing("a1", "Ο καλύτερος καφές στην Αθήνα", "Υπέροχος, τον λατρεύω!"),
        thing("a2", "This coffee is terrible", "Cold, awful, I hate it.", author="critic"),
        thing("a3", "Nothing about drinks here"),  # Reddit's search is fuzzier than ours
        thing("a4", "coffee in a private club", subreddit_type="private"),
        thing("a5", "deleted coffee fan", author="[deleted]"),
    )]
    route = respx.get(f"{API}/search").mock(
        side_effect=lambda request: httpx.Response(200, json=answers[0]))
    run = services.run_search(search, now=NOW)
    sent = parse_qs(urlsplit(str(route.calls.last.request.url)).query)
    assert sent["q"] == ["καφές OR coffee"] and sent["sort"] == ["new"]
    assert sent["type"] == ["link"] and sent["t"] == ["week"]
    assert route.calls.last.request.headers["Authorization"] == "bearer tok"
    assert run.errors == {} and run.fetched == 5
    assert run.dropped_private == 1 and run.dropped_nomatch == 1
    stored = {r.remote_id: r for r in Result.objects.filter(workspace=people.acme)}
    assert set(stored) == {"t3_a1", "t3_a2", "t3_a5"}
    greek, english = stored["t3_a1"], stored["t3_a2"]
    assert greek.language == "el" and greek.sentiment == "positive"
    assert english.language == "en" and english.sentiment == "negative"
    assert greek.url == "https://www.reddit.com/r/greece/comments/a1/slug/"
    assert greek.text.startswith("Ο καλύτερος καφές στην Αθήνα\n")
    assert stored["t3_a5"].author_handle == ""

    answers[0] = listing(thing("a1", "Ο καλύτερος καφές στην Αθήνα", "Υπέροχος!"),
                         thing("a6", "coffee later", created=NOW + timedelta(hours=1)))
    services.run_search(search, now=NOW + timedelta(hours=2))
    assert Result.objects.filter(workspace=people.acme).count() == 4  # a1 not stored twice


@respx.mock
def test_older_posts_than_the_last_run_are_skipped(people, endpoint):
    from keryx.channels.providers import provider_for

    provider = provider_for(channel(people))
    respx.get(f"{API}/search").mock(return_value=httpx.Response(200, json=listing(
        thing("old", "coffee", created=NOW - timedelta(hours=3)),
        thing("new", "coffee", created=NOW - timedelta(minutes=10)))))
    page = provider.listen(ListenRequest(query=combined("coffee", [], []),
                                         since=NOW - timedelta(hours=1)))
    assert [item.remote_id for item in page.items] == ["t3_new"]
    assert page.requests == 1


@respx.mock
def test_a_refused_search_disables_reddit_and_the_search_keeps_its_other_sources(
        people, endpoint):
    channel(people)
    search = services.create_search(people.acme, name="Coffee", query="coffee",
                                    networks=["reddit", "mastodon"])
    respx.get(f"{API}/search").mock(return_value=httpx.Response(
        403, json={"message": "Forbidden", "error": 403}))
    run = services.run_search(search)
    state = SourceState.objects.get(search=search, network="reddit")
    assert "read" in state.disabled_reason and "403" in state.disabled_reason
    assert "mastodon" in run.errors  # no Mastodon channel: said, not crashed
    assert Channel.objects.get(network="reddit").status == "active"  # the channel is fine


@respx.mock
def test_a_rate_limit_is_recorded_and_retried_next_time(people, endpoint):
    channel(people)
    search = services.create_search(people.acme, name="Coffee", query="coffee",
                                    networks=["reddit"])
    respx.get(f"{API}/search").mock(side_effect=[
        httpx.Response(200, json=listing()),
        httpx.Response(429, headers={"Retry-After": "30"}, json={"error": 429}),
        httpx.Response(200, json=listing(thing("b1", "good coffee", created=NOW)))])
    services.run_search(search, now=NOW - timedelta(hours=1))  # a good run an hour ago
    first = services.run_search(search, now=NOW + timedelta(minutes=5))
    assert "slow down" in first.errors[next(iter(first.errors))]
    assert not SourceState.objects.get(search=search, network="reddit").disabled_reason
    # b1 was posted between the last good run and the refused one: the next run still finds it.
    second = services.run_search(search, now=NOW + timedelta(minutes=10))
    assert second.errors == {} and second.new_results == 1


@respx.mock
def test_keryx_listen_runs_a_reddit_search_from_the_command_line(people, endpoint):
    channel(people)
    respx.get(f"{API}/search").mock(return_value=httpx.Response(200, json=listing(
        thing("c1", "Keryx is great for scheduling", "I love it."))))
    out = io.StringIO()
    call_command("listen", "add", "Brand", "--query", "keryx", "--networks", "reddit",
                 "--user", "alice@example.com", "--json", stdout=out)
    out = io.StringIO()
    call_command("listen", "results", "Brand", "--user", "alice@example.com", "--json",
                 stdout=out)
    assert json.loads(out.getvalue()) == []
    out = io.StringIO()
    call_command("listen", "run", "Brand", "--user", "alice@example.com", "--json", stdout=out)
    out = io.StringIO()
    call_command("listen", "results", "Brand", "--user", "alice@example.com", "--json",
                 stdout=out)
    [found] = json.loads(out.getvalue())
    assert found["network"] == "reddit" and found["remote_id"] == "t3_c1"
    assert found["author"] == "fan" and found["sentiment"] == "positive"
    assert found["text"] == "Keryx is great for scheduling\nI love it."
