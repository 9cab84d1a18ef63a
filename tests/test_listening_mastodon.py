"""Listening on Mastodon against mastodon-mock: seeded accounts post public statuses with and
without the hashtag or keyword (and unlisted, private, direct ones); only the public matching
ones are found, once each however often the search runs, with their language and sentiment.
Then `keryx listen` from the command line, the periodic job's claim, irrelevant and inbox."""

from __future__ import annotations

import io
import itertools
import json
import os
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from keryx.channels.connect import connect_mastodon_token
from keryx.listening import services
from keryx.listening.models import Match, Result, SavedSearch, SourceState

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=True)]

COUNTER = itertools.count()


def keryx(*args: str, user: str = "alice@example.com") -> object:
    out = io.StringIO()
    call_command(*args, "--user", user, "--json", stdout=out)
    return json.loads(out.getvalue())


def post(mastodon, account, text: str, **data: str) -> str:
    response = mastodon.api("POST", "/api/v1/statuses", account.access_token,
                            data={"status": text, **data})
    response.raise_for_status()
    return str(response.json()["id"])


@pytest.fixture
def world(people, mastodon):
    # The server is shared by the session: each test its own hashtag and keyword.
    global TAG, WORD
    n = next(COUNTER)
    TAG, WORD = f"keryxlisten{os.getpid()}n{n}", f"zorbacoffee{os.getpid()}n{n}"
    me = mastodon.new_account("me")
    channel = connect_mastodon_token(people.acme, people.alice, mastodon.url, me.access_token,
                                     name="Toot")
    fan, critic, other = (mastodon.new_account(n) for n in ("fan", "critic", "other"))
    ids = {
        "tag_el": post(mastodon, fan, f"Υπέροχος καφές, τον λατρεύω! #{TAG}", language="el"),
        "word_en": post(mastodon, critic,
                        f"The {WORD} was terrible, cold and awful. I hate it.", language="en"),
        "unlisted": post(mastodon, fan, f"#{TAG} unlisted one", visibility="unlisted"),
        "private": post(mastodon, fan, f"#{TAG} followers only", visibility="private"),
        "direct": post(mastodon, fan, f"@{critic.username} #{TAG} secret", visibility="direct"),
        "other": post(mastodon, other, "Nothing to see here, just a nice day.", language="en"),
    }
    return channel, ids


def test_only_public_matching_statuses_found_once(people, world):
    channel, ids = world
    search = services.create_search(people.acme, name="Brand", query=f"#{TAG} OR {WORD}",
                                    networks=["mastodon"])
    run = services.run_search(search)
    assert run.errors == {}
    found = {r.remote_id: r for r in Result.objects.filter(workspace=people.acme)}
    assert set(found) == {ids["tag_el"], ids["word_en"]}
    # Unlisted, followers-only and direct statuses are not results (the server leaves them
    # out of public timelines; the provider drops any non-public one it is given, counted).
    greek, english = found[ids["tag_el"]], found[ids["word_en"]]
    assert (greek.language, greek.sentiment) == ("el", "positive")
    assert (english.language, english.sentiment) == ("en", "negative")
    assert "<" not in greek.text and greek.text.startswith("Υπέροχος καφές")
    assert greek.author_handle.startswith("fan") and greek.url
    # Again: stored once, matched once.
    again = services.run_search(search)
    assert again.new_results == 0 and again.new_matches == 0
    assert Result.objects.filter(workspace=people.acme).count() == 2
    assert Match.objects.filter(search=search).count() == 2
    # A second search matching the same status shares the stored result.
    second = services.create_search(people.acme, name="Tag only", hashtags=[TAG],
                                    networks=["mastodon"])
    services.run_search(second)
    assert Result.objects.filter(workspace=people.acme).count() == 2
    assert [m.result.remote_id for m in services.results(second)] == [ids["tag_el"]]


def test_languages_not_asked_are_dropped_and_counted(people, world):
    _channel, ids = world
    search = services.create_search(people.acme, name="Greek", query=f"#{TAG} OR {WORD}",
                                    networks=["mastodon"], languages=["el"])
    run = services.run_search(search)
    assert [m.result.remote_id for m in services.results(search)] == [ids["tag_el"]]
    assert run.dropped_language == 1


def test_cli_add_run_results_list(people, world):
    _channel, ids = world
    added = keryx("listen", "add", "Cli", "--query", f'"{WORD}" AND NOT sunshine',
                  "--networks", "mastodon", "--languages", "el,en",
                  "--alert-webhook", "https://hooks.example/keryx")
    assert added["alert_webhook_url"] == "https://hooks.example/keryx"
    ran = keryx("listen", "run", "Cli")
    assert ran["new_matches"] == 1 and ran["errors"] == {}
    [row] = keryx("listen", "results", "Cli")
    assert {k: row[k] for k in ("network", "remote_id", "author", "language", "sentiment",
                                "search")} == {
        "network": "mastodon", "remote_id": ids["word_en"], "author": row["author"],
        "language": "en", "sentiment": "negative", "search": "Cli"}
    assert row["text"].startswith("The ") and row["url"] and row["published_at"]
    assert keryx("listen", "results", "Cli", "--since", "2999-01-01") == []
    [listed] = keryx("listen", "list")
    assert listed["name"] == "Cli" and listed["results"] == 1
    with pytest.raises(CommandError, match="has nothing after it"):
        keryx("listen", "add", "Bad", "--query", "coffee AND")
    with pytest.raises(CommandError, match="exists already"):
        keryx("listen", "add", "Cli", "--query", "x")
    with pytest.raises(CommandError, match="No saved search named"):
        keryx("listen", "results", "Nope")
    with pytest.raises(CommandError):  # a viewer may read, not add
        keryx("listen", "add", "V", "--query", "x", user="charlie@example.com")


