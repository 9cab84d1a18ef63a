"""Canned replies and a rule's automatic canned answer against mastodon-mock: `keryx inbox
reply ITEM --canned CODE` answers a Greek DM in Greek and stays direct; the API's reply with
`/code` lands in the thread; a "reply with a canned answer" rule answers a new author once,
however often the inbox is synced, marked automatic."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from keryx.channels.connect import connect_mastodon_token
from keryx.inbox import canned, services
from keryx.inbox.models import InboxItem, ModerationLog, ModerationRule, Reply, RuleAction
from keryx.publishing import services as publishing
from keryx.publishing.models import PostTarget, TargetState
from tests.api_support import Caller

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
                                        text="New menu today", channels=[channel],
                                        draft=True, actor="tests")
    status = post(mastodon, brand.access_token, status="New menu today")
    PostTarget.objects.filter(post=keryx_post).update(state=TargetState.PUBLISHED,
                                                      remote_id=status["id"])
    canned.save(people.acme.pk, code="hours", text_el="Είμαστε ανοιχτά 9:00–17:00.",
                text_en="We are open 9 am to 5 pm.")
    return {"brand": brand, "fan": fan, "channel": channel, "status": status}


def ours(mastodon, world, in_reply_to: str) -> list[dict]:
    return [s for s in mastodon.statuses(world["brand"])
            if s.get("in_reply_to_id") == in_reply_to]


def test_cli_and_api_send_canned_replies(mastodon, world, people):
    brand, fan = world["brand"], world["fan"]
    dm = post(mastodon, fan.access_token, status=f"@{brand.username} Τι ώρα ανοίγετε;",
              visibility="direct")
    comment = post(mastodon, fan.access_token, status="What are your hours?",
                   in_reply_to_id=world["status"]["id"])
    run("sync")
    dm_item = InboxItem.objects.get(remote_id=dm["id"])
    answer = json.loads(run("reply", str(dm_item.pk), "--canned", "hours", "--json"))
    sent = mastodon.status(answer["remote_id"], brand.access_token)
    assert sent["visibility"] == "direct" and sent["in_reply_to_id"] == dm["id"]
    assert "Είμαστε ανοιχτά 9:00–17:00." in answer["text"]
    with pytest.raises(CommandError, match="No canned reply"):
        run("reply", str(dm_item.pk), "--canned", "nope")
    with pytest.raises(CommandError, match="either"):
        run("reply", str(dm_item.pk), "text", "--canned", "hours")

    comment_item = InboxItem.objects.get(remote_id=comment["id"])
    response = Caller(people.alice).post(f"/inbox/items/{comment_item.pk}/reply",
                                         {"text": "/hours"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["text"] == "We are open 9 am to 5 pm." and body["state"] == "sent"
    assert [s["id"] for s in ours(mastodon, world, comment["id"])] == [body["remote_id"]]
    # A viewer cannot reply through the API.
    refused = Caller(people.charlie).post(f"/inbox/items/{comment_item.pk}/reply",
                                          {"text": "x"})
    assert refused.status_code == 403


def test_rule_answers_a_new_author_once(mastodon, world, people,
                                        django_capture_on_commit_callbacks):
    ModerationRule.objects.create(
        workspace=people.acme, name="welcome", priority=1, new_author=True,
        action=RuleAction.REPLY, canned=canned.find(people.acme.pk, "hours"))
    comment = post(mastodon, world["fan"].access_token, status="First time here, hours?",
                   in_reply_to_id=world["status"]["id"])
    with django_capture_on_commit_callbacks(execute=True):
        run("sync")
    with django_capture_on_commit_callbacks(execute=True):
        assert json.loads(run("sync", "--json"))[0]["new"] == 0  # our answer is no item
    item = InboxItem.objects.get(remote_id=comment["id"])
    replies = list(Reply.objects.filter(item=item))
    assert len(replies) == 1 and replies[0].automatic and replies[0].state == "sent"
    assert len(ours(mastodon, world, comment["id"])) == 1
    log = ModerationLog.objects.get(item=item)
    assert log.action == "reply" and log.applied and not log.reversible
    listed = {i["id"]: i for i in json.loads(run("list", "--status", "all", "--json"))}
    assert listed[item.pk]["auto_reply"] == "We are open 9 am to 5 pm."
    # Running the rule's send again (a retried job) sends nothing more.
    assert services.auto_reply_canned(item.pk, log.rule.canned_id, log.pk) is None
    assert len(ours(mastodon, world, comment["id"])) == 1
    # The same author's next comment is not "new": no second welcome.
    again = post(mastodon, world["fan"].access_token, status="And on Sunday?",
                 in_reply_to_id=world["status"]["id"])
    with django_capture_on_commit_callbacks(execute=True):
        run("sync")
    assert not Reply.objects.filter(item__remote_id=again["id"]).exists()
