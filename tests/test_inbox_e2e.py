"""The inbox end to end against mastodon-mock: another account comments on a status Keryx
published, mentions the brand and sends it a DM; `keryx inbox sync` stores each once even when
run twice; Keryx's replies land in the right thread, once, and a DM answer stays direct."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from keryx.channels.connect import connect_mastodon_token
from keryx.core.cliutil import PERMISSION_DENIED_EXIT
from keryx.inbox import services
from keryx.inbox.models import InboxItem, Reply, ReplyState
from keryx.publishing import services as publishing
from keryx.publishing.models import PostTarget, TargetState

pytestmark = [pytest.mark.peers, pytest.mark.django_db]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("inbox", *args, "--user", "alice@example.com", stdout=out)
    return out.getvalue()


def post(mastodon, token: str, **data) -> dict:
    response = mastodon.api("POST", "/api/v1/statuses", token, data=data)
    response.raise_for_status()
    return response.json()


@pytest.fixture
def world(mastodon, people):
    brand = mastodon.new_account("brand")
    fan = mastodon.new_account("fan")
    channel = connect_mastodon_token(people.acme, people.alice, mastodon.url,
                                     brand.access_token, name="masto")
    keryx_post = publishing.create_post(workspace=people.acme, author=people.alice,
                                        text="Our shop opens today", channels=[channel],
                                        draft=True, actor="tests")
    status = post(mastodon, brand.access_token, status="Our shop opens today")
    PostTarget.objects.filter(post=keryx_post).update(state=TargetState.PUBLISHED,
                                                      remote_id=status["id"])
    return {"brand": brand, "fan": fan, "channel": channel, "post": keryx_post,
            "status": status}


def test_sync_reply_exactly_once(mastodon, world):
    fan, brand = world["fan"], world["brand"]
    comment = post(mastodon, fan.access_token, status="Lovely! <script>x</script>",
                   in_reply_to_id=world["status"]["id"])
    mention = post(mastodon, fan.access_token, status=f"@{brand.username} hi from elsewhere")
    dm = post(mastodon, fan.access_token, status=f"@{brand.username} Είστε ανοιχτά την Κυριακή;",
              visibility="direct")

    first = json.loads(run("sync", "--json"))
    second = json.loads(run("sync", "--json"))
    assert first == [{"channel": "masto", "fetched": 3, "new": 3, "error": None}]
    assert second[0]["new"] == 0
    assert InboxItem.objects.count() == 3

    listed = {i["remote_id"]: i for i in json.loads(run("list", "--json"))}
    assert set(listed) == {comment["id"], mention["id"], dm["id"]}
    c = listed[comment["id"]]
    assert c["kind"] == "comment" and c["post_id"] == world["post"].pk
    assert c["author"]["handle"] == fan.username
    assert c["text"] == "Lovely! <script>x</script>"  # plain text, as typed
    for key in ("id", "channel", "network", "kind", "author", "text", "language",
                "received_at", "status", "post_id", "remote_id", "moderation", "sentiment",
                "auto_reply"):
        assert key in c
    assert listed[mention["id"]]["kind"] == "mention" and listed[mention["id"]]["post_id"] is None
    assert listed[dm["id"]]["kind"] == "message" and listed[dm["id"]]["language"] == "el"

    dm_item = InboxItem.objects.get(remote_id=dm["id"])
    answer = json.loads(run("reply", str(dm_item.pk), "Ναι, 10 με 2.", "--json"))
    assert answer["state"] == "sent"
    sent = mastodon.status(answer["remote_id"], brand.access_token)
    assert sent["visibility"] == "direct" and sent["in_reply_to_id"] == dm["id"]

    comment_item = InboxItem.objects.get(remote_id=comment["id"])
    reply = json.loads(run("reply", str(comment_item.pk), "Thank you!", "--json"))
    sent = mastodon.status(reply["remote_id"])
    assert sent["in_reply_to_id"] == comment["id"] and sent["visibility"] == "public"
    # Retrying a reply row that is already sent sends nothing more.
    row = Reply.objects.get(pk=reply["id"])
    services.retry_reply(row)
    ours = [s for s in mastodon.statuses(brand) if s.get("in_reply_to_id") == comment["id"]]
    assert len(ours) == 1
    # Our answers are not inbox items on the next sync.
    assert json.loads(run("sync", "--json"))[0]["new"] == 0
    assert json.loads(run("list", "--status", "pending", "--json"))

    run("done", str(comment_item.pk))
    assert InboxItem.objects.get(pk=comment_item.pk).status == "done"


def test_unknown_outcome_is_looked_up_not_resent(mastodon, world):
    fan, brand = world["fan"], world["brand"]
    dm = post(mastodon, fan.access_token, status=f"@{brand.username} hello?",
              visibility="direct")
    run("sync")
    item = InboxItem.objects.get(remote_id=dm["id"])
    reply = services.send_reply(item, "Hello!")
    # As if the answer to the first attempt had been lost: the row says unknown.
    Reply.objects.filter(pk=reply.pk).update(state=ReplyState.UNKNOWN, remote_id="")
    settled = services.retry_reply(Reply.objects.get(pk=reply.pk))
    assert settled.state == ReplyState.SENT and settled.remote_id == reply.remote_id
    ours = [s for s in mastodon.statuses(brand) if s.get("in_reply_to_id") == dm["id"]]
    assert len(ours) == 1


def test_deleted_before_reply_keeps_the_draft(mastodon, world):
    fan = world["fan"]
    comment = post(mastodon, fan.access_token, status="soon gone",
                   in_reply_to_id=world["status"]["id"])
    run("sync")
    item = InboxItem.objects.get(remote_id=comment["id"])
    mastodon.api("DELETE", f"/api/v1/statuses/{comment['id']}", fan.access_token)
    with pytest.raises(CommandError, match="deleted on the network"):
        run("reply", str(item.pk), "My careful answer")
    kept = Reply.objects.get(item=item)
    assert kept.state == ReplyState.GONE and kept.text == "My careful answer"
    assert InboxItem.objects.get(pk=item.pk).deleted_remotely


def test_hide_refused_by_mastodon_says_so(mastodon, world):
    comment = post(mastodon, world["fan"].access_token, status="meh",
                   in_reply_to_id=world["status"]["id"])
    run("sync")
    item = InboxItem.objects.get(remote_id=comment["id"])
    with pytest.raises(CommandError, match="does not let Keryx hide"):
        run("hide", str(item.pk))
    assert not InboxItem.objects.get(pk=item.pk).hidden


def test_periodic_sync_claims_once_per_period(mastodon, world):
    post(mastodon, world["fan"].access_token, status="periodic",
         in_reply_to_id=world["status"]["id"])
    assert services.sync_due() == 1
    assert services.sync_due() == 0  # claimed for this period already
    assert InboxItem.objects.count() == 1


def test_viewer_cannot_answer(mastodon, world):
    with pytest.raises(CommandError) as refused:
        call_command("inbox", "done", "999999", "--user", "charlie@example.com",
                     stdout=io.StringIO())
    assert refused.value.returncode == PERMISSION_DENIED_EXIT


def test_page_shows_the_post_and_replies_from_the_web(mastodon, world, people):
    comment = post(mastodon, world["fan"].access_token, status="When do you open?",
                   in_reply_to_id=world["status"]["id"])
    run("sync")
    item = InboxItem.objects.get(remote_id=comment["id"])
    client = Client()
    client.force_login(people.alice)
    page = client.get(reverse("inbox:list")).content.decode()
    assert "When do you open?" in page
    assert reverse("posts:detail", args=[world["post"].pk]) in page  # the post beside it
    client.post(reverse("inbox:reply", args=[item.pk]), {"text": "At nine."})
    sent = Reply.objects.get(item=item)
    assert sent.state == ReplyState.SENT
    assert mastodon.status(sent.remote_id)["in_reply_to_id"] == comment["id"]
