"""The review workflow end to end through the web UI: submit, approve, reject, named
approvers, a time that passed, an edit after approval, and the check at publish time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from keryx.approvals import services as approvals
from keryx.approvals.models import ApprovalRequest, RequestState, Workflow
from keryx.core.models import Membership
from keryx.publishing import services
from keryx.publishing.delivery import publish_claimed
from keryx.publishing.models import Post, PostTarget, TargetState
from keryx.publishing.scheduler import claim_due
from tests.approvals_support import states, write
from tests.support.web import signed_in

pytestmark = pytest.mark.django_db


def compose(client, channel, text: str, *, date: str = "2031-05-04", time: str = "10:30"):
    return client.post(reverse("posts:new"), {
        "text": text, "channels": [channel.pk], "when": "later", "date": date, "time": time,
        "action": "submit",
    })


def test_contributor_submits_and_an_editor_approves(team):
    response = compose(signed_in(team.dora), team.channel, "Launch day")
    post = Post.objects.get(text="Launch day")
    assert response.status_code == 302
    assert states(post) == [TargetState.PENDING_APPROVAL]
    assert post.targets.get().due_at is None  # nothing claimable while it waits
    review = ApprovalRequest.objects.get(post=post)
    # Sent to the team's approvers, never back to the author or to a viewer.
    assert {u.email for u in review.recipients.all()} == {"alice@example.com",
                                                         "erin@example.com"}

    # The contributor cannot approve their own post; the viewer cannot either.
    assert signed_in(team.dora).post(reverse("approvals:approve", args=[post.pk])).status_code \
        == 403
    assert signed_in(team.people.charlie).post(
        reverse("approvals:approve", args=[post.pk])).status_code == 403
    assert states(post) == [TargetState.PENDING_APPROVAL]

    page = signed_in(team.erin).get(reverse("approvals:inbox")).content.decode()
    assert "Launch day" in page
    response = signed_in(team.erin).post(reverse("approvals:approve", args=[post.pk]))
    assert response.status_code == 302
    post.refresh_from_db()
    target = post.targets.get()
    assert target.state == TargetState.SCHEDULED
    assert target.due_at == post.scheduled_at
    assert post.scheduled_at.isoformat().startswith("2031-05-04T07:30")  # 10:30 in Athens
    review.refresh_from_db()
    assert review.state == RequestState.APPROVED
    assert "Launch day" not in signed_in(team.erin).get(
        reverse("approvals:inbox")).content.decode()
    # A second approval of a finished review changes nothing.
    signed_in(team.people.alice).post(reverse("approvals:approve", args=[post.pk]))
    assert review.decisions.count() == 1


def test_reject_sends_it_back_as_a_draft_with_the_reason(team):
    post = write(team, team.dora)
    alice = signed_in(team.people.alice)
    # A rejection without a reason is refused.
    alice.post(reverse("approvals:reject", args=[post.pk]), {"reason": "  "})
    assert states(post) == [TargetState.PENDING_APPROVAL]
    alice.post(reverse("approvals:reject", args=[post.pk]),
               {"reason": "Use the new logo, please"})
    assert states(post) == [TargetState.DRAFT]
    page = signed_in(team.dora).get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert "Use the new logo, please" in page
    event = post.targets.get().events.order_by("-at", "-id").first()
    assert "Use the new logo, please" in event.message

    # Corrected and sent again: a new review opens.
    services.edit_post(post, text="Autumn launch, new logo", editor=team.dora, actor="dora")
    response = signed_in(team.dora).post(reverse("approvals:submit", args=[post.pk]))
    assert response.status_code == 302
    assert states(post) == [TargetState.PENDING_APPROVAL]
    assert ApprovalRequest.objects.filter(post=post, state=RequestState.PENDING).count() == 1


def test_named_approvers_only_and_each_of_them(team):
    acme = team.people.acme
    approvers = Membership.objects.filter(workspace=acme, user__in=[team.erin, team.fiona])
    alice_m = Membership.objects.get(workspace=acme, user=team.people.alice)
    approvals.set_policy(actor=alice_m, workflow=Workflow.NAMED, approvers=list(approvers))

    # Under the named workflow even the owner's own post waits.
    post = write(team, team.people.alice)
    assert states(post) == [TargetState.PENDING_APPROVAL]
    # Dora's too, and an unnamed owner cannot approve it.
    dora_post = write(team, team.dora, "Dora's post")
    assert signed_in(team.people.alice).post(
        reverse("approvals:approve", args=[dora_post.pk])).status_code == 403

    signed_in(team.erin).post(reverse("approvals:approve", args=[post.pk]))
    assert states(post) == [TargetState.PENDING_APPROVAL]  # fiona has not answered yet
    signed_in(team.fiona).post(reverse("approvals:approve", args=[post.pk]))
    assert states(post) == [TargetState.SCHEDULED]


def test_named_workflow_needs_an_approver(team):
    alice_m = Membership.objects.get(workspace=team.people.acme, user=team.people.alice)
    response = signed_in(team.people.alice).post(
        reverse("approvals:settings"), {"workflow": "named"})
    assert response.status_code == 200
    assert "Name at least one approver" in response.content.decode()
    assert approvals.policy_for(alice_m.workspace).workflow == Workflow.NONE


def test_a_time_that_passed_asks_for_a_new_one(team):
    post = write(team, team.dora)
    PostTarget.objects.filter(post=post).update()
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - timedelta(hours=1))
    erin = signed_in(team.erin)
    response = erin.post(reverse("approvals:approve", args=[post.pk]))
    assert "new_time=1" in response["Location"]
    assert states(post) == [TargetState.PENDING_APPROVAL]
    page = erin.get(response["Location"]).content.decode()
    assert "Choose a new time to approve it" in page
    erin.post(reverse("approvals:approve", args=[post.pk]), {"date": "2031-06-01",
                                                             "time": "09:00"})
    post.refresh_from_db()
    assert states(post) == [TargetState.SCHEDULED]
    assert post.targets.get().due_at == post.scheduled_at
    assert post.scheduled_at.isoformat().startswith("2031-06-01T06:00")


def test_an_edit_after_approval_sends_it_back(team):
    post = write(team, team.dora)
    approvals.approve(post, user=team.erin)
    assert states(post) == [TargetState.SCHEDULED]
    response = signed_in(team.dora).post(reverse("approvals:edit", args=[post.pk]),
                                         {"text": "Autumn launch (changed)"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.text == "Autumn launch (changed)"
    assert states(post) == [TargetState.PENDING_APPROVAL]
    assert list(ApprovalRequest.objects.filter(post=post).values_list("state", flat=True)) == [
        RequestState.PENDING, RequestState.SUPERSEDED]


def test_an_editors_post_without_a_workflow_is_scheduled_directly(team):
    post = write(team, team.erin)
    assert states(post) == [TargetState.SCHEDULED]
    services.edit_post(post, text="Changed", editor=team.erin, actor="erin")
    assert states(post) == [TargetState.SCHEDULED]
    assert not ApprovalRequest.objects.filter(post=post).exists()


def test_a_contributors_draft_goes_to_review_when_rescheduled(team):
    post = services.create_post(workspace=team.people.acme, author=team.dora, text="Draft",
                                channels=[team.channel], draft=True, actor="dora")
    services.reschedule_post(post, timezone.now() + timedelta(days=3), actor="dora")
    assert states(post) == [TargetState.PENDING_APPROVAL]
    assert ApprovalRequest.objects.filter(post=post, state=RequestState.PENDING).exists()


def test_publish_time_recheck_holds_a_post_that_lost_its_approval(team):
    post = write(team, team.dora)
    approvals.approve(post, user=team.erin)
    target = post.targets.get()
    PostTarget.objects.filter(pk=target.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    [claim] = claim_due("w1", ids=[target.pk])
    # A new review opens after the claim (as an edit does): the target is already publishing,
    # so only the engine's own check can stop it.
    approvals.submit(post, by=team.dora, actor="dora")
    assert PostTarget.objects.get(pk=target.pk).state == TargetState.PUBLISHING
    assert publish_claimed(claim, worker_id="w1") == TargetState.PENDING_APPROVAL
    target.refresh_from_db()
    assert target.state == TargetState.PENDING_APPROVAL
    assert target.attempts == 0 and not target.remote_id  # nothing was sent


def test_contributor_via_api_waits_for_approval(team):
    from tests.api_support import Caller

    response = Caller(team.dora).post("/posts", {
        "workspace": team.people.acme.pk, "text": "From the API",
        "channels": [team.channel.pk], "scheduled_at": "2031-01-02T10:00",
    })
    assert response.status_code == 201, response.content
    assert {t["state"] for t in response.json()["targets"]} == {"pending_approval"}
