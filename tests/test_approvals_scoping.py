"""A client approver sees only the posts sent to them: 404 for every other post, in the UI and
the API; the rest of the workspace (channels, members, lists) is out of reach."""

from __future__ import annotations

import pytest
from django.urls import reverse

from keryx.approvals import services as approvals
from keryx.approvals.models import Workflow
from keryx.core.models import Membership
from tests.api_support import Caller
from tests.approvals_support import write
from tests.support.web import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_and_not(team):
    """One post sent to fiona (named workflow), and one of the team's own she must not see."""
    hidden = write(team, team.erin, "Internal plan, not for the client")
    acme = team.people.acme
    approvals.set_policy(
        actor=Membership.objects.get(workspace=acme, user=team.people.alice),
        workflow=Workflow.NAMED,
        approvers=list(Membership.objects.filter(workspace=acme, user=team.fiona)),
    )
    sent = write(team, team.erin, "Post for the client to approve")
    return sent, hidden


def test_ui_shows_the_client_only_what_was_sent(team, sent_and_not):
    sent, hidden = sent_and_not
    fiona = signed_in(team.fiona)
    page = fiona.get(reverse("posts:detail", args=[sent.pk]))
    assert page.status_code == 200
    assert "Post for the client to approve" in page.content.decode()
    assert fiona.get(reverse("posts:detail", args=[hidden.pk])).status_code == 404
    inbox = fiona.get(reverse("approvals:inbox")).content.decode()
    assert "Post for the client to approve" in inbox
    assert "Internal plan" not in inbox
    # Lists, channels, members and the dashboard send her to her inbox instead.
    for name in ("posts:list", "channels:list", "members", "dashboard", "posts:new"):
        response = fiona.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"] == reverse("approvals:inbox")
    # She cannot comment on or approve what was not sent to her.
    assert fiona.post(reverse("approvals:approve", args=[hidden.pk])).status_code == 404
    assert fiona.post(reverse("approvals:comment", args=[hidden.pk]),
                      {"body": "hi"}).status_code == 404
    # And she can approve what was.
    fiona.post(reverse("approvals:approve", args=[sent.pk]))
    assert sent.targets.get().state == "scheduled"


def test_api_shows_the_client_only_what_was_sent(team, sent_and_not):
    sent, hidden = sent_and_not
    api = Caller(team.fiona)
    assert api.get(f"/posts/{sent.pk}").status_code == 200
    assert api.get(f"/posts/{hidden.pk}").status_code == 404
    listed = api.get("/posts").json()
    assert [p["id"] for p in listed["items"]] == [sent.pk]
    assert api.get("/channels").json() == []
    assert api.get(f"/channels/{team.channel.pk}").status_code == 404
    assert api.get(f"/workspaces/{team.people.acme.pk}/members").status_code == 403
    assert api.post(f"/posts/{sent.pk}/cancel").status_code == 403
    # The team still sees everything.
    assert len(Caller(team.erin).get("/posts").json()["items"]) == 2


def test_a_client_approver_never_receives_a_team_review(team):
    # Without the named workflow, a contributor's post goes to the team, not to the client.
    post = write(team, team.dora)
    assert signed_in(team.fiona).get(reverse("posts:detail", args=[post.pk])).status_code == 404
