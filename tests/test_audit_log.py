"""The audit log: entries from the services, and the admin-only page with its filters."""

from __future__ import annotations

import pytest
from django.urls import reverse

from keryx.accounts import services as accounts
from keryx.approvals import services as approvals
from keryx.core.models import AuditLog, Membership, Role
from keryx.publishing import services
from tests.approvals_support import write
from tests.support.web import signed_in

pytestmark = pytest.mark.django_db


def actions(workspace) -> list[str]:
    return list(AuditLog.objects.filter(workspace=workspace).order_by("at", "id")
                .values_list("action", flat=True))


def test_services_leave_a_trail(team):
    acme = team.people.acme
    alice_m = Membership.objects.get(workspace=acme, user=team.people.alice)
    AuditLog.objects.all().delete()
    post = write(team, team.dora)
    approvals.reject(post, user=team.erin, reason="No")
    from datetime import timedelta

    from django.utils import timezone

    services.reschedule_post(post, timezone.now() + timedelta(days=4), actor="dora@example.com")
    approvals.approve(post, user=team.erin)
    services.cancel_post(post, actor="erin@example.com")
    invitation = accounts.invite(actor=alice_m, email="hal@example.com", role=Role.VIEWER)
    dora_m = Membership.objects.get(workspace=acme, user=team.dora)
    accounts.change_role(actor=alice_m, membership_id=dora_m.pk, role=Role.EDITOR)
    accounts.remove_member(actor=alice_m, membership_id=dora_m.pk)
    approvals.set_policy(actor=alice_m, workflow="any")
    from keryx.core.services import update_workspace

    update_workspace(acme, name="Acme Inc", timezone=acme.timezone, actor=team.people.alice)
    from keryx.channels.health import delete_channel

    delete_channel(team.channel, team.people.alice)
    assert actions(acme) == [
        "post.submitted", "post.created", "post.rejected", "post.submitted", "post.rescheduled",
        "post.approved", "post.cancelled", "member.invited", "member.role_changed",
        "member.removed", "settings.changed", "settings.changed", "channel.deleted",
    ]
    entry = AuditLog.objects.get(action="member.role_changed")
    assert entry.actor == team.people.alice
    assert entry.data == {"before": "contributor", "after": "editor"}
    assert AuditLog.objects.get(action="member.invited").object_id == str(invitation.pk)
    assert AuditLog.objects.get(action="post.rejected").data == {"reason": "No"}


def test_the_page_is_for_admins_and_filters(team, django_assert_max_num_queries):
    for i in range(30):
        write(team, team.erin, f"Post {i}")
    approvals.approve(write(team, team.dora, "By dora"), user=team.erin)
    alice = signed_in(team.people.alice)
    with django_assert_max_num_queries(12):
        page = alice.get(reverse("approvals:audit"))
    assert page.status_code == 200
    assert page.content.decode().count('data-action="post.created"') == 31
    filtered = alice.get(reverse("approvals:audit"), {"action": "post.approved"}).content.decode()
    assert filtered.count('data-action="post.approved"') == 1
    assert 'data-action="post.created"' not in filtered
    by_who = alice.get(reverse("approvals:audit"), {"actor": "dora@"}).content.decode()
    assert 'data-action="post.created"' in by_who and "By dora" in by_who
    assert "Post 3" not in by_who
    # Editors, viewers and client approvers do not see it.
    assert signed_in(team.erin).get(reverse("approvals:audit")).status_code == 403
    assert signed_in(team.people.charlie).get(reverse("approvals:audit")).status_code == 403
    assert signed_in(team.fiona).get(reverse("approvals:audit")).status_code == 302
    # Another workspace's owner sees none of Acme's entries.
    assert "By dora" not in signed_in(team.people.bob).get(
        reverse("approvals:audit")).content.decode()


def test_alt_text_is_saved_by_one_service_with_an_entry_from_every_front_end(team):
    """The composer, the library page and the API all change alt text through
    library.services.set_alt_text, which leaves an audit entry (and none when nothing changed)."""
    import io

    from keryx.publishing.models import Media
    from tests.api_support import Caller
    from tests.support.images import png_bytes

    acme = team.people.acme

    def upload() -> Media:
        return services.save_media(workspace=acme, user=team.erin, file=io.BytesIO(png_bytes()),
                                   filename="red.png")

    AuditLog.objects.all().delete()
    by_api, by_page, by_composer = upload(), upload(), upload()
    response = Caller(team.dora).patch(f"/media/{by_api.pk}", {"alt_text": " A red square "})
    assert response.status_code == 200 and response.json()["alt_text"] == "A red square"
    Caller(team.dora).patch(f"/media/{by_api.pk}", {"alt_text": "A red square"})  # no change
    signed_in(team.erin).post(reverse("library:detail", args=[by_page.pk]),
                              {"alt_text": "Red", "tags": ""})
    signed_in(team.dora).post(reverse("posts:new"), {
        "action": "draft", "text": "Hi", "channels": [team.channel.pk], "when": "now",
        "media_id": [by_composer.pk], f"media_alt_{by_composer.pk}": "Crimson"})
    entries = AuditLog.objects.filter(action="media.alt_text_changed").order_by("id")
    assert [(e.object_id, e.actor, e.data["after"]) for e in entries] == [
        (str(by_api.pk), team.dora, "A red square"),
        (str(by_page.pk), team.erin, "Red"),
        (str(by_composer.pk), team.dora, "Crimson"),
    ]
    assert {m.alt_text for m in Media.objects.filter(workspace=acme)} == {
        "A red square", "Red", "Crimson"}
