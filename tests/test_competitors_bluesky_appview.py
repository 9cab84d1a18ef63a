"""Competitors on Bluesky's own test network (PLC, PDS and AppView, @atproto/dev-env): a rival
account posts, is followed, liked and reposted; the AppView indexes it (polled); Keryx follows it
through the workspace's Bluesky channel (getProfile and getAuthorFeed through the channel's PDS)
and reads the counts back. Then an unknown handle, an upper-case handle, and the rival
deactivating its account (marked gone, history kept). One file: the network is slow to start."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from keryx.analytics import competitors
from keryx.analytics.models import Competitor, CompetitorSnapshot, JobStatus
from keryx.channels.connect import connect_bluesky
from tests.fixtures.bluesky_appview import wait_until

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


def appview(network, viewer, nsid: str, **params) -> dict:
    """What the AppView answers through the PDS; 400 (not indexed yet, or gone) as {}."""
    response = network.http.get(f"/xrpc/{nsid}", params=params,
                                headers={"Authorization": f"Bearer {viewer.access_jwt}"})
    if response.status_code == 400:
        return {}
    response.raise_for_status()
    return response.json()


def test_a_bluesky_rival_read_through_the_channel(people, bluesky_network, settings):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    net = bluesky_network
    me = net.create_account("me")
    rival = net.create_account("rival")
    fans = [net.create_account(name) for name in ("bob", "carol")]
    one = create(net, rival, "app.bsky.feed.post", {"text": "Καλημέρα από τον αντίπαλο"})
    two = create(net, rival, "app.bsky.feed.post", {"text": "Δεύτερη ανάρτηση"})
    subject = {"uri": one["uri"], "cid": one["cid"]}
    # A reply of its own: not a top-level post, left out.
    create(net, rival, "app.bsky.feed.post",
           {"text": "απάντηση", "reply": {"root": subject, "parent": subject}})
    for fan in fans:
        create(net, fan, "app.bsky.graph.follow", {"subject": rival.did})
        create(net, fan, "app.bsky.feed.like", {"subject": subject})
    create(net, fans[0], "app.bsky.feed.repost", {"subject": {"uri": two["uri"],
                                                              "cid": two["cid"]}})

    def indexed() -> bool:
        profile = appview(net, me, "app.bsky.actor.getProfile", actor=rival.did)
        feed = appview(net, me, "app.bsky.feed.getAuthorFeed", actor=rival.did,
                       filter="posts_no_replies").get("feed") or []
        counts = {item["post"]["uri"]: (item["post"].get("likeCount"),
                                        item["post"].get("repostCount"),
                                        item["post"].get("replyCount")) for item in feed}
        return (profile.get("followersCount") == 2
                and counts.get(one["uri"]) == (2, 0, 1) and counts.get(two["uri"]) == (0, 1, 0))
    wait_until(indexed, "2 followers, 2 likes, 1 repost, 1 reply")

    channel = connect_bluesky(people.acme, people.alice, me.handle, me.app_password,
                              service=net.url, name="Sky")
    with pytest.raises(CommandError, match="no account"):
        keryx("competitors", "add", "bluesky", "nobody-here.test")
    with pytest.raises(CommandError, match="a handle is a domain name"):
        keryx("competitors", "add", "bluesky", "Αντίπαλος")
    # Upper case: handles are case-insensitive.
    added = keryx("competitors", "add", "bluesky", "@" + rival.handle.upper())
    assert added["handle"] == rival.handle and added["ref"] == rival.did
    assert added["status"] == "ok", added
    competitor = Competitor.objects.get(pk=added["id"])
    assert competitor.channel == channel
    [snap] = CompetitorSnapshot.objects.filter(competitor=competitor)
    assert (snap.followers, snap.window_posts) == (2, 2)
    # one: 2 likes + 1 reply; two: 1 repost. Saves (bookmarkCount) only where the AppView
    # gives them.
    assert (snap.avg_likes, snap.avg_comments, snap.avg_shares) == (1.0, 0.5, 0.5)
    assert snap.avg_engagement_rate == pytest.approx(((2 + 1) / 2 * 100 + 1 / 2 * 100) / 2)
    assert "followers when read" in snap.engagement_rate_formula

    [row] = keryx("competitors", "list")["competitors"]
    assert row["followers"] == 2 and row["network"] == "bluesky"
    assert row["posts_per_week"] == round(2 / 30 * 7, 2)

    # The rival deactivates its account: the AppView stops showing it (polled), Keryx marks it
    # gone and keeps its readings.
    response = net.xrpc_post("com.atproto.server.deactivateAccount", {}, rival.access_jwt)
    assert response.status_code == 200, response.text
    wait_until(lambda: appview(net, me, "app.bsky.actor.getProfile", actor=rival.did) == {},
               "the deactivated account gone")
    assert competitors.read_now(competitor) == JobStatus.GONE
    competitor.refresh_from_db()
    assert competitor.gone_at is not None and competitor.due_at is None
    assert CompetitorSnapshot.objects.filter(competitor=competitor).count() == 1
