"""Moderation rules and bad input on new inbox items (no network: the items are stored as a
sync would store them; a hide on Mastodon is refused by the provider's capabilities alone)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from keryx.inbox import moderation, services
from keryx.inbox.models import InboxItem, ModerationLog, ModerationRule, RuleAction, Status
from keryx.networks.community import InboxItem as Remote
from keryx.networks.community import InboxKind
from tests.api_support import mastodon_channel

pytestmark = pytest.mark.django_db
_ids = iter(range(1, 10_000))


def remote(text: str, kind: str = InboxKind.COMMENT, **extra) -> Remote:
    number = next(_ids)
    return Remote(remote_id=str(number), kind=kind, text=text, author_handle="fan",
                  author_name="Fan", created_at=datetime(2026, 5, 1, tzinfo=UTC),
                  conversation_id=f"thread:{number}", **extra)


@pytest.fixture
def channel(people):
    return mastodon_channel(people.acme)


def rule(channel, action: str, priority: int = 100, **conditions) -> ModerationRule:
    return ModerationRule.objects.create(workspace=channel.workspace, name=f"r{priority}",
                                         priority=priority, action=action, **conditions)


def test_first_matching_rule_wins_and_is_logged(channel):
    rule(channel, RuleAction.LABEL, 10, keywords=["ΠΡΟΣΦΟΡΑ"], label="promo")
    rule(channel, RuleAction.DONE, 20, has_link=True)
    item, created = services.store(channel, remote("Μεγάλη προσφορά! https://spam.example"))
    assert created
    assert item.labels == ["promo"] and item.status == Status.OPEN  # rule 20 never ran
    log = ModerationLog.objects.get(item=item)
    assert (log.rule_name, log.action, log.applied) == ("r10", "label", True)
    services.revert_moderation(log, None)
    assert InboxItem.objects.get(pk=item.pk).labels == []


def test_each_condition(channel):
    def item(text: str, **kw) -> InboxItem:
        return services.store(channel, remote(text, **kw))[0]

    cases = [
        (dict(has_contact=True), item("write me at a@b.gr"), True),
        (dict(has_contact=True), item("call +30 210 1234567"), True),
        (dict(has_contact=True), item("no contact here"), False),
        (dict(only_emoji=True), item("🔥🔥 👍"), True),
        (dict(only_emoji=True), item("ok 👍"), False),
        (dict(all_caps=True), item("THIS IS TERRIBLE"), True),
        (dict(all_caps=True), item("OK"), False),
        (dict(kinds=["message"]), item("hi", kind=InboxKind.MESSAGE), True),
        (dict(channels=[channel.pk]), item("hi"), True),
        (dict(languages=["el"]), item("Καλησπέρα σας, τι ώρα ανοίγετε;"), True),
        (dict(languages=["el"]), item("Good evening, when do you open?"), False),
        (dict(keywords=["scam"]), item("s\u200bcam alert"), True),  # zero-width split
    ]
    for conditions, subject, expected in cases:
        made = ModerationRule(workspace=channel.workspace, name="x", action="flag", **conditions)
        assert moderation.matches(made, subject) is expected, (conditions, subject.text)
    # A rule with no condition at all matches nothing.
    assert not moderation.matches(ModerationRule(action="flag"), cases[0][1])


def test_classifier_scores_and_dry_run(channel):
    rule(channel, RuleAction.FLAG, 10, spam_above=0.5, dry_run=True)
    spam = "WIN FREE MONEY NOW!!! click http://bit.ly/xyz send your card number to claim €1000"
    item, _ = services.store(channel, remote(spam))
    assert item.spam is not None and item.spam > 0.5
    assert item.sentiment in {"positive", "neutral", "negative"}
    log = ModerationLog.objects.get(item=item)
    assert log.dry_run and not log.applied
    assert not InboxItem.objects.get(pk=item.pk).flagged  # dry run: nothing done


def test_hide_refused_by_the_network_is_logged(channel):
    rule(channel, RuleAction.HIDE, 10, keywords=["idiot"])
    item, _ = services.store(channel, remote("you idiot"))
    log = ModerationLog.objects.get(item=item)
    assert not log.applied and "does not let Keryx hide" in log.message
    assert not InboxItem.objects.get(pk=item.pk).hidden


def test_stored_once(channel):
    same = remote("hello")
    first, made = services.store(channel, same)
    again, made_again = services.store(channel, same)
    assert made and not made_again and first.pk == again.pk


def test_bad_input(channel):
    long_text = "λ" * 10_000
    item, _ = services.store(channel, remote(long_text))
    assert len(item.text) == 10_000 and item.language
    emoji, _ = services.store(channel, remote("😀😀😀"))
    assert emoji.sentiment
    zero, _ = services.store(channel, remote("\u200b\u200d\ufeff"))
    assert zero.pk


def test_page_escapes_and_counts(channel, people):
    services.store(channel, remote("<script>alert(1)</script> & <b>bold</b>"))
    client = Client()
    client.force_login(people.alice)
    page = client.get(reverse("inbox:list")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert 'class="count"' in page  # the open count in the navigation
    filtered = client.get(reverse("inbox:list"), {"kind": "message"}).content.decode()
    assert "alert(1)" not in filtered
    labelled, _ = services.store(channel, remote("needs a label"))
    services.set_labels(labelled, ["vip"])
    by_label = client.get(reverse("inbox:list"), {"label": "vip"}).content.decode()
    assert "needs a label" in by_label and "alert(1)" not in by_label
    services.assign(labelled, people.alice)
    mine = client.get(reverse("inbox:list"), {"assignee": people.alice.pk}).content.decode()
    assert "needs a label" in mine and "alert(1)" not in mine
    client.post(reverse("inbox:rules"), {"name": "links", "priority": 5, "active": "on",
                                         "has_link": "true", "action": "flag"})
    assert ModerationRule.objects.filter(name="links", has_link=True).exists()


def test_greek_page(channel, people):
    services.store(channel, remote("Γεια"))
    client = Client()
    client.force_login(people.alice)
    # override() puts back the language the middleware switched this thread to.
    with translation.override("en"):
        page = client.get(reverse("inbox:list"), HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "Εισερχόμενα" in page
