"""Partners and influencers (§19) on real rows: stage moves recorded in the history, the
follow-up reminder after 10 days sent once (the periodic job run twice, two processes racing),
never for partnered or declined partners nor before 10 days, what each partnership brought in
a period, and the pages and API: viewers read but cannot change, other workspaces get 404."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keryx.approvals.models import Notification, NotificationKind
from keryx.approvals.notifications import notification_text
from keryx.core.models import Membership, Role
from keryx.inbox.models import Conversation, InboxItem
from keryx.listening.models import Result
from keryx.planner.models import Campaign
from keryx.publishing.models import Post, PostTarget, TargetState
from keryx.queues import periodic
from keryx.strategy import partners
from keryx.strategy.models import EventKind, Partner, PartnerEvent, Stage
from tests.api_support import Caller, mastodon_channel


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _age(partner: Partner, days: float) -> None:
    """As if the partner's last stage change was `days` ago."""
    Partner.objects.filter(pk=partner.pk).update(
        stage_changed_at=timezone.now() - timedelta(days=days))


def _reminders() -> int:
    return Notification.objects.filter(kind=NotificationKind.PARTNER_FOLLOW_UP).count()


def test_stage_moves_are_recorded_in_the_history(people):
    anna = partners.create_partner(people.acme, name="Anna", handle="@anna", user=people.alice)
    before = anna.stage_changed_at
    partners.move_stage(anna, Stage.ENGAGING, user=people.alice)
    partners.move_stage(anna, Stage.REACHED_OUT, user=people.alice, how="email")
    partners.move_stage(anna, Stage.REACHED_OUT, user=people.alice)  # already there: nothing
    partners.add_note(anna, "  Likes <b>coffee</b>  ", user=people.alice)
    anna.refresh_from_db()
    assert anna.stage == Stage.REACHED_OUT and anna.stage_changed_at > before
    events = [(e.kind, e.from_stage, e.to_stage, e.text) for e in partners.history(anna)]
    assert events == [
        (EventKind.STAGE, "", Stage.IDENTIFIED, ""),
        (EventKind.STAGE, Stage.IDENTIFIED, Stage.ENGAGING, ""),
        (EventKind.STAGE, Stage.ENGAGING, Stage.REACHED_OUT, ""),
        (EventKind.REACHED_EMAIL, "", "", ""),
        (EventKind.NOTE, "", "", "Likes <b>coffee</b>"),
    ]
    with pytest.raises(partners.PartnerError):
        partners.move_stage(anna, "famous")
    with pytest.raises(partners.PartnerError):
        partners.add_note(anna, "   ")


def test_bad_partner_input_is_refused(people):
    for fields, field in [({"name": "  "}, "name"),
                          ({"name": "A", "email": "not-an-address"}, "email"),
                          ({"name": "A", "profile_url": "javascript:alert(1)"}, "profile_url"),
                          ({"name": "A", "next_follow_up_at": "31/12/2030"}, "next_follow_up_at"),
                          ({"name": "A", "network": "in sta"}, "network")]:
        with pytest.raises(partners.PartnerError) as caught:
            partners.create_partner(people.acme, **fields)
        assert caught.value.field == field
    other = Campaign.objects.create(workspace=people.globex, name="Theirs")
    with pytest.raises(partners.PartnerError):
        partners.create_partner(people.acme, name="A", campaign=other.pk)
    assert not Partner.objects.exists()


