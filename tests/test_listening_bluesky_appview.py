"""Listening on Bluesky's own test network (PLC, PDS and AppView, @atproto/dev-env): accounts
post with and without the keyword and hashtag; app.bsky.feed.searchPosts through the
workspace's Bluesky channel finds only the matching ones, once each, with language and
sentiment."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from keryx.channels.connect import connect_bluesky
from keryx.listening import services
from keryx.listening.models import Result
from tests.fixtures.bluesky_appview import wait_until

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=True)]

WORD = f"zorbaspresso{os.getpid()}"


def create(network, account, text: str, **extra) -> dict:
    record = {"$type": "app.bsky.feed.post", "text": text, **extra,
              "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
    response = network.xrpc_post("com.atproto.repo.createRecord",
                                 {"repo": account.did, "collection": "app.bsky.feed.post",
                                  "record": record}, account.access_jwt)
    assert response.status_code == 200, response.text
    return response.json()


def test_search_posts_finds_matching_posts_once(people, bluesky_network, settings):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    net = bluesky_network
    me, fan, other = (net.create_account(n) for n in ("me", "fan", "other"))
    good = create(net, fan, f"Ο {WORD} είναι υπέροχος, τον λατρεύω!", langs=["el"])
    create(net, other, "Just a quiet day, nothing else.", langs=["en"])

    def indexed() -> bool:
        response = net.http.get("/xrpc/app.bsky.feed.searchPosts", params={"q": WORD},
                                headers={"Authorization": f"Bearer {me.access_jwt}"})
        return response.status_code == 200 and bool(response.json().get("posts"))
    wait_until(indexed, "the post in searchPosts")
    connect_bluesky(people.acme, people.alice, me.handle, me.app_password, service=net.url)
    search = services.create_search(people.acme, name="Sky", query=WORD, networks=["bluesky"])
    run = services.run_search(search)
    assert run.errors == {}
    [result] = Result.objects.filter(workspace=people.acme)
    assert result.remote_id == good["uri"] and result.network == "bluesky"
    assert (result.language, result.sentiment) == ("el", "positive")
    assert services.run_search(search).new_results == 0
