"""A post's language reaches the networks that take one: detected offline from each channel's
text when the author leaves it to Keryx (a Greek variant is Greek even when the post's main
text is English), or the author's choice. Read back from the real Bluesky PDS (the record's
`langs`) and from mastodon-mock (the status's `language`), published by the real dispatcher."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from keryx.channels.connect import connect_bluesky, connect_mastodon_token
from keryx.publishing import services
from keryx.publishing.dispatcher import Dispatcher
from keryx.publishing.models import PostTarget, TargetState
from keryx.publishing.requests import language_of

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=True)]

GREEK = "Καλημέρα από την Αθήνα! Σήμερα ανοίγει το νέο μας κατάστημα στο Παγκράτι."
ENGLISH = "Good morning from Athens! Our new shop opens today in Pagrati, come and say hello."


def test_language_of_prefers_the_choice_and_detects_otherwise():
    assert language_of("", GREEK) == "el"
    assert language_of("", ENGLISH) == "en"
    assert language_of("de", ENGLISH) == "de"
    assert language_of("", "🎉🎉 👍") == ""  # nothing to tell: no language is sent


@pytest.fixture
def dispatcher() -> Iterator[Dispatcher]:
    running = Dispatcher(threads=4, poll_interval=0.1, worker_id="language-e2e")
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.stop()
        thread.join(30)


def published(post) -> dict[int, PostTarget]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        targets = list(PostTarget.objects.filter(post=post).select_related("channel"))
        if targets and all(t.state == TargetState.PUBLISHED for t in targets):
            return {t.channel_id: t for t in targets}
        assert not any(t.state == TargetState.FAILED for t in targets), [
            (t.state, t.last_error) for t in targets]
        time.sleep(0.1)
    raise AssertionError("not published in 60 s")


def test_detected_and_chosen_languages_reach_bluesky_and_mastodon(
        people, bluesky_pds, bluesky_account, mastodon, dispatcher, settings):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    acme, alice = people.acme, people.alice
    account = mastodon.new_account("lang")
    sky = connect_bluesky(acme, alice, bluesky_account.handle, bluesky_account.app_password,
                          service=bluesky_pds.url, name="Sky")
    toot = connect_mastodon_token(acme, alice, mastodon.url, account.access_token, name="Toot")

    # Left to Keryx: English on Mastodon, the Greek variant on Bluesky.
    post = services.create_post(workspace=acme, author=alice, text=ENGLISH, channels=[sky, toot],
                                variants={sky.pk: {"text": GREEK}}, actor="alice")
    targets = published(post)
    status = mastodon.status(targets[toot.pk].remote_id, account.access_token)
    assert status["language"] == "en"
    record = next(r for r in bluesky_pds.list_records(bluesky_account.did)
                  if r["uri"] == targets[sky.pk].remote_id)
    assert record["value"]["langs"] == ["el"]

    # The author's choice wins over detection.
    chosen = services.create_post(workspace=acme, author=alice, text=ENGLISH, channels=[toot],
                                  actor="alice", language="el")
    assert chosen.language == "el"
    target = published(chosen)[toot.pk]
    assert mastodon.status(target.remote_id, account.access_token)["language"] == "el"
