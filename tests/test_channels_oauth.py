"""The Mastodon authorization-code flow end to end: Keryx's pages, mastodon-mock's authorize
page (the user picks an account there), the callback, and a working channel."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from keryx.channels.models import Channel, OAuthApp, OAuthState
from tests.fixtures.people import PASSWORD
from tests.support.web import signed_in


def begin(client: Client, mastodon, **extra) -> str:
    response = client.post("/channels/connect/mastodon/", {"instance": mastodon.url, **extra})
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def callback(client: Client, redirect_url: str):
    parts = urlsplit(redirect_url)
    assert parts.path == "/channels/oauth/mastodon/callback/"
    return client.get(parts.path + "?" + parts.query)


def flash(response) -> list[str]:
    """The messages queued for the next page (older unread ones first)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def alice(people):
    return signed_in(people.alice, password=PASSWORD)


def test_full_flow_creates_a_working_channel(people, mastodon, alice, settings):
    account = mastodon.new_account("oauth")
    url = begin(alice, mastodon, name="Acme on Mastodon")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == mastodon.url + "/oauth/authorize"
    assert query["response_type"] == "code" and query["scope"] == "read write"
    assert query["redirect_uri"] == settings.BASE_URL + "/channels/oauth/mastodon/callback/"
    assert len(query["state"]) >= 32
    assert OAuthState.objects.get(state=query["state"]).user == people.alice

    back = mastodon.approve(url, account.username)
    response = callback(alice, back)
    assert response.status_code == 302 and response["Location"] == "/channels/"
    assert flash(response)[-1] == "Connected Acme on Mastodon."
    channel = Channel.objects.get(workspace=people.acme)
    assert channel.name == "Acme on Mastodon" and channel.remote_id == account.id
    assert channel.handle == f"@{account.username}@localhost:{mastodon.port}"
    token = channel.credentials["access_token"]
    assert mastodon.api("GET", "/api/v1/accounts/verify_credentials", token).json()["id"] == (
        account.id
    )
    assert not OAuthState.objects.filter(state=query["state"]).exists()

    # The same approval again: the state was single-use.
    again = callback(alice, back)
    assert "unknown or was already used" in flash(again)[-1]
    assert Channel.objects.count() == 1

    # A second connect on the same server reuses the registered app.
    begin(alice, mastodon)
    assert OAuthApp.objects.filter(server_url=mastodon.url).count() == 1


def test_bad_missing_and_foreign_state_refused(people, mastodon, alice):
    account = mastodon.new_account("st")
    response = alice.get("/channels/oauth/mastodon/callback/?code=mockcode_x&state=forged")
    assert "unknown or was already used" in flash(response)[-1]
    response = alice.get("/channels/oauth/mastodon/callback/?code=mockcode_x")
    assert "has no state" in flash(response)[-1]

    # Bob finishing alice's authorization (e.g. a link passed around) is refused.
    back = mastodon.approve(begin(alice, mastodon), account.username)
    bob = signed_in(people.bob, password=PASSWORD)
    response = callback(bob, back)
    assert "started by another user" in flash(response)[-1]
    assert not Channel.objects.exists()


def test_expired_state_refused(people, mastodon, alice):
    account = mastodon.new_account("exp")
    back = mastodon.approve(begin(alice, mastodon), account.username)
    started = OAuthState.objects.get().created_at
    OAuthState.objects.update(created_at=started - timedelta(minutes=16))
    assert "expired" in flash(callback(alice, back))[-1]
    assert not Channel.objects.exists()


def test_user_denied_and_bad_code(people, mastodon, alice):
    state = parse_qs(urlsplit(begin(alice, mastodon)).query)["state"][0]
    response = alice.get(
        "/channels/oauth/mastodon/callback/",
        {"error": "access_denied", "error_description": "The resource owner denied the request.",
         "state": state},
    )
    assert flash(response)[-1] == (
        f"{mastodon.url} did not authorize Keryx (The resource owner denied the request.)."
    )
    state = parse_qs(urlsplit(begin(alice, mastodon)).query)["state"][0]
    response = alice.get("/channels/oauth/mastodon/callback/", {"code": "garbage", "state": state})
    assert "refused the authorization code" in flash(response)[-1]
    assert not Channel.objects.exists()


def test_connect_form_errors_and_token_path(people, mastodon, alice, settings):
    response = alice.post("/channels/connect/mastodon/", {"instance": "https://x.org/a/b"})
    assert response.status_code == 200
    assert "no path" in response.content.decode()
    settings.ALLOWED_PRIVATE_HOSTS = []
    response = alice.post("/channels/connect/mastodon/", {"instance": mastodon.url})
    assert "private or local address" in response.content.decode()
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    account = mastodon.new_account("form")
    response = alice.post(
        "/channels/connect/mastodon/",
        {"instance": mastodon.url, "access_token": account.access_token},
    )
    assert response.status_code == 302 and response["Location"] == "/channels/"
    assert Channel.objects.get().remote_id == account.id


def test_viewer_cannot_start_a_connection(people, mastodon):
    charlie = signed_in(people.charlie, password=PASSWORD)
    assert charlie.get("/channels/connect/mastodon/").status_code == 403
    response = charlie.post("/channels/connect/mastodon/", {"instance": mastodon.url})
    assert response.status_code == 403
    assert not OAuthState.objects.exists()
