"""Workspace scoping of channels in the web UI and the REST API, and secrets never shown."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from keryx.accounts.models import ApiToken
from keryx.channels.connect import connect_mastodon_token
from keryx.channels.health import mark_needs_reconnect
from keryx.channels.models import Channel, ChannelStatus
from tests.fixtures.people import PASSWORD
from tests.support.web import signed_in


def api_client(user) -> Client:
    _, raw = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def alices_channel(people, mastodon):
    account = mastodon.new_account("scope")
    return connect_mastodon_token(
        people.acme, people.alice, mastodon.url, account.access_token, name="Acme Masto"
    )


def test_list_page_shows_own_channels_without_secrets(people, alices_channel):
    token = alices_channel.credentials["access_token"]
    html = signed_in(people.alice, password=PASSWORD).get("/channels/").content.decode()
    assert "Acme Masto" in html and alices_channel.handle in html
    assert token not in html
    assert f"/channels/{alices_channel.pk}/delete/" in html
    # charlie (viewer) sees it but gets no delete or connect buttons
    html = signed_in(people.charlie, password=PASSWORD).get("/channels/").content.decode()
    assert "Acme Masto" in html and "/delete/" not in html and "connect/mastodon" not in html
    # bob sees only Globex
    bob = signed_in(people.bob, password=PASSWORD)
    assert "Acme Masto" not in bob.get("/channels/").content.decode()


def test_needs_reconnect_shows_warning_and_reconnect(people, alices_channel, mastodon):
    mark_needs_reconnect(alices_channel, "The access token was revoked")
    html = signed_in(people.alice, password=PASSWORD).get("/channels/").content.decode()
    assert "Needs reconnecting" in html and "The access token was revoked" in html
    reconnect = f"/channels/{alices_channel.pk}/reconnect/"
    assert reconnect in html
    response = signed_in(people.alice, password=PASSWORD).get(reconnect)
    assert response.status_code == 302
    assert response["Location"].startswith("/channels/connect/mastodon/?instance=http")
    form = signed_in(people.alice, password=PASSWORD).get(response["Location"]).content.decode()
    assert mastodon.url in form


def test_bob_cannot_delete_alices_channel_in_the_ui(people, alices_channel):
    bob = signed_in(people.bob, password=PASSWORD)
    assert bob.get(f"/channels/{alices_channel.pk}/delete/").status_code == 404
    assert bob.post(f"/channels/{alices_channel.pk}/delete/").status_code == 404
    assert bob.get(f"/channels/{alices_channel.pk}/reconnect/").status_code == 404
    charlie = signed_in(people.charlie, password=PASSWORD)
    assert charlie.post(f"/channels/{alices_channel.pk}/delete/").status_code == 403
    assert Channel.objects.filter(pk=alices_channel.pk).exists()


def test_delete_needs_post_with_csrf(people, alices_channel):
    alice = Client(enforce_csrf_checks=True)
    alice.login(username=people.alice.username, password=PASSWORD)
    page = alice.get(f"/channels/{alices_channel.pk}/delete/")
    assert page.status_code == 200 and b"Delete Acme Masto?" in page.content
    assert alice.post(f"/channels/{alices_channel.pk}/delete/").status_code == 403  # no token
    assert Channel.objects.filter(pk=alices_channel.pk).exists()
    token = page.context["csrf_token"]
    response = alice.post(
        f"/channels/{alices_channel.pk}/delete/", {"csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 302
    assert not Channel.objects.filter(pk=alices_channel.pk).exists()


def test_api_list_and_scoping(people, alices_channel):
    alice, bob = api_client(people.alice), api_client(people.bob)
    body = alice.get("/api/v1/channels").json()
    assert [c["name"] for c in body] == ["Acme Masto"]
    assert body[0]["status"] == ChannelStatus.ACTIVE and body[0]["network"] == "mastodon"
    assert alice.get(f"/api/v1/channels?workspace={people.acme.pk}").json()[0]["id"] == (
        alices_channel.pk
    )
    assert alice.get(f"/api/v1/channels/{alices_channel.pk}").status_code == 200
    assert bob.get("/api/v1/channels").json() == []
    assert bob.get(f"/api/v1/channels?workspace={people.acme.pk}").status_code == 404
    assert bob.get(f"/api/v1/channels/{alices_channel.pk}").status_code == 404
    assert bob.delete(f"/api/v1/channels/{alices_channel.pk}").status_code == 404
    assert api_client(people.charlie).delete(
        f"/api/v1/channels/{alices_channel.pk}"
    ).status_code == 403
    assert Channel.objects.filter(pk=alices_channel.pk).exists()
    assert alice.delete(f"/api/v1/channels/{alices_channel.pk}").status_code == 204
    assert alice.get("/api/v1/channels").json() == []


def test_api_connect_never_returns_credentials(people, mastodon):
    account = mastodon.new_account("apic")
    alice = api_client(people.alice)
    response = alice.post(
        "/api/v1/channels/mastodon",
        json.dumps({"instance": mastodon.url, "access_token": account.access_token}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    text = response.content.decode()
    assert account.access_token not in text and "access_token" not in text
    assert response.json()["workspace"] == people.acme.pk
    assert account.access_token not in alice.get("/api/v1/channels").content.decode()
    # Bad input: a specific 400, not a 500.
    response = alice.post(
        "/api/v1/channels/mastodon",
        json.dumps({"instance": mastodon.url, "access_token": "nope"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "auth_refused"
    # Bob cannot connect into alice's workspace.
    response = api_client(people.bob).post(
        "/api/v1/channels/mastodon",
        json.dumps({"workspace": people.acme.pk, "instance": mastodon.url,
                    "access_token": account.access_token}),
        content_type="application/json",
    )
    assert response.status_code == 404
    # A viewer cannot connect.
    response = api_client(people.charlie).post(
        "/api/v1/channels/mastodon",
        json.dumps({"workspace": people.acme.pk, "instance": mastodon.url,
                    "access_token": account.access_token}),
        content_type="application/json",
    )
    assert response.status_code == 403


def test_api_connect_bluesky_wrong_password_is_400(people, bluesky_account):
    response = api_client(people.alice).post(
        "/api/v1/channels/bluesky",
        json.dumps({"handle": bluesky_account.handle, "app_password": "bad-bad-bad-bad",
                    "service": bluesky_account.service}),
        content_type="application/json",
    )
    assert response.status_code == 400 and "refused" in response.json()["error"]["message"]
    response = api_client(people.alice).post(
        "/api/v1/channels/bluesky",
        json.dumps({"handle": bluesky_account.handle,
                    "app_password": bluesky_account.app_password,
                    "service": bluesky_account.service}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert bluesky_account.app_password not in response.content.decode()
    assert response.json()["server"] == bluesky_account.service
