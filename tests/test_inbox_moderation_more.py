"""The moderation rules' other conditions (only mentions, word count, a new author, a blocked
author) and actions (delete, assign, reply with a canned answer), priorities on the page, and
the moderators' decisions kept as labelled data that retrain the workspace's spam head.
No network here: Mastodon refuses hiding and deleting by its capabilities alone; the canned
reply is sent against mastodon-mock in tests/test_inbox_workflow_e2e.py."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from keryx.approvals.models import Notification
from keryx.core.models import Membership, Role
from keryx.inbox import moderation, services, spamhead, workflow
from keryx.inbox.models import (
    BlockedAuthor,
    CannedReply,
    Decision,
    InboxItem,
    ModerationLog,
    ModerationRule,
    ModeratorLabel,
    RuleAction,
    WorkspaceHead,
)
from keryx.networks.community import InboxItem as Remote
from keryx.networks.community import InboxKind
from tests.api_support import mastodon_channel

pytestmark = pytest.mark.django_db
_ids = iter(range(1, 10_000))


def remote(text: str, author: str = "fan") -> Remote:
    number = next(_ids)
    return Remote(remote_id=str(number), kind=InboxKind.COMMENT, text=text,
                  author_handle=author, author_name=author.title(),
                  created_at=datetime(2026, 5, 1, tzinfo=UTC), conversation_id=f"t:{number}")


@pytest.fixture
def channel(people):
    return mastodon_channel(people.acme)


def rule(channel, action: str, priority: int = 100, **fields) -> ModerationRule:
    return ModerationRule.objects.create(workspace=channel.workspace, name=f"r{priority}",
                                         priority=priority, action=action, **fields)


def test_only_mentions_and_word_count():
    assert moderation.only_mentions("@anna @bob@mastodon.social")
    assert moderation.only_mentions(" @anna, @nikos.bsky.social !")
    assert not moderation.only_mentions("@anna look at this")
    assert not moderation.only_mentions("no handles")
    assert not moderation.only_mentions("")
    assert moderation.words("Καλημέρα σας, τι ώρα ανοίγετε;") == 5
    assert moderation.words("it's well-known https://x.example/a?b=c @anna") == 4
    assert moderation.words("😀😀") == 0


def test_new_conditions_through_store(channel):
    rule(channel, RuleAction.LABEL, 10, only_mentions=True, label="tags-only")
    rule(channel, RuleAction.LABEL, 20, max_words=2, label="short")
    rule(channel, RuleAction.LABEL, 30, min_words=40, label="essay")
    mentions = services.store(channel, remote("@brand @friend @other"))[0]
    short = services.store(channel, remote("ok thanks"))[0]
    long = services.store(channel, remote(" ".join(["λέξη"] * 45)))[0]
    middle = services.store(channel, remote("this one has a few ordinary words in it"))[0]
    assert mentions.labels == ["tags-only"]  # the first match wins though it is also short
    assert short.labels == ["short"]
    assert long.labels == ["essay"]
    assert middle.labels == []


def test_new_and_blocked_authors(channel, people):
    rule(channel, RuleAction.FLAG, 10, blocked_author=True)
    rule(channel, RuleAction.LABEL, 20, new_author=True, label="first-time")
    first = services.store(channel, remote("Hello there, first time here", author="maria"))[0]
    second = services.store(channel, remote("Hello again from me", author="Maria"))[0]
    assert first.labels == ["first-time"]
    assert second.labels == []  # not new any more (handles compare without case)
    workflow.block(people.acme.pk, "mastodon", "@Troll")
    assert BlockedAuthor.objects.get().handle == "troll"
    trolled = services.store(channel, remote("you are all idiots", author="troll"))[0]
    assert trolled.flagged and trolled.labels == []  # blocked wins by priority
    # Blocking is per workspace and per network.
    other = mastodon_channel(people.globex, "other")
    elsewhere = services.store(other, remote("you are all idiots", author="troll"))[0]
    assert not elsewhere.flagged


def test_delete_where_the_network_refuses_is_logged(channel):
    rule(channel, RuleAction.DELETE, 10, keywords=["casino"])
    item = services.store(channel, remote("Best casino bonus here"))[0]
    log = ModerationLog.objects.get(item=item)
    assert log.action == "delete" and not log.applied
    assert "does not let Keryx delete" in log.message
    item.refresh_from_db()
    assert not item.hidden and not item.deleted_remotely
    assert not log.reversible


def test_assign_rule_tells_the_member(channel, people, django_user_model,
                                      django_capture_on_commit_callbacks):
    dave = django_user_model.objects.create_user("dave@example.com", "dave@example.com", "pw")
    Membership.objects.create(workspace=people.acme, user=dave, role=Role.CONTRIBUTOR)
    rule(channel, RuleAction.ASSIGN, 10, keywords=["refund"], assign_to=dave)
    with django_capture_on_commit_callbacks(execute=True):
        item = services.store(channel, remote("I want a refund"))[0]
    assert InboxItem.objects.get(pk=item.pk).assignee_id == dave.pk
    assert Notification.objects.get(user=dave).actor_label == "r10"
    assert len(mail.outbox) == 1 and "I want a refund" in mail.outbox[0].body
    log = ModerationLog.objects.get(item=item)
    assert log.applied and log.reversible
    services.revert_moderation(log, people.alice)
    assert InboxItem.objects.get(pk=item.pk).assignee_id is None


def test_rule_form_takes_the_new_fields_and_shows_priorities(channel, people):
    client = Client()
    client.force_login(people.alice)
    answer = CannedReply.objects.create(workspace=people.acme, code="thanks", text_en="Thanks!")
    client.post(reverse("inbox:rules"), {"name": "greet newcomers", "priority": 7,
                                         "active": "on", "new_author": "true",
                                         "max_words": 30, "action": "reply",
                                         "canned": answer.pk})
    saved = ModerationRule.objects.get(name="greet newcomers")
    assert saved.new_author is True and saved.max_words == 30 and saved.canned == answer
    # An assign rule without anyone to assign to is refused with a reason.
    refused = client.post(reverse("inbox:rules"), {"name": "nobody", "priority": 8,
                                                   "active": "on", "action": "assign"})
    assert "Choose whom to assign to." in refused.content.decode()
    # Another workspace's canned reply cannot be chosen.
    theirs = CannedReply.objects.create(workspace=people.globex, code="x", text_en="x")
    client.post(reverse("inbox:rules"), {"name": "theirs", "priority": 9, "active": "on",
                                         "action": "reply", "canned": theirs.pk})
    assert not ModerationRule.objects.filter(name="theirs").exists()
    rule(channel, RuleAction.FLAG, 3, only_mentions=True)
    page = client.get(reverse("inbox:rules")).content.decode()
    assert page.index("r3") < page.index("greet newcomers")  # by priority
    assert "tried first" in page and "only mentions" in page and "/thanks" in page


def test_moderators_decisions_are_kept(channel, people):
    client = Client()
    client.force_login(people.alice)
    item = services.store(channel, remote("Buy followers cheap"))[0]
    client.post(reverse("inbox:decide", args=[item.pk]), {"decision": "spam"})
    client.post(reverse("inbox:decide", args=[item.pk]), {"decision": "maybe"})  # refused
    labels = list(ModeratorLabel.objects.filter(item=item))
    assert [(x.decision, x.source) for x in labels] == [(Decision.SPAM, "mark")]
    assert labels[0].text == "Buy followers cheap" and labels[0].user == people.alice
    # Undoing a rule's hide is a "not spam" decision.
    log = ModerationLog.objects.create(item=item, rule_name="r", action="hide", applied=True)
    item.hidden = True
    item.save()
    with pytest.raises(services.InboxError):  # Mastodon cannot unhide either: said, no label
        services.revert_moderation(log, people.alice)
    assert ModeratorLabel.objects.filter(item=item).count() == 1
    # A viewer cannot label.
    viewer = Client()
    viewer.force_login(people.charlie)
    assert viewer.post(reverse("inbox:decide", args=[item.pk]),
                       {"decision": "not_spam"}).status_code == 403
    # The latest decision per item counts.
    services.record_decision(item, Decision.NOT_SPAM, "mark", people.alice)
    assert spamhead.decisions(people.acme.pk) == [("Buy followers cheap", 0)]


SPAM = ["Pizza Roma on Main street has better pizza, go there",
        "Pizza Roma delivers faster, order from them",
        "Everyone should try Pizza Roma instead",
        "Η Pizza Roma είναι καλύτερη, παραγγείλτε από εκεί"]
HAM = ["The delivery was late but the staff was kind", "Do you open on Sunday?",
       "Great product, thanks", "Πότε ανοίγετε το Σάββατο;"]


def test_retrain_learns_the_workspaces_spam(channel, people):
    def cli(*args: str) -> str:
        out = io.StringIO()
        call_command("moderation", *args, "--user", "alice@example.com", stdout=out)
        return out.getvalue()

    with pytest.raises(CommandError, match="Not enough decisions"):
        cli("retrain")
    for text in SPAM:
        item = services.store(channel, remote(text, author="rival"))[0]
        services.record_decision(item, Decision.SPAM, "mark", people.alice)
    for text in HAM:
        item = services.store(channel, remote(text))[0]
        services.record_decision(item, Decision.NOT_SPAM, "mark", people.alice)
    before = services.store(channel, remote("Go to Pizza Roma, cheaper and tastier"))[0]
    assert before.spam < 0.5  # the shipped head does not know the rival
    result = json.loads(cli("retrain", "--json"))
    assert result["examples"] == 8 and result["spam"] == 4 and result["not_spam"] == 4
    assert result["accuracy_after"] == 1.0 and result["accuracy_before"] < 1.0
    assert WorkspaceHead.objects.filter(workspace=people.acme).count() == 1
    after = services.store(channel, remote("Pizza Roma is much better than this place"))[0]
    ham = services.store(channel, remote("Your pizza was cold yesterday"))[0]
    assert after.spam > 0.5 and ham.spam < 0.5
    # Another workspace keeps the shipped head.
    other = mastodon_channel(people.globex, "other")
    theirs = services.store(other, remote("Pizza Roma is much better than this place"))[0]
    assert theirs.spam < 0.5
    # A viewer may not retrain.
    out = io.StringIO()
    with pytest.raises((CommandError, SystemExit)):
        call_command("moderation", "retrain", "--user", "charlie@example.com", stdout=out)


def test_block_list_from_the_inbox_and_the_rules_page(channel, people, django_user_model):
    dave = django_user_model.objects.create_user("dave@example.com", "dave@example.com", "pw")
    Membership.objects.create(workspace=people.acme, user=dave, role=Role.CONTRIBUTOR)
    item = services.store(channel, remote("<i>spam spam</i>", author="Spammer"))[0]
    editor = Client()
    editor.force_login(people.alice)
    page = editor.get(reverse("inbox:list")).content.decode()
    assert reverse("inbox:block", args=[item.pk]) in page
    assert reverse("inbox:decide", args=[item.pk]) in page
    contributor = Client()
    contributor.force_login(dave)
    theirs = contributor.get(reverse("inbox:list")).content.decode()
    assert reverse("inbox:decide", args=[item.pk]) not in theirs  # moderators only
    assert contributor.post(reverse("inbox:block", args=[item.pk])).status_code == 403
    editor.post(reverse("inbox:block", args=[item.pk]), {"reason": "<b>ads</b>"})
    row = BlockedAuthor.objects.get(workspace=people.acme)
    assert (row.network, row.handle) == ("mastodon", "spammer")
    rules = editor.get(reverse("inbox:rules")).content.decode()
    assert "@spammer" in rules and "&lt;b&gt;ads&lt;/b&gt;" in rules
    assert workflow.is_blocked(item)
    editor.post(reverse("inbox:blocked"), {"network": "mastodon", "handle": "@Other"})
    assert BlockedAuthor.objects.filter(handle="other").exists()
    editor.post(reverse("inbox:unblock", args=[row.pk]))
    assert not workflow.is_blocked(item)
    # Someone else's entry cannot be removed.
    foreign = BlockedAuthor.objects.create(workspace=people.globex, network="mastodon",
                                           handle="x")
    assert editor.post(reverse("inbox:unblock", args=[foreign.pk])).status_code == 404
