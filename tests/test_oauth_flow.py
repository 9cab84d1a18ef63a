"""The generic OAuth 2.0 connect flow, end to end through the web UI (Django test client) against
a loopback authorization server (tests/support/loopnet.py) that checks the client credentials,
the redirect URI, single-use codes and the PKCE code_verifier."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from keryx.channels.models import Channel, ChannelStatus, OAuthState
from keryx.networks import oauth2, registry
from tests.support.loopnet import LoopnetProvider, LoopnetServer

pytestmark = pytest.mark.django_db

CLIENT_ID = "keryx-test-app"
CLIENT_SECRET = "s3cret-app"


@pytest.fixture
def server(settings) -> Iterator[LoopnetServer]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    registry.register("loopnet", LoopnetProvider)
    with LoopnetServer(CLIENT_ID, CLIENT_SECRET) as running:
        settings.KERYX_NETWORK_CONFIG = {
            **settings.KERYX_NETWORK_CONFIG,
            "loopnet": {"api_base": running.url, "oauth_base": running.url,
                        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        }
        yield running
    registry.unregister("loopnet")


@pytest.fixture
def alice_client(client, people):
    client.force_login(people.alice)
    return client


def start(client, **fields) -> str:
    """Press "Sign in with Loopnet"; the authorize URL the browser is sent to."""
    data = {"method": "oauth", **{f"oauth-{k}": v for k, v in fields.items()}}
    response = client.post("/channels/connect/loopnet/", data)
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def authorize(url: str) -> str:
    """The browser at the network: the user allows; the network redirects back."""
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302
    return answer.headers["location"]


def come_back(client, redirect: str):
    parts = urlsplit(redirect)
    return client.get(parts.path, parse_qs(parts.query))


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_connect_page_lists_the_network_with_its_sign_in(alice_client, server):
    page = alice_client.get("/channels/connect/").content.decode()
    assert "Loopnet" in page and "/channels/connect/loopnet/" in page
    form = alice_client.get("/channels/connect/loopnet/").content.decode()
    assert "Sign in with Loopnet" in form
    assert "/channels/oauth/loopnet/callback/" in form  # the redirect URL to register


def test_oauth_connects_with_state_and_pkce(alice_client, server, people, settings):
    url = start(alice_client, page_id="p-9", name="Loop main")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert url.startswith(server.url + "/authorize?")
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == settings.BASE_URL + "/channels/oauth/loopnet/callback/"
    assert query["scope"] == "post.write profile.read offline"
    assert query["code_challenge_method"] == "S256"
    pending = OAuthState.objects.get(state=query["state"])
    # The verifier is kept (encrypted) and matches the challenge sent.
    assert oauth2.pkce_challenge(pending.secrets["code_verifier"]) == query["code_challenge"]

    response = come_back(alice_client, authorize(url))
    assert response.status_code == 302 and response["Location"] == "/channels/"
    assert flash(response) == ["Connected Loop main."]
    channel = Channel.objects.get(network="loopnet")
    assert channel.workspace == people.acme and channel.name == "Loop main"
    assert channel.remote_id == "4242" and channel.handle == "loopy"
    assert channel.settings["page_id"] == "p-9"
    assert channel.credentials["access_token"] in server.access_tokens
    assert channel.credentials["refresh_token"] in server.refresh_tokens
    assert channel.credentials["expires_at"]
    token_call = [e for e in server.log if e["path"] == "/token"][0]
    assert token_call["form"]["grant_type"] == "authorization_code"
    assert token_call["authorization"].startswith("Basic ")
    assert "code_verifier" in token_call["form"]
    # The state was used up.
    assert not OAuthState.objects.filter(state=query["state"]).exists()
    # Tokens never reach the page.
    listing = alice_client.get("/channels/").content.decode()
    assert channel.credentials["access_token"] not in listing


def test_unknown_state_is_rejected(alice_client, server):
    start(alice_client)
    response = alice_client.get(
        "/channels/oauth/loopnet/callback/", {"state": "forged", "code": "code-x"}
    )
    assert "unknown or was already used" in flash(response)[0]
    assert not Channel.objects.filter(network="loopnet").exists()
    assert not [e for e in server.log if e["path"] == "/token"]


def test_reused_state_is_rejected(alice_client, server):
    redirect = authorize(start(alice_client))
    come_back(alice_client, redirect)
    again = come_back(alice_client, redirect)
    assert "unknown or was already used" in flash(again)[-1]
    assert Channel.objects.filter(network="loopnet").count() == 1


def test_expired_state_is_rejected(alice_client, server):
    redirect = authorize(start(alice_client))
    OAuthState.objects.update(created_at=timezone.now() - timedelta(minutes=16))
    response = come_back(alice_client, redirect)
    assert "expired" in flash(response)[0]
    assert not Channel.objects.filter(network="loopnet").exists()


def test_state_of_another_user_is_rejected(alice_client, client, server, people):
    redirect = authorize(start(alice_client))
    client.force_login(people.bob)
    response = come_back(client, redirect)
    assert "another user" in flash(response)[0]
    assert not Channel.objects.filter(network="loopnet").exists()


def test_pkce_mismatch_is_rejected_by_the_network(alice_client, server):
    redirect = authorize(start(alice_client))
    pending = OAuthState.objects.get()
    pending.secrets = {**pending.secrets, "code_verifier": "not-the-verifier-" + "x" * 40}
    pending.save()
    response = come_back(alice_client, redirect)
    message = flash(response)[0]
    assert "refused the authorization code" in message
    assert "PKCE verification failed" in message  # the network's own words
    assert not Channel.objects.filter(network="loopnet").exists()


def test_denied_authorization_says_so(alice_client, server):
    url = start(alice_client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = alice_client.get(
        "/channels/oauth/loopnet/callback/",
        {"state": state, "error": "access_denied", "error_description": "The user said no"},
    )
    assert flash(response) == ["Loopnet did not authorize Keryx (The user said no)."]


def test_unconfigured_app_says_which_settings(alice_client, server, settings):
    settings.KERYX_NETWORK_CONFIG = {
        **settings.KERYX_NETWORK_CONFIG, "loopnet": {"api_base": server.url},
    }
    response = alice_client.post("/channels/connect/loopnet/", {"method": "oauth"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "set KERYX_LOOPNET_CLIENT_ID and KERYX_LOOPNET_CLIENT_SECRET" in page
    assert "docs/networks/loopnet.md" in page
    assert not OAuthState.objects.exists()


def test_reconnect_keeps_the_row_and_the_refresh_token(alice_client, server, people):
    come_back(alice_client, authorize(start(alice_client, page_id="p-9")))
    channel = Channel.objects.get(network="loopnet")
    old_refresh = channel.credentials["refresh_token"]
    Channel.objects.filter(pk=channel.pk).update(
        status=ChannelStatus.NEEDS_RECONNECT, status_message="Token revoked"
    )
    listing = alice_client.get("/channels/").content.decode()
    assert f"/channels/{channel.pk}/reconnect/" in listing

    # This time the network sends no refresh token with the new access token.
    server.code_refresh = False
    reconnect = alice_client.get(f"/channels/{channel.pk}/reconnect/")
    assert reconnect.status_code == 302
    assert reconnect["Location"].startswith(server.url + "/authorize?")
    response = come_back(alice_client, authorize(reconnect["Location"]))
    assert flash(response) == [f"Connected {channel.name}."]

    assert Channel.objects.filter(network="loopnet").count() == 1
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE and channel.status_message == ""
    assert channel.credentials["refresh_token"] == old_refresh
    assert channel.settings["page_id"] == "p-9"


def test_reconnect_as_another_account_is_refused(alice_client, server):
    come_back(alice_client, authorize(start(alice_client)))
    channel = Channel.objects.get(network="loopnet")
    server.account = {"id": "999", "username": "someone-else"}
    reconnect = alice_client.get(f"/channels/{channel.pk}/reconnect/")
    response = come_back(alice_client, authorize(reconnect["Location"]))
    assert "someone-else" in flash(response)[-1]
    channel.refresh_from_db()
    assert channel.remote_id == "4242"
    assert Channel.objects.filter(network="loopnet").count() == 1
