"""Accounts pages: invitations, roles, API tokens, language and time zone, workspaces."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from keryx.accounts.models import ApiToken, Invitation, hash_token
from keryx.core.access import SESSION_WORKSPACE_KEY
from keryx.core.models import Membership, Role, UserProfile, Workspace
from tests.fixtures.people import PASSWORD
from tests.support.web import signed_in

pytestmark = pytest.mark.django_db


def test_invite_new_person_who_signs_up_and_joins(people):
    alice = signed_in(people.alice)
    response = alice.post(reverse("members"), {"email": "dora@example.com", "role": "editor"})
    assert response.status_code == 200
    invitation = Invitation.objects.get(email="dora@example.com")
    link = response.context["new_link"]
    assert link.endswith(reverse("accept_invitation", args=[invitation.token]))

    dora = Client()
    page = dora.get(reverse("accept_invitation", args=[invitation.token]))
    assert "Create account and join" in page.content.decode()
    response = dora.post(
        reverse("accept_invitation", args=[invitation.token]),
        {"password1": "a long new passphrase", "password2": "a long new passphrase"},
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="dora@example.com")
    assert user.username == "dora@example.com"
    assert Membership.objects.get(user=user, workspace=people.acme).role == Role.EDITOR
    # The link works once.
    again = Client().get(reverse("accept_invitation", args=[invitation.token]))
    assert again.status_code == 404


def test_signed_in_invitee_joins_and_other_user_cannot_use_the_link(people):
    alice = signed_in(people.alice)
    alice.post(reverse("members"), {"email": "bob@example.com", "role": "viewer"})
    invitation = Invitation.objects.get(email="bob@example.com")
    url = reverse("accept_invitation", args=[invitation.token])
    charlie = signed_in(people.charlie)
    response = charlie.post(url)
    assert "This invitation is for bob@example.com" in response.content.decode()
    assert not Membership.objects.filter(user=people.bob, workspace=people.acme).exists()
    bob = signed_in(people.bob)
    assert bob.post(url).status_code == 302
    assert Membership.objects.get(user=people.bob, workspace=people.acme).role == Role.VIEWER
    assert bob.session[SESSION_WORKSPACE_KEY] == people.acme.pk


def test_viewer_cannot_invite_or_change_roles(people):
    charlie = signed_in(people.charlie)
    charlie.post(reverse("members"), {"email": "eve@example.com", "role": "owner"})
    assert not Invitation.objects.exists()
    alice_membership = Membership.objects.get(user=people.alice, workspace=people.acme)
    response = charlie.post(
        reverse("member_role", args=[alice_membership.pk]), {"role": "viewer"}
    )
    assert response.status_code == 403
    alice_membership.refresh_from_db()
    assert alice_membership.role == Role.OWNER


def test_last_owner_cannot_be_removed_or_demoted(people):
    alice = signed_in(people.alice)
    own = Membership.objects.get(user=people.alice, workspace=people.acme)
    alice.post(reverse("member_remove", args=[own.pk]))
    alice.post(reverse("member_role", args=[own.pk]), {"role": "editor"})
    own.refresh_from_db()
    assert own.role == Role.OWNER
    charlie = Membership.objects.get(user=people.charlie, workspace=people.acme)
    alice.post(reverse("member_role", args=[charlie.pk]), {"role": "editor"})
    charlie.refresh_from_db()
    assert charlie.role == Role.EDITOR
    alice.post(reverse("member_remove", args=[charlie.pk]))
    assert not Membership.objects.filter(pk=charlie.pk).exists()


def test_admin_cannot_make_owners(people):
    Membership.objects.filter(user=people.charlie, workspace=people.acme).update(role=Role.ADMIN)
    charlie = signed_in(people.charlie)
    own = Membership.objects.get(user=people.charlie, workspace=people.acme)
    charlie.post(reverse("member_role", args=[own.pk]), {"role": "owner"})
    own.refresh_from_db()
    assert own.role == Role.ADMIN


def test_members_of_other_workspace_cannot_be_touched(people):
    bob = signed_in(people.bob)
    charlie = Membership.objects.get(user=people.charlie, workspace=people.acme)
    assert bob.post(reverse("member_remove", args=[charlie.pk])).status_code == 404
    assert Membership.objects.filter(pk=charlie.pk).exists()


def test_api_token_shown_once_listed_by_prefix_and_revoked(people):
    alice = signed_in(people.alice)
    response = alice.post(reverse("tokens"), {"name": "script"})
    raw = response.context["raw_token"]
    assert raw.startswith("kx_") and raw in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=people.alice)
    assert token.token_hash == hash_token(raw)
    listing = alice.get(reverse("tokens")).content.decode()
    assert raw not in listing and token.prefix in listing
    api = Client().get("/api/v1/posts", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 200
    signed_in(people.bob).post(reverse("token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is None  # not bob's to revoke
    alice.post(reverse("token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/posts", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_greek_ui_is_translated_and_persisted(people):
    alice = signed_in(people.alice)
    response = alice.post(
        reverse("set_user_language"), {"language": "el", "next": reverse("posts:list")}
    )
    assert response.status_code == 302
    assert UserProfile.objects.get(user=people.alice).language == "el"
    html = alice.get(reverse("posts:list")).content.decode()
    assert '<html lang="el">' in html
    assert "Αναρτήσεις" in html and "Νέα ανάρτηση" in html
    # A fresh browser picks the language up from the profile at sign-in.
    fresh = Client()
    fresh.post(reverse("login"), {"username": "alice@example.com", "password": PASSWORD})
    assert "Αναρτήσεις" in fresh.get(reverse("posts:list")).content.decode()


def test_time_zone_preference(people):
    alice = signed_in(people.alice)
    alice.post(reverse("preferences"), {"language": "en", "timezone": "America/New_York"})
    assert UserProfile.objects.get(user=people.alice).timezone == "America/New_York"
    assert "Times in America/New_York" in alice.get(reverse("posts:list")).content.decode()


def test_create_switch_and_configure_workspace(people):
    alice = signed_in(people.alice)
    response = alice.post(
        reverse("workspace_create"), {"name": "Initech", "timezone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    initech = Workspace.objects.get(name="Initech")
    assert Membership.objects.get(workspace=initech, user=people.alice).role == Role.OWNER
    assert alice.session[SESSION_WORKSPACE_KEY] == initech.pk
    alice.post(reverse("workspace_switch", args=[people.acme.pk]))
    assert alice.session[SESSION_WORKSPACE_KEY] == people.acme.pk
    # Switching to someone else's workspace is a 404, not a switch.
    assert alice.post(reverse("workspace_switch", args=[people.globex.pk])).status_code == 404
    alice.post(reverse("workspace_settings"), {"name": "Acme Corp", "timezone": "UTC"})
    people.acme.refresh_from_db()
    assert (people.acme.name, people.acme.timezone) == ("Acme Corp", "UTC")
    # A viewer may not change settings.
    assert signed_in(people.charlie).get(reverse("workspace_settings")).status_code == 403