def test_the_follow_up_reminder_fires_once_after_10_days(people):
    waiting = partners.create_partner(people.acme, name="Waiting", stage=Stage.PITCHED)
    recent = partners.create_partner(people.acme, name="Recent", stage=Stage.REACHED_OUT)
    done = partners.create_partner(people.acme, name="Done", stage=Stage.PARTNERED)
    no = partners.create_partner(people.acme, name="No", stage=Stage.DECLINED)
    early = partners.create_partner(people.acme, name="Early", stage=Stage.IDENTIFIED)
    _age(waiting, partners.FOLLOW_UP_DAYS + 0.01)
    _age(recent, partners.FOLLOW_UP_DAYS - 0.5)
    for p in (done, no, early):
        _age(p, 40)
    assert periodic.run_once({"partners"}) == {"partners": 1}
    assert periodic.run_once({"partners"}) == {"partners": 0}  # twice run: still one
    found = Notification.objects.filter(kind=NotificationKind.PARTNER_FOLLOW_UP)
    # Alice owns Acme; Charlie is a viewer and does not manage the strategy.
    assert [n.user for n in found] == [people.alice]
    note = found.get()
    assert note.workspace_id == people.acme.pk
    assert note.link == reverse("strategy:partner", args=[waiting.pk])
    assert notification_text(note) == "No answer for 10 days: follow up with Waiting"
    assert PartnerEvent.objects.filter(partner=waiting, kind=EventKind.REMINDER).count() == 1
    # A new stage change starts the clock again: a second reminder 10 days after it.
    partners.move_stage(waiting, Stage.REACHED_OUT)
    assert partners.follow_up_due() == 0
    _age(waiting, partners.FOLLOW_UP_DAYS + 1)
    assert partners.follow_up_due() == 1
    assert _reminders() == 2


def test_two_processes_claiming_the_same_reminder_send_it_once(people):
    """The second process read the partner before the first one's UPDATE: its claim finds
    reminded_for changed and sends nothing."""
    waiting = partners.create_partner(people.acme, name="Racing", stage=Stage.REACHED_OUT)
    _age(waiting, 11)
    stale = Partner.objects.get(pk=waiting.pk)
    assert partners.follow_up_due() == 1
    claimed = Partner.objects.filter(pk=stale.pk, stage_changed_at=stale.stage_changed_at,
                                     reminded_for=stale.reminded_for).update(
        reminded_for=stale.stage_changed_at)
    assert claimed == 0
    assert _reminders() == 1


def _item(channel, handle: str, at: datetime, n: list[int]) -> InboxItem:
    n[0] += 1
    conversation = Conversation.objects.create(workspace=channel.workspace, channel=channel,
                                               remote_id=f"t{n[0]}", kind="comment")
    item = InboxItem.objects.create(workspace=channel.workspace, channel=channel,
                                    conversation=conversation, remote_id=str(n[0]),
                                    kind="comment", author_handle=handle,
                                    author_key=handle.strip().lstrip("@").lower())
    InboxItem.objects.filter(pk=item.pk).update(received_at=at)
    return item


def _post(channel, campaign, at: datetime | None) -> Post:
    post = Post.objects.create(workspace=channel.workspace, text="p", campaign=campaign,
                               scheduled_at=at)
    PostTarget.objects.create(post=post, channel=channel, workspace=channel.workspace,
                              state=TargetState.PUBLISHED if at else TargetState.SCHEDULED,
                              published_at=at)
    return post


def test_what_the_partnership_brought_in_the_period(people):
    channel = mastodon_channel(people.acme)
    other_channel = mastodon_channel(people.globex, "theirs")
    campaign = Campaign.objects.create(workspace=people.acme, name="Summer")
    other_campaign = Campaign.objects.create(workspace=people.acme, name="Winter")
    anna = partners.create_partner(people.acme, name="Anna", handle="@Anna@masto.example",
                                   campaign=campaign)
    first, last = date(2030, 5, 1), date(2030, 5, 31)
    inside = datetime(2030, 5, 31, 23, 59, tzinfo=UTC)
    before = datetime(2030, 4, 30, 23, 59, tzinfo=UTC)
    after = datetime(2030, 6, 1, 0, 0, tzinfo=UTC)
    n = [0]
    _item(channel, "anna@masto.example", datetime(2030, 5, 1, tzinfo=UTC), n)
    _item(channel, "@ANNA@masto.example", inside, n)
    _item(channel, "anna@masto.example", before, n)
    _item(channel, "anna@masto.example", after, n)
    _item(channel, "bob@masto.example", inside, n)
    _item(other_channel, "anna@masto.example", inside, n)  # another workspace's inbox
    for i, (handle, at, irrelevant, ws) in enumerate([
            ("anna@masto.example", inside, False, people.acme),
            ("@anna@masto.example", datetime(2030, 5, 10, tzinfo=UTC), False, people.acme),
            ("anna@masto.example", inside, True, people.acme),  # marked irrelevant
            ("anna@masto.example", after, False, people.acme),
            ("annabel@masto.example", inside, False, people.acme),
            ("anna@masto.example", inside, False, people.globex)]):
        Result.objects.create(workspace=ws, network="mastodon", remote_id=f"r{i}",
                              author_handle=handle, published_at=at, irrelevant=irrelevant)
    _post(channel, campaign, datetime(2030, 5, 15, tzinfo=UTC))
    _post(channel, campaign, before)
    _post(channel, campaign, None)  # not published
    _post(channel, other_campaign, datetime(2030, 5, 15, tzinfo=UTC))
    found = partners.brought(anna, first, last)
    assert (found.inbox_items, found.mentions, found.campaign_posts) == (2, 2, 1)
    # With a network: the same handle heard on another network is not the partner.
    Result.objects.create(workspace=people.acme, network="bluesky", remote_id="b1",
                          author_handle="anna@masto.example", published_at=inside)
    assert partners.brought(anna, first, last).mentions == 3
    partners.update_partner(anna, network="mastodon")
    found = partners.brought(anna, first, last)
    assert (found.inbox_items, found.mentions, found.campaign_posts) == (2, 2, 1)
    partners.update_partner(anna, network="bluesky")
    assert partners.brought(anna, first, last).json() == {
        "inbox_items": 0, "mentions": 1, "campaign_posts": 1}
    nobody = partners.create_partner(people.acme, name="No handle")
    assert partners.brought(nobody, first, last).json() == {
        "inbox_items": None, "mentions": None, "campaign_posts": None}