def test_periodic_claim_irrelevant_and_inbox(people, world):
    _channel, ids = world
    search = services.create_search(people.acme, name="Poll", query=WORD,
                                    networks=["mastodon"])
    now = timezone.now()
    assert services.poll_due(now=now) == 1
    assert services.poll_due(now=now) == 0  # claimed for this period
    assert services.poll_due(now=now + timedelta(minutes=5)) == 1
    result = Result.objects.get(workspace=people.acme, remote_id=ids["word_en"])
    services.mark_irrelevant(result, people.alice)
    assert services.results(search).count() == 0
    assert services.results(search, include_irrelevant=True).count() == 1
    item = services.send_to_inbox(result, people.alice)
    assert item.remote_id == ids["word_en"] and item.channel.network == "mastodon"
    assert services.send_to_inbox(result, people.alice).pk == item.pk
    [row] = [r for r in services.budget(people.acme) if r["network"] == "mastodon"]
    assert row["limit"] == 300 and row["ok"] and row["used"] >= 1


def test_no_channel_says_so_on_the_search_and_others_run(people, mastodon):
    search = services.create_search(people.acme, name="No channel", query="x",
                                    networks=["mastodon"])
    run = services.run_search(search)
    assert "No connected mastodon channel" in run.errors["mastodon"]
    search.refresh_from_db()
    assert "No connected mastodon channel" in search.last_error
    assert SourceState.objects.get(search=search, network="mastodon").last_error
    assert SavedSearch.objects.count() == 1


def test_a_named_server_is_searched_without_an_account_there(people, world, mastodon, settings):
    _channel, ids = world
    # Globex has no Mastodon channel: the named server's public hashtag timeline is the source.
    search = services.create_search(people.globex, name="Elsewhere", hashtags=[TAG],
                                    networks=["mastodon"], servers=[mastodon.url + "/"])
    assert search.servers == [mastodon.url]
    run = services.run_search(search)
    assert run.errors == {}
    assert [m.result.remote_id for m in services.results(search)] == [ids["tag_el"]]
    [state] = SourceState.objects.filter(search=search)
    assert state.key == f"server:{mastodon.url}" and state.last_success_at
    assert services.run_search(search).new_results == 0  # since_id kept, nothing twice
    # Words cannot be searched without an account there: said on the source.
    words = services.create_search(people.globex, name="Words", query=WORD,
                                   networks=["mastodon"], servers=[mastodon.url])
    ran = services.run_search(words)
    assert "only hashtags" in ran.errors[f"mastodon:server:{mastodon.url}"]
    # Where the workspace has a channel on that server, the channel searches (with its token).
    acme = services.create_search(people.acme, name="Own", hashtags=[TAG],
                                  networks=["mastodon"], servers=[mastodon.url])
    services.run_search(acme)
    assert [s.key for s in SourceState.objects.filter(search=acme)] == [
        f"channel:{_channel.pk}"]


def test_a_named_server_goes_through_the_private_address_guard(people, world, mastodon,
                                                               settings):
    search = services.create_search(people.globex, name="Guarded", hashtags=[TAG],
                                    networks=["mastodon"], servers=[mastodon.url])
    settings.ALLOWED_PRIVATE_HOSTS = []
    run = services.run_search(search)
    [error] = run.errors.values()
    assert "private" in error.lower() or "loopback" in error.lower()
    assert Result.objects.filter(workspace=people.globex).count() == 0


def test_bad_server_names_are_refused_with_the_field(people, mastodon):
    with pytest.raises(services.ListeningError) as refused:
        services.create_search(people.acme, name="Bad", hashtags=["x"], networks=["mastodon"],
                               servers=["https://mastodon.social/@someone"])
    assert refused.value.field == "servers" and "mastodon.social/@someone" in str(refused.value)
    with pytest.raises(services.ListeningError) as refused:
        services.create_search(people.acme, name="Bad2", hashtags=["x"], networks=["rss"],
                               feeds=["https://news.example/feed"], servers=["mastodon.social"])
    assert refused.value.field == "servers"
    out = keryx("listen", "add", "Cli server", "--query", "#kafes",
                "--networks", "mastodon", "--server", "Mastodon.Social")
    assert out["servers"] == ["https://mastodon.social"]
