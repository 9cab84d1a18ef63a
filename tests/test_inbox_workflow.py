"""The manager's inbox: canned replies, filters, conversations and the author's history, the
assignee's notifications (in the app and by mail), the open count on the dashboard, and the
response-time figures. Items are stored as a sync stores them (classified and moderated)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from keryx.approvals.models import Notification, NotificationKind
from keryx.core.models import Membership, Role
from keryx.inbox import canned, responsetimes, services, workflow
from keryx.inbox.models import CannedReply, InboxItem, Reply, ReplyState
from keryx.networks.community import InboxItem as Remote
from keryx.networks.community import InboxKind
from tests.api_support import mastodon_channel

pytestmark = pytest.mark.django_db
_ids = iter(range(1, 10_000))
WHEN = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)  # a Monday, 10:00 in Athens


def remote(text: str, author: str = "fan", conversation: str | None = None,
           kind: str = InboxKind.COMMENT, at: datetime = WHEN) -> Remote:
    number = next(_ids)
    return Remote(remote_id=str(number), kind=kind, text=text, author_handle=author,
                  author_name=author.title(), created_at=at,
                  conversation_id=conversation or f"thread:{number}")


@pytest.fixture
def channel(people):
    return mastodon_channel(people.acme)


@pytest.fixture
def dave(people, django_user_model):
    user = django_user_model.objects.create_user("dave@example.com", "dave@example.com", "pw")
    Membership.objects.create(workspace=people.acme, user=user, role=Role.CONTRIBUTOR)
    return user


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# -- canned replies ---------------------------------------------------------------------------


def test_canned_replies_expand_in_the_items_language(people):
    ws = people.acme.pk
    hours = canned.save(ws, code="/Hours", title="Opening hours",
                        text_el="Ανοιχτά 9–17.", text_en="Open 9–5.")
    assert hours.code == "hours"  # the slash and the case are dropped
    english_only = canned.save(ws, code="thanks", text_en="Thank you!")
    assert canned.expand(ws, "/hours", "el") == "Ανοιχτά 9–17."
    assert canned.expand(ws, "  /HOURS ", "en") == "Open 9–5."
    assert canned.expand(ws, "/thanks", "el") == "Thank you!"  # the other language stands in
    assert canned.expand(ws, "see /hours later", "en") == "see /hours later"  # not alone
    assert canned.expand(ws, "/nope", "en") == "/nope"
    # Another workspace's code is not ours.
    assert canned.expand(people.globex.pk, "/hours", "en") == "/hours"
    with pytest.raises(services.InboxError, match="taken"):
        canned.save(ws, code="hours", text_en="again")
    with pytest.raises(services.InboxError) as bad:
        canned.save(ws, code="two words", text_en="x")
    assert bad.value.code == "bad_code"
    with pytest.raises(services.InboxError) as empty:
        canned.save(ws, code="blank", text_el="  ", text_en="")
    assert empty.value.code == "empty"
    assert english_only.text_for("en") == "Thank you!"


def test_canned_page_manages_them_escaped_and_in_greek(people, channel):
    client = login(people.alice)
    inbox = client.get(reverse("inbox:list")).content.decode()
    assert reverse("inbox:canned") in inbox  # linked from the inbox page
    response = client.post(reverse("inbox:canned"), {
        "code": "hi", "title": "<b>Greeting</b>", "text_el": "Γεια σας <script>x</script>",
        "text_en": "Hello"})
    assert response.status_code == 302
    row = CannedReply.objects.get(workspace=people.acme, code="hi")
    page = client.get(reverse("inbox:canned")).content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "&lt;b&gt;Greeting&lt;/b&gt;" in page
    # A taken code is refused on the form, not a 500.
    again = client.post(reverse("inbox:canned"), {"code": "hi", "text_en": "x"})
    assert again.status_code == 200 and "taken" in again.content.decode()
    client.post(reverse("inbox:canned_edit", args=[row.pk]),
                {"code": "hi", "text_el": "Καλημέρα", "text_en": "Hello"})
    assert CannedReply.objects.get(pk=row.pk).text_el == "Καλημέρα"
    # The inbox offers it in the picker, its texts as JSON data that cannot break out.
    services.store(channel, remote("When do you open?"))
    inbox = client.get(reverse("inbox:list")).content.decode()
    assert 'class="canned-picker"' in inbox and 'id="canned-data"' in inbox
    assert "inbox/canned.js" in inbox
    # A viewer sees them but cannot change them.
    viewer = login(people.charlie)
    assert viewer.get(reverse("inbox:canned")).status_code == 403  # answer_inbox: contributor+
    with translation.override("el"):
        greek = client.get(reverse("inbox:canned"), HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "Καλημέρα" in greek
    client.post(reverse("inbox:canned_delete", args=[row.pk]))
    assert not CannedReply.objects.filter(pk=row.pk).exists()


def test_a_contributor_cannot_change_canned_replies(people, dave):
    client = login(dave)
    assert client.get(reverse("inbox:canned")).status_code == 200
    client.post(reverse("inbox:canned"), {"code": "x", "text_en": "y"})
    assert not CannedReply.objects.exists()


# -- the stream, conversations, the author's history ------------------------------------------


def test_filters_conversations_and_the_authors_history(people, channel):
    first, _ = services.store(channel, remote("Old complaint about delivery", author="maria",
                                              conversation="thread:a"))
    Reply.objects.create(item=first, text="Sorry, we fixed it", idempotency_key="k1",
                         state=ReplyState.SENT, sent_at=WHEN + timedelta(hours=1))
    services.set_status(first, "done")
    second, _ = services.store(channel, remote("Κι άλλο πρόβλημα <i>σήμερα</i>",
                                               author="maria", conversation="thread:b"))
    services.store(channel, remote("Someone else", author="nikos", conversation="thread:b"))
    services.store(channel, remote("A DM", author="eleni", kind=InboxKind.MESSAGE))

    ws = people.acme.pk
    assert {i.author_handle for i in workflow.filtered(ws, workflow.Filters())} == {
        "maria", "nikos", "eleni"}
    assert [i.kind for i in workflow.filtered(ws, workflow.Filters(kind="message"))] == [
        "message"]
    assert workflow.filtered(ws, workflow.Filters(status="done")).get().pk == first.pk
    assert workflow.filtered(ws, workflow.Filters(assignee=0)).count() == 3
    with pytest.raises(services.InboxError):
        workflow.filtered(ws, workflow.Filters(status="later"))

    groups = workflow.conversations(list(workflow.filtered(ws, workflow.Filters())))
    sizes = sorted(len(g["items"]) for g in groups)
    assert sizes == [1, 2]  # thread:b holds maria's and nikos's items

    history = workflow.histories(ws, [second])[second.pk]
    assert [h.pk for h in history] == [first.pk]
    assert workflow.history_counts(ws, [second]) == {second.pk: 1}

    client = login(people.alice)
    page = client.get(reverse("inbox:list")).content.decode()
    assert "History with the brand: 1 other item" in page
    assert reverse("inbox:item", args=[second.pk]) in page
    detail = client.get(reverse("inbox:item", args=[second.pk])).content.decode()
    assert "Old complaint about delivery" in detail and "Sorry, we fixed it" in detail
    assert "&lt;i&gt;σήμερα&lt;/i&gt;" in detail and "<i>σήμερα</i>" not in detail
    # Another workspace's member gets nothing.
    assert login(people.bob).get(reverse("inbox:item", args=[second.pk])).status_code == 404
    with translation.override("el"):
        greek = client.get(reverse("inbox:item", args=[second.pk]),
                           HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "Ιστορικό" in greek


# -- notifications and the dashboard ----------------------------------------------------------


def test_assigning_tells_the_assignee_in_the_app_and_by_mail(
        people, channel, dave, django_capture_on_commit_callbacks, settings):
    item, _ = services.store(channel, remote("Please call me back <b>now</b>"))
    client = login(people.alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("inbox:triage", args=[item.pk]),
                    {"status": "open", "assignee": dave.pk, "labels": ""})
    assert InboxItem.objects.get(pk=item.pk).assignee_id == dave.pk
    note = Notification.objects.get(user=dave)
    assert note.kind == NotificationKind.INBOX_ASSIGNED and "alice@example.com" in note.actor_label
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dave@example.com"]
    assert f"/inbox/?status=open&assignee={dave.pk}" in message.body
    assert "Please call me back" in message.body
    # Saving again (same assignee) tells nobody twice; assigning yourself tells nobody.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("inbox:triage", args=[item.pk]),
                    {"status": "pending", "assignee": dave.pk, "labels": ""})
        login(dave).post(reverse("inbox:triage", args=[item.pk]),
                         {"status": "pending", "assignee": dave.pk, "labels": ""})
        client.post(reverse("inbox:triage", args=[item.pk]),
                    {"status": "pending", "assignee": people.alice.pk, "labels": ""})
    assert len(mail.outbox) == 1 and Notification.objects.count() == 1
    # The bell's page links to the inbox, filtered.
    page = login(dave).get(reverse("approvals:notifications")).content.decode()
    assert f"assignee={dave.pk}" in page and "&lt;b&gt;now&lt;/b&gt;" in page


def test_dashboard_counts_what_is_open(people, channel, dave):
    services.store(channel, remote("one"))
    two, _ = services.store(channel, remote("two"))
    done, _ = services.store(channel, remote("three"))
    services.set_status(done, "done")
    services.assign(two, dave)
    page = login(dave).get(reverse("dashboard")).content.decode()
    assert 'id="inbox-open"' in page
    assert "2 open items" in page and "1 assigned to you" in page
    assert f"/inbox/?status=open&amp;assignee={dave.pk}" in page
    assert workflow.open_counts(people.acme.pk, dave) == {"open": 2, "mine": 1,
                                                           "unassigned": 1}
    # Another workspace sees none of it.
    other = login(people.bob).get(reverse("dashboard")).content.decode()
    assert "0 open items" in other and "assigned to you" not in other


# -- response times ---------------------------------------------------------------------------


def _answered(channel, text: str, at: datetime, after: timedelta | None,
              conversation: str | None = None, automatic: bool = False) -> InboxItem:
    item, _ = services.store(channel, remote(text, at=at, conversation=conversation))
    if after is not None:
        Reply.objects.create(item=item, text="ok", idempotency_key=f"k-{item.pk}",
                             state=ReplyState.SENT, sent_at=at + after, automatic=automatic)
    return item


def test_response_times(people, channel):
    ws = people.acme.pk
    assert responsetimes.figures(ws)["reply_time"]["median_seconds"] is None  # nothing: null
    # Two days ago (the page shows the last 30 days), 07:00 and 21:00 UTC.
    morning = (datetime.now(UTC) - timedelta(days=2)).replace(hour=7, minute=0, second=0,
                                                               microsecond=0)
    night = morning + timedelta(hours=14)
    _answered(channel, "a", morning, timedelta(minutes=10), conversation="thread:x")
    _answered(channel, "b", morning + timedelta(minutes=5), timedelta(minutes=30),
              conversation="thread:x")
    _answered(channel, "c", morning, timedelta(minutes=20))
    _answered(channel, "d", night, timedelta(hours=8))
    _answered(channel, "e", night, None)  # unanswered
    _answered(channel, "f", night, timedelta(seconds=5), automatic=True)  # not the team's

    result = responsetimes.figures(ws)
    assert result["items"] == 6 and result["answered"] == 4 and result["unanswered"] == 2
    # Reply times: 10, 30, 20, 480 minutes -> median 25 min.
    assert result["reply_time"]["median_seconds"] == 25 * 60
    # First replies by conversation: x 10 min, c 20 min, d 480 min -> median 20 min.
    assert result["first_reply"]["median_seconds"] == 20 * 60
    assert result["first_reply"]["mean_seconds"] == round((10 + 20 + 480) * 60 / 3, 1)
    assert result["business_hours"] is None  # no business hours: nothing is split
    with_auto = responsetimes.figures(ws, include_automatic=True)
    assert with_auto["answered"] == 5

    def office(moment: datetime) -> bool:
        return 6 <= moment.astimezone(UTC).hour < 15

    split = responsetimes.figures(ws, in_hours=office)["business_hours"]
    assert split["in"]["items"] == 3 and split["in"]["reply_time"]["median_seconds"] == 20 * 60
    assert split["out"]["items"] == 3 and split["out"]["answered"] == 1
    assert split["out"]["reply_time"]["median_seconds"] == 8 * 3600
    # A period leaves the rest out.
    late = responsetimes.figures(ws, start=night - timedelta(minutes=1))
    assert late["items"] == 3
    assert responsetimes.duration(25 * 60) == "25 min"
    assert responsetimes.duration(8 * 3600 + 300) == "8 h 05 min"
    assert responsetimes.duration(None) == "—"
    page = login(people.alice).get(reverse("inbox:list")).content.decode()
    # The stream does not wait for the figures: its script fetches the card.
    assert 'id="response-times"' in page and "inbox/times.js" in page
    assert f'{reverse("inbox:times")}?fragment=1' in page
    card = login(people.alice).get(reverse("inbox:times"), {"fragment": "1"}).content.decode()
    assert "25 min" in card and "last 30 days" in card and "<html" not in card
    page = login(people.alice).get(reverse("inbox:times")).content.decode()
    assert "25 min" in page and "<html" in page
    assert login(people.bob).get(reverse("inbox:times")).content.decode().count("25 min") == 0
    # Older items are outside the page's window but in a report's.
    _answered(channel, "old", morning - timedelta(days=60), timedelta(days=1))
    assert responsetimes.figures(ws)["items"] == 7
    assert responsetimes.figures(ws, start=morning - timedelta(days=1))["items"] == 6
    assert "No business hours set" in page
    # Business hours given by the assistant's settings split the page's figures too.
    workflow.BUSINESS_HOURS.append(lambda workspace: office)
    try:
        page = login(people.alice).get(reverse("inbox:times")).content.decode()
    finally:
        workflow.BUSINESS_HOURS.clear()
    assert "In business hours:" in page and "8 h 00 min" in page
