"""The off-hours assistant against mastodon-mock: a seeded account (bob) sends the brand a Greek
direct message off-hours and gets exactly one automatic direct answer in Greek, addressed to
him; a second sync sends nothing more; during business hours, after a person's reply, and to
the brand's own items nothing is sent."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from keryx.channels.connect import connect_mastodon_token
from keryx.inbox import assistant, services
from keryx.inbox.models import (
    AssistantDecision,
    InboxItem,
    ModerationRule,
    Reply,
    SyncState,
)
from keryx.networks import community
from keryx.networks.mastodon.content import html_to_text

pytestmark = [pytest.mark.peers, pytest.mark.django_db]

FAQ = Path(__file__).parent / "data" / "assistant" / "faq.csv"
SHIPPING_EL = ("Τα μεταφορικά εντός Ελλάδας κοστίζουν 3,50 € ανά παραγγελία και είναι δωρεάν "
               "για παραγγελίες άνω των 40 €.")


def cli(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, "--user", "alice@example.com", stdout=out)
    return out.getvalue()


def hours_around_now(*, open_now: bool) -> str:
    """A SPEC open every day for one hour that does (or does not) contain this minute."""
    local = timezone.now().astimezone(ZoneInfo("Europe/Athens"))
    begin = local - timedelta(minutes=30) if open_now else local + timedelta(hours=3)
    end = begin + timedelta(hours=1)
    return f"mon-sun {begin:%H:%M}-{end:%H:%M}"


def direct(mastodon, token: str, to: str, text: str, **extra) -> dict:
    response = mastodon.api("POST", "/api/v1/statuses", token,
                            data={"status": f"@{to} {text}", "visibility": "direct", **extra})
    response.raise_for_status()
    return response.json()


def answers_to(mastodon, brand, status_id: str) -> list[dict]:
    return [s for s in mastodon.statuses(brand) if s.get("in_reply_to_id") == status_id]


@pytest.fixture
def shop(mastodon, people):
    brand = mastodon.new_account("shop")
    channel = connect_mastodon_token(people.acme, people.alice, mastodon.url,
                                     brand.access_token, name="masto")
    cli("assistant", "faq", "import", str(FAQ))
    return {"brand": brand, "channel": channel, "bob": "bob_token"}


def test_greek_dm_off_hours_gets_one_direct_answer_in_greek(mastodon, shop):
    brand = shop["brand"]
    cli("assistant", "configure", "--on", "--hours", hours_around_now(open_now=False))
    dm = direct(mastodon, shop["bob"], brand.username,
                "Καλησπέρα! Πόσο κοστίζουν τα μεταφορικά για τη Θεσσαλονίκη;")

    assert json.loads(cli("inbox", "sync", "--json"))[0]["new"] == 1
    sent = answers_to(mastodon, brand, dm["id"])
    assert len(sent) == 1
    answer = sent[0]
    assert answer["visibility"] == "direct"
    assert [m["acct"] for m in answer["mentions"]] == ["bob"]  # addressed to the sender
    assert html_to_text(answer["content"]) == f"@bob {SHIPPING_EL}"

    item = InboxItem.objects.get(remote_id=dm["id"])
    listed = {i["remote_id"]: i for i in json.loads(cli("inbox", "list", "--json"))}
    assert listed[dm["id"]]["auto_reply"] == SHIPPING_EL
    assert listed[dm["id"]]["status"] == "open"  # left open for a person
    decision = AssistantDecision.objects.get(item=item)
    assert decision.action == "answer" and decision.faq.key == "shipping_cost"
    assert decision.language == "el"

    # A second sync, and the hook run again by hand, send nothing more.
    assert json.loads(cli("inbox", "sync", "--json"))[0]["new"] == 0
    assistant.handle_new_item(item)
    assert len(answers_to(mastodon, brand, dm["id"])) == 1
    assert Reply.objects.filter(item=item).count() == 1


def test_off_topic_dm_gets_the_away_message_once_per_conversation(mastodon, shop):
    brand = shop["brand"]
    cli("assistant", "configure", "--on", "--hours", "none",
        "--away-message-en", "We are away; a person will answer tomorrow.")
    first = direct(mastodon, shop["bob"], brand.username, "I saw a dolphin at the beach today")
    cli("inbox", "sync")
    sent = answers_to(mastodon, brand, first["id"])
    assert len(sent) == 1
    assert html_to_text(sent[0]["content"]) == \
        "@bob We are away; a person will answer tomorrow."
    # Bob goes on in the same conversation: no second away message.
    second = direct(mastodon, shop["bob"], brand.username, "And it was huge",
                    in_reply_to_id=sent[0]["id"])
    cli("inbox", "sync")
    assert answers_to(mastodon, brand, second["id"]) == []
    decision = AssistantDecision.objects.get(item__remote_id=second["id"])
    assert decision.action == "skip" and decision.reason == "away message sent already"


def test_business_hours_get_nothing(mastodon, shop):
    brand = shop["brand"]
    cli("assistant", "configure", "--on", "--hours", hours_around_now(open_now=True))
    dm = direct(mastodon, shop["bob"], brand.username, "Πόσο κοστίζουν τα μεταφορικά;")
    cli("inbox", "sync")
    assert answers_to(mastodon, brand, dm["id"]) == []
    decision = AssistantDecision.objects.get(item__remote_id=dm["id"])
    assert decision.action == "skip" and decision.reason == "business hours"
    assert json.loads(cli("inbox", "list", "--json"))[0]["auto_reply"] is None


def test_no_automatic_reply_after_a_person_replied(mastodon, shop):
    brand = shop["brand"]
    cli("assistant", "configure", "--on", "--hours", hours_around_now(open_now=True))
    first = direct(mastodon, shop["bob"], brand.username, "Γεια σας, έχετε δωροκάρτες;")
    cli("inbox", "sync")
    item = InboxItem.objects.get(remote_id=first["id"])
    cli("inbox", "reply", str(item.pk), "Ναι, από 10 έως 200 €!")
    ours = answers_to(mastodon, brand, first["id"])
    assert len(ours) == 1
    # Closing time; Bob asks more in the same conversation, a person is on it already.
    cli("assistant", "configure", "--hours", "none")
    second = direct(mastodon, shop["bob"], brand.username, "Πόσο ισχύει η δωροκάρτα;",
                    in_reply_to_id=ours[0]["id"])
    cli("inbox", "sync")
    assert answers_to(mastodon, brand, second["id"]) == []
    decision = AssistantDecision.objects.get(item__remote_id=second["id"])
    assert decision.reason == "a person is answering"
    assert not Reply.objects.filter(automatic=True).exists()


def test_the_brands_own_items_get_nothing(mastodon, shop):
    brand, channel = shop["brand"], shop["channel"]
    cli("assistant", "configure", "--on", "--hours", "none")
    # The brand writes to Bob: that is not an inbox item, nothing answers it.
    mine = direct(mastodon, brand.access_token, "bob", "Πόσο κοστίζουν τα μεταφορικά;")
    assert json.loads(cli("inbox", "sync", "--json"))[0]["new"] == 0
    assert answers_to(mastodon, brand, mine["id"]) == []
    # A network that did hand back one of the brand's own statuses: still nothing.
    item, created = services.store(channel, community.InboxItem(
        remote_id=mine["id"], kind=community.InboxKind.MESSAGE, text="Πόσο κοστίζουν;",
        author_id=channel.remote_id, author_handle=channel.handle, author_name="Shop",
        conversation_id="dm:" + mine["id"], visibility="direct",
        created_at=timezone.now()))
    assert created
    assert AssistantDecision.objects.get(item=item).reason == "own item"
    assert answers_to(mastodon, brand, mine["id"]) == []


def test_the_periodic_job_answers_within_the_minute(mastodon, shop):
    brand, channel = shop["brand"], shop["channel"]
    cli("assistant", "configure", "--on", "--hours", "none")
    assert services.sync_period(channel) == timedelta(seconds=30)
    dm = direct(mastodon, shop["bob"], brand.username, "Do you ship abroad, to Germany?")
    started = timezone.now()
    assert services.sync_due() == 1  # the background job, no CLI
    state = SyncState.objects.get(channel=channel)
    assert timedelta(seconds=29) <= state.next_sync_at - started <= timedelta(seconds=31)
    sent = answers_to(mastodon, brand, dm["id"])
    assert len(sent) == 1 and "EU" in html_to_text(sent[0]["content"])
    assert timezone.now() - started < timedelta(seconds=60)


def test_spam_and_items_a_rule_closed_get_nothing(mastodon, shop):
    brand = shop["brand"]
    cli("assistant", "configure", "--on", "--hours", "none")
    ModerationRule.objects.create(workspace=shop["channel"].workspace, name="close",
                                  keywords=["unsubscribe"], action="done")
    spam = direct(mastodon, shop["bob"], brand.username,
                  "FREE FOLLOWERS!!! Check out my channel https://bit.ly/3xYz and win 500€ now")
    closed = direct(mastodon, shop["bob"], brand.username, "Please unsubscribe me, ok?")
    cli("inbox", "sync")
    assert answers_to(mastodon, brand, spam["id"]) == []
    assert answers_to(mastodon, brand, closed["id"]) == []
    assert AssistantDecision.objects.get(item__remote_id=spam["id"]).reason == "spam"
    assert AssistantDecision.objects.get(item__remote_id=closed["id"]).reason == "marked done"
