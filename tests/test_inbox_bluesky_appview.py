"""The inbox against Bluesky's own test network (PLC + PDS + AppView, @atproto/dev-env):
other accounts reply under a post Keryx published, answer each other in that thread, mention
the brand and quote the post; `keryx inbox sync` stores each once however often it runs;
`keryx inbox reply` lands in the right thread (root and parent as the AppView indexed them),
exactly once even when the first attempt's outcome was lost; `keryx inbox hide` writes the
reply into the thread gate's hiddenReplies.

The chat service (chat.bsky.convo) is not part of dev-env: direct messages are tested at the
HTTP seam (tests/test_inbox_bluesky_contract.py). Here the sync still succeeds and says, on
the channel's sync state, that direct messages were not read.

The AppView indexes asynchronously: every check polls with a timeout (wait_until)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from keryx.channels.connect import connect_bluesky
from keryx.channels.providers import provider_for
from keryx.inbox import services
from keryx.inbox.models import (
    InboxItem,
    ModerationLog,
    ModerationRule,
    Reply,
    ReplyState,
    SyncState,
)
from keryx.networks import http as net_http
from keryx.networks.base import OutcomeUnknown
from keryx.publishing import services as publishing
from keryx.publishing.models import PostTarget, TargetState
from tests.fixtures.bluesky_appview import wait_until
from tests.support.engine import run_due

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def inbox(*args: str) -> str:
    out = io.StringIO()
    call_command("inbox", *args, "--user", "alice@example.com", stdout=out)
    return out.getvalue()


def create(network, account, collection: str, record: dict) -> dict:
    record = {"$type": collection,
              "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"), **record}
    response = network.xrpc_post("com.atproto.repo.createRecord",
                                 {"repo": account.did, "collection": collection,
                                  "record": record}, account.access_jwt)
    assert response.status_code == 200, response.text
    return response.json()


def appview_post(network, account, uri: str) -> dict | None:
    response = network.http.get("/xrpc/app.bsky.feed.getPosts", params={"uris": [uri]},
                                headers={"Authorization": f"Bearer {account.access_jwt}"})
    response.raise_for_status()
    posts = response.json()["posts"]
    return posts[0] if posts else None


def our_replies_to(network, account, parent_uri: str) -> list[dict]:
    return [r for r in network.list_records(account.did)
            if (r["value"].get("reply") or {}).get("parent", {}).get("uri") == parent_uri]


@pytest.fixture
def world(people, bluesky_network, settings):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    brand = bluesky_network.create_account("brand")
    bob = bluesky_network.create_account("bob")
    carol = bluesky_network.create_account("carol")
    sky = connect_bluesky(people.acme, people.alice, brand.handle, brand.app_password,
                          service=bluesky_network.url, name="sky")
    post = publishing.create_post(workspace=people.acme, author=people.alice,
                                  text="Το κατάστημα ανοίγει σήμερα", channels=[sky],
                                  scheduled_at=timezone.now(), actor="alice")
    assert run_due() == [TargetState.PUBLISHED]
    target = PostTarget.objects.get(post=post)
    wait_until(lambda: appview_post(bluesky_network, brand, target.remote_id) is not None,
               "the published post")
    view = appview_post(bluesky_network, brand, target.remote_id)
    subject = {"uri": view["uri"], "cid": view["cid"]}
    return {"brand": brand, "bob": bob, "carol": carol, "channel": sky, "post": post,
            "subject": subject}


def test_sync_reply_hide(bluesky_network, world):
    net, brand, bob, carol = bluesky_network, world["brand"], world["bob"], world["carol"]
    subject = world["subject"]
    comment = create(net, bob, "app.bsky.feed.post",
                     {"text": "Τέλεια! <b>not bold</b>", "langs": ["el"],
                      "reply": {"root": subject, "parent": subject}})
    comment_ref = {"uri": comment["uri"], "cid": comment["cid"]}
    # Carol answers Bob, in the thread under our post (it notifies Bob, not necessarily us).
    deeper = create(net, carol, "app.bsky.feed.post",
                    {"text": "I agree with Bob", "reply": {"root": subject,
                                                           "parent": comment_ref}})
    text = f"hello @{brand.handle} from elsewhere"
    start = len(b"hello ")
    mention = create(net, bob, "app.bsky.feed.post", {
        "text": text, "facets": [{"index": {"byteStart": start, "byteEnd": len(text.encode())},
                                  "features": [{"$type": "app.bsky.richtext.facet#mention",
                                                "did": brand.did}]}]})
    quote = create(net, carol, "app.bsky.feed.post",
                   {"text": "look at this", "embed": {"$type": "app.bsky.embed.record",
                                                      "record": subject}})
    wanted = {comment["uri"], deeper["uri"], mention["uri"], quote["uri"]}
    provider = provider_for(world["channel"])
    wait_until(lambda: wanted <= {i.remote_id for i in provider.fetch_inbox(None)},
               "the reply, the reply under it, the mention and the quote")

    first = json.loads(inbox("sync", "--json"))
    second = json.loads(inbox("sync", "--json"))
    assert first == [{"channel": "sky", "fetched": 4, "new": 4, "error": None}]
    assert second[0]["new"] == 0 and second[0]["error"] is None
    assert InboxItem.objects.count() == 4
    # dev-env has no chat service: the posts are stored and the sync state says why no DMs.
    assert "Direct messages were not read" in SyncState.objects.get().last_error

    listed = {i["remote_id"]: i for i in json.loads(inbox("list", "--json"))}
    assert set(listed) == wanted
    c = listed[comment["uri"]]
    assert c["kind"] == "comment" and c["network"] == "bluesky"
    assert c["post_id"] == world["post"].pk
    assert c["author"]["handle"] == bob.handle and c["language"] == "el"
    assert c["text"] == "Τέλεια! <b>not bold</b>"  # plain text as typed, never markup
    assert listed[deeper["uri"]]["kind"] == "comment"
    assert listed[deeper["uri"]]["post_id"] == world["post"].pk
    assert listed[mention["uri"]]["kind"] == "mention"
    assert listed[mention["uri"]]["text"] == text and listed[mention["uri"]]["post_id"] is None
    assert listed[quote["uri"]]["kind"] == "mention"

    # The reply, in the thread: root = our post, parent = the comment.
    item = InboxItem.objects.get(remote_id=comment["uri"])
    answer = json.loads(inbox("reply", str(item.pk), "Σας ευχαριστούμε!", "--json"))
    assert answer["state"] == "sent"
    wait_until(lambda: appview_post(net, brand, answer["remote_id"]) is not None, "our reply")
    record = appview_post(net, brand, answer["remote_id"])["record"]
    assert record["reply"]["root"] == subject
    assert record["reply"]["parent"] == comment_ref
    # A reply to the mention starts a thread under the mention: root = parent = the mention.
    m_item = InboxItem.objects.get(remote_id=mention["uri"])
    m_answer = json.loads(inbox("reply", str(m_item.pk), "Hello back", "--json"))
    m_ref = {"uri": mention["uri"], "cid": mention["cid"]}
    wait_until(lambda: appview_post(net, brand, m_answer["remote_id"]) is not None,
               "our answer to the mention")
    m_record = appview_post(net, brand, m_answer["remote_id"])["record"]
    assert m_record["reply"] == {"root": m_ref, "parent": m_ref}
    # A sent reply retried sends nothing more; our answers are not items on the next sync.
    services.retry_reply(Reply.objects.get(pk=answer["id"]))
    assert len(our_replies_to(net, brand, comment["uri"])) == 1
    assert json.loads(inbox("sync", "--json"))[0]["new"] == 0

    # Hide Bob's reply under our post: the thread gate of our post lists it.
    inbox("hide", str(item.pk))
    assert InboxItem.objects.get(pk=item.pk).hidden
    rkey = subject["uri"].rsplit("/", 1)[-1]
    gate = net.get_record(brand.did, "app.bsky.feed.threadgate", rkey)
    assert gate["value"]["post"] == subject["uri"]
    assert gate["value"]["hiddenReplies"] == [comment["uri"]]
    assert "allow" not in gate["value"]  # who may reply is left as it was: anyone
    # The mention is not in a thread of ours: Bluesky cannot hide it, and Keryx says so.
    with pytest.raises(CommandError, match="threads that start with one of this account"):
        inbox("hide", str(m_item.pk))
    assert not InboxItem.objects.get(pk=m_item.pk).hidden


def test_lost_outcome_is_settled_once(bluesky_network, world, monkeypatch):
    net, brand, bob = bluesky_network, world["brand"], world["bob"]
    subject = world["subject"]
    comment = create(net, bob, "app.bsky.feed.post",
                     {"text": "When do you open?", "reply": {"root": subject,
                                                            "parent": subject}})
    provider = provider_for(world["channel"])
    wait_until(lambda: comment["uri"] in {i.remote_id for i in provider.fetch_inbox(None)},
               "the reply")
    inbox("sync")
    item = InboxItem.objects.get(remote_id=comment["uri"])

    # The first attempt reaches the PDS, and its answer is lost on the way back.
    original = net_http.HttpSeam.request

    def lose_answer(self, method, url, **kwargs):
        response = original(self, method, url, **kwargs)
        if url.endswith("/com.atproto.repo.createRecord"):
            raise OutcomeUnknown("the PDS did not answer after the request was sent")
        return response

    monkeypatch.setattr(net_http.HttpSeam, "request", lose_answer)
    with pytest.raises(CommandError, match="unknown"):
        inbox("reply", str(item.pk), "At nine.")
    monkeypatch.undo()
    reply = Reply.objects.get(item=item)
    assert reply.state == ReplyState.UNKNOWN
    assert len(our_replies_to(net, brand, comment["uri"])) == 1  # it did get through

    settled = services.retry_reply(reply)
    assert settled.state == ReplyState.SENT
    made = our_replies_to(net, brand, comment["uri"])
    assert [r["uri"] for r in made] == [settled.remote_id]
    # Even a retry that did not look first cannot make a second post: the record key is the
    # reply's idempotency key.
    again = provider.reply_to(services.remote_item(item), "At nine.", reply.idempotency_key)
    assert again.remote_id == settled.remote_id
    assert len(our_replies_to(net, brand, comment["uri"])) == 1


def test_deleted_before_reply_keeps_the_draft(bluesky_network, world):
    net, bob = bluesky_network, world["bob"]
    subject = world["subject"]
    comment = create(net, bob, "app.bsky.feed.post",
                     {"text": "soon gone", "reply": {"root": subject, "parent": subject}})
    provider = provider_for(world["channel"])
    wait_until(lambda: comment["uri"] in {i.remote_id for i in provider.fetch_inbox(None)},
               "the reply")
    inbox("sync")
    item = InboxItem.objects.get(remote_id=comment["uri"])
    response = net.xrpc_post("com.atproto.repo.deleteRecord",
                             {"repo": bob.did, "collection": "app.bsky.feed.post",
                              "rkey": comment["uri"].rsplit("/", 1)[-1]}, bob.access_jwt)
    assert response.status_code == 200, response.text
    wait_until(lambda: appview_post(net, bob, comment["uri"]) is None, "the deletion")
    with pytest.raises(CommandError, match="deleted on the network"):
        inbox("reply", str(item.pk), "My careful answer")
    kept = Reply.objects.get(item=item)
    assert kept.state == ReplyState.GONE and kept.text == "My careful answer"
    assert InboxItem.objects.get(pk=item.pk).deleted_remotely


def test_a_rule_hides_a_reply_while_away_and_undo_unhides_it(bluesky_network, world, people):
    net, brand, bob = bluesky_network, world["brand"], world["bob"]
    subject = world["subject"]
    ModerationRule.objects.create(workspace=people.acme, name="casino", priority=1,
                                  keywords=["casino"], action="hide")
    spam = create(net, bob, "app.bsky.feed.post",
                  {"text": "Best CASINO bonus here", "reply": {"root": subject,
                                                               "parent": subject}})
    elsewhere = create(net, bob, "app.bsky.feed.post",
                       {"text": f"casino talk, cc @{brand.handle}", "facets": [{
                           "index": {"byteStart": len(b"casino talk, cc "),
                                     "byteEnd": len(f"casino talk, cc @{brand.handle}")},
                           "features": [{"$type": "app.bsky.richtext.facet#mention",
                                         "did": brand.did}]}]})
    provider = provider_for(world["channel"])
    wait_until(lambda: {spam["uri"], elsewhere["uri"]}
               <= {i.remote_id for i in provider.fetch_inbox(None)}, "the spam and the mention")
    inbox("sync")
    rkey = subject["uri"].rsplit("/", 1)[-1]
    hidden = InboxItem.objects.get(remote_id=spam["uri"])
    assert hidden.hidden
    gate = net.get_record(brand.did, "app.bsky.feed.threadgate", rkey)
    assert gate["value"]["hiddenReplies"] == [spam["uri"]]
    # The mention is outside our threads: the rule's log says Bluesky refused, it stays visible.
    shown = InboxItem.objects.get(remote_id=elsewhere["uri"])
    assert not shown.hidden
    refused = ModerationLog.objects.get(item=shown)
    assert not refused.applied and "thread gate" in refused.message

    services.revert_moderation(ModerationLog.objects.get(item=hidden), people.alice)
    assert not InboxItem.objects.get(pk=hidden.pk).hidden
    gate = net.get_record(brand.did, "app.bsky.feed.threadgate", rkey)
    assert gate["value"]["hiddenReplies"] == []
