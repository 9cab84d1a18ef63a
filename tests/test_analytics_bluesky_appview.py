"""Real Bluesky counts: Keryx publishes to the test network's PDS, other accounts follow, like,
repost, reply and quote, the AppView indexes them, and `keryx metrics collect` reads them back
through the PDS (which proxies app.bsky.* to the AppView)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from keryx.channels.connect import connect_bluesky
from keryx.publishing import services
from keryx.publishing.models import PostTarget, TargetState
from tests.fixtures.bluesky_appview import wait_until
from tests.support.engine import run_due

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def keryx(*args: str) -> object:
    out = io.StringIO()
    call_command(*args, "--user", "alice@example.com", "--json", stdout=out)
    return json.loads(out.getvalue())


def create(network, account, collection: str, record: dict) -> dict:
    record = {"$type": collection, "createdAt": datetime.now(UTC).isoformat()
              .replace("+00:00", "Z"), **record}
    response = network.xrpc_post("com.atproto.repo.createRecord",
                                 {"repo": account.did, "collection": collection,
                                  "record": record}, account.access_jwt)
    assert response.status_code == 200, response.text
    return response.json()


def appview(network, account, nsid: str, **params) -> dict:
    response = network.http.get(f"/xrpc/{nsid}", params=params,
                                headers={"Authorization": f"Bearer {account.access_jwt}"})
    response.raise_for_status()
    return response.json()


def indexed(network, account, nsid: str, **params) -> dict:
    """Like appview(), but an actor the AppView has not indexed yet (400) reads as nothing
    yet, so polling goes on: indexing is asynchronous."""
    response = network.http.get(f"/xrpc/{nsid}", params=params,
                                headers={"Authorization": f"Bearer {account.access_jwt}"})
    if response.status_code == 400:
        return {}
    response.raise_for_status()
    return response.json()


def test_counts_from_the_appview_reach_the_figures(people, bluesky_network, settings):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    author = bluesky_network.create_account("author")
    fans = [bluesky_network.create_account(name) for name in ("bob", "carol")]
    for fan in fans:
        create(bluesky_network, fan, "app.bsky.graph.follow", {"subject": author.did})
    wait_until(lambda: indexed(bluesky_network, author, "app.bsky.actor.getProfile",
                               actor=author.did).get("followersCount") == 2, "two followers")

    sky = connect_bluesky(people.acme, people.alice, author.handle, author.app_password,
                          service=bluesky_network.url, name="Sky")
    post = services.create_post(workspace=people.acme, author=people.alice,
                                text="Πόσοι θα το δουν;", channels=[sky],
                                scheduled_at=timezone.now(), actor="alice")
    assert run_due() == [TargetState.PUBLISHED]
    target = PostTarget.objects.get(post=post)
    uri = target.remote_id
    wait_until(lambda: appview(bluesky_network, author, "app.bsky.feed.getPosts",
                               uris=[uri])["posts"] != [], "the post")
    cid = appview(bluesky_network, author, "app.bsky.feed.getPosts", uris=[uri])["posts"][0]["cid"]
    subject = {"uri": uri, "cid": cid}
    for fan in fans:
        create(bluesky_network, fan, "app.bsky.feed.like", {"subject": subject})
    create(bluesky_network, fans[0], "app.bsky.feed.repost", {"subject": subject})
    create(bluesky_network, fans[1], "app.bsky.feed.post",
           {"text": "συμφωνώ", "reply": {"root": subject, "parent": subject}})
    create(bluesky_network, fans[0], "app.bsky.feed.post",
           {"text": "δείτε αυτό", "embed": {"$type": "app.bsky.embed.record",
                                            "record": subject}})

    def counted() -> bool:
        view = appview(bluesky_network, author, "app.bsky.feed.getPosts", uris=[uri])["posts"]
        return bool(view) and (view[0].get("likeCount"), view[0].get("repostCount"),
                               view[0].get("replyCount"), view[0].get("quoteCount")) == (2, 1, 1, 1)
    wait_until(counted, "2 likes, 1 repost, 1 reply, 1 quote")

    [report] = keryx("metrics", "collect")
    assert report["status"] == "ok", report
    assert report["followers"] == 2 and report["posts_collected"] == 1

    [row] = keryx("analytics", "posts")
    assert row["remote_id"] == uri and row["followers"] == 2
    assert (row["likes"], row["shares"], row["comments"], row["quotes"]) == (2, 1, 1, 1)
    assert row["impressions"] is None and row["reach"] is None
    # Saves are bookmarkCount, which this AppView may or may not report: never guessed.
    parts = 2 + 1 + 1 + (row["saves"] or 0)
    assert row["engagements"] == parts
    assert row["engagement_rate"]["by_followers"] == pytest.approx(parts / 2 * 100)