def test_the_pages_list_by_stage_and_change_with_csrf(people):
    owner = Client(enforce_csrf_checks=True)
    owner.force_login(people.alice)
    page = owner.get(reverse("strategy:partners"))
    assert page.status_code == 200
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    assert owner.post(reverse("strategy:partner_add"), {"name": "X"}).status_code == 403
    done = owner.post(reverse("strategy:partner_add"), {
        "name": "<script>Zoe</script>", "handle": "@zoe", "stage": "engaging",
        "csrfmiddlewaretoken": token})
    zoe = Partner.objects.get()
    assert done.status_code == 302 and zoe.stage == Stage.ENGAGING
    assert zoe.workspace_id == people.acme.pk and zoe.created_by == people.alice
    board = owner.get(reverse("strategy:partners")).content.decode()
    assert "&lt;script&gt;Zoe" in board and "<script>Zoe" not in board
    assert owner.post(reverse("strategy:partner_move", args=[zoe.pk]), {
        "stage": "reached_out", "how": "dm", "csrfmiddlewaretoken": token}).status_code == 302
    assert owner.post(reverse("strategy:partner_note", args=[zoe.pk]), {
        "text": "Answered on Monday", "csrfmiddlewaretoken": token}).status_code == 302
    assert owner.post(reverse("strategy:partner_edit", args=[zoe.pk]), {
        "name": "Zoe", "handle": "@zoe", "next_follow_up_at": "2030-01-15",
        "csrfmiddlewaretoken": token}).status_code == 302
    bad = owner.post(reverse("strategy:partner_edit", args=[zoe.pk]), {
        "name": "Zoe", "email": "nope", "csrfmiddlewaretoken": token})
    assert bad.status_code == 400
    zoe.refresh_from_db()
    assert (zoe.stage, zoe.next_follow_up_at, zoe.email) == (Stage.REACHED_OUT,
                                                            date(2030, 1, 15), "")
    detail = owner.get(reverse("strategy:partner", args=[zoe.pk])).content.decode()
    assert "Moved from Following and engaging to Reached out" in detail
    assert "Reached out by direct message" in detail and "Answered on Monday" in detail
    assert 'id="stage-reached_out"' in board
    strategy = owner.get(reverse("strategy:page")).content.decode()
    assert reverse("strategy:partners") in strategy


def test_viewers_read_but_cannot_change_and_other_workspaces_get_404(people):
    anna = partners.create_partner(people.acme, name="Anna")
    viewer = browser(people.charlie)
    assert viewer.get(reverse("strategy:partners")).status_code == 200
    page = viewer.get(reverse("strategy:partner", args=[anna.pk]))
    assert page.status_code == 200 and "move-stage" not in page.content.decode()
    assert viewer.post(reverse("strategy:partner_add"), {"name": "V"}).status_code == 403
    assert viewer.post(reverse("strategy:partner_move", args=[anna.pk]),
                       {"stage": "pitched"}).status_code == 403
    assert viewer.post(reverse("strategy:partner_note", args=[anna.pk]),
                       {"text": "x"}).status_code == 403
    outsider = browser(people.bob)
    assert outsider.get(reverse("strategy:partner", args=[anna.pk])).status_code == 404
    assert outsider.post(reverse("strategy:partner_move", args=[anna.pk]),
                         {"stage": "pitched"}).status_code == 404
    assert "Anna" not in outsider.get(reverse("strategy:partners")).content.decode()
    anna.refresh_from_db()
    assert anna.stage == Stage.IDENTIFIED and anna.events.count() == 1


def test_the_api_lists_creates_gets_and_moves(people):
    alice = Caller(people.alice)
    made = alice.post("/strategy/partners", {"workspace": people.acme.pk, "name": "Anna",
                                             "handle": "@anna", "stage": "reached_out"})
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["stage"] == "reached_out" and made.json()["brought"]["inbox_items"] == 0
    moved = alice.patch(f"/strategy/partners/{pk}", {"workspace": people.acme.pk,
                                                     "stage": "pitched", "notes": "Sent deck"})
    assert moved.status_code == 200
    body = moved.json()
    assert body["stage"] == "pitched" and body["notes"] == "Sent deck"
    assert [(e["from_stage"], e["to_stage"]) for e in body["events"]] == [
        ("", "reached_out"), ("reached_out", "pitched")]
    refused = alice.patch(f"/strategy/partners/{pk}", {"workspace": people.acme.pk,
                                                       "stage": "famous", "name": "Changed"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "partner_refused"
    assert Partner.objects.get(pk=pk).name == "Anna"
    listed = alice.get("/strategy/partners", workspace=people.acme.pk, stage="pitched")
    assert [p["name"] for p in listed.json()] == ["Anna"]
    one = alice.get(f"/strategy/partners/{pk}", workspace=people.acme.pk,
                    **{"from": "2030-01-01", "until": "2030-01-31"})
    assert one.status_code == 200 and one.json()["brought"]["from"] == "2030-01-01"
    assert alice.get(f"/strategy/partners/{pk}", workspace=people.acme.pk,
                     **{"from": "2030-02-01", "until": "2030-01-31"}).status_code == 422
    Membership.objects.create(workspace=people.globex, user=people.charlie, role=Role.OWNER)
    viewer = Caller(people.charlie)
    assert viewer.get("/strategy/partners", workspace=people.acme.pk).status_code == 200
    denied = viewer.patch(f"/strategy/partners/{pk}", {"workspace": people.acme.pk,
                                                       "stage": "declined"})
    assert denied.status_code == 403
    assert viewer.post("/strategy/partners", {"workspace": people.acme.pk,
                                              "name": "V"}).status_code == 403
    bob = Caller(people.bob)
    assert bob.get(f"/strategy/partners/{pk}", workspace=people.globex.pk).status_code == 404
    assert bob.patch(f"/strategy/partners/{pk}", {"workspace": people.globex.pk,
                                                  "stage": "declined"}).status_code == 404
    assert bob.get("/strategy/partners", workspace=people.acme.pk).status_code == 404
    assert Partner.objects.get(pk=pk).stage == Stage.PITCHED


def test_the_greek_pages_render(people):
    anna = partners.create_partner(people.acme, name="Άννα", stage=Stage.PITCHED)
    _age(anna, 11)
    partners.follow_up_due()
    greek = browser(people.alice)
    greek.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    board = greek.get(reverse("strategy:partners")).content.decode()
    assert "Συνεργάτες και influencers" in board and "Νέος συνεργάτης" in board
    assert "Προτάθηκε συνεργασία" in board
    detail = greek.get(reverse("strategy:partner", args=[anna.pk])).content.decode()
    assert "Ιστορικό" in detail and "Καμία απάντηση για 10 ημέρες" in detail
    bell = greek.get(reverse("approvals:notifications")).content.decode()
    assert "Καμία απάντηση για 10 ημέρες: επικοινωνήστε ξανά με Άννα" in bell
