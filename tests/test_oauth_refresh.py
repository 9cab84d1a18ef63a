"""OAuth tokens renewed before they expire (background round and right before publishing),
against the loopback authorization server; a refused refresh marks the channel for
reconnecting and keeps the refresh token. Also the headless `keryx channels add <network>`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from keryx.channels.models import Channel, ChannelStatus
from keryx.channels.providers import provider_for
from keryx.channels.tokens import refresh_expiring_tokens, token_expiry
from keryx.networks import registry
from keryx.publishing import services as publishing
from keryx.publishing.models import PostTarget, TargetState
from tests.support.engine import run_due
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


def channel_with(people, server, *, expires_in: timedelta, name: str = "Loop") -> Channel:
    tokens = server.issue_tokens()
    return Channel.objects.create(
        workspace=people.acme, network="loopnet", name=name, remote_id="4242",
        handle="loopy",
        credentials={
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "expires_at": (datetime.now(UTC) + expires_in).isoformat(),
        },
        settings={"page_id": "p-9"},
    )


def token_calls(server) -> list[dict]:
    return [e for e in server.log if e["path"] == "/token"]


def test_expiring_tokens_are_refreshed_and_the_refresh_token_kept(people, server):
    soon = channel_with(people, server, expires_in=timedelta(minutes=5))
    later = channel_with(people, server, expires_in=timedelta(days=1), name="Later")
    before = dict(soon.credentials)

    assert refresh_expiring_tokens() == {"refreshed": 1, "refused": 0, "failed": 0}

    soon.refresh_from_db()
    assert soon.credentials["access_token"] != before["access_token"]
    assert soon.credentials["access_token"] in server.access_tokens
    # The network did not rotate it: the old refresh token stays.
    assert soon.credentials["refresh_token"] == before["refresh_token"]
    assert token_expiry(soon) > datetime.now(UTC) + timedelta(hours=1)
    calls = token_calls(server)
    assert len(calls) == 1 and calls[0]["form"]["grant_type"] == "refresh_token"
    assert calls[0]["form"]["refresh_token"] == before["refresh_token"]
    later.refresh_from_db()
    assert later.credentials["access_token"] in server.access_tokens  # untouched


def test_a_rotated_refresh_token_is_stored(people, server):
    server.rotate_refresh = True
    channel = channel_with(people, server, expires_in=timedelta(minutes=1))
    old = channel.credentials["refresh_token"]
    refresh_expiring_tokens()
    channel.refresh_from_db()
    assert channel.credentials["refresh_token"] != old
    assert channel.credentials["refresh_token"] in server.refresh_tokens


def test_a_refused_refresh_marks_needs_reconnect_and_keeps_the_refresh_token(people, server):
    channel = channel_with(people, server, expires_in=timedelta(minutes=1))
    kept = dict(channel.credentials)
    server.refresh_tokens.clear()  # the user revoked the app

    assert refresh_expiring_tokens() == {"refreshed": 0, "refused": 1, "failed": 0}

    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_RECONNECT
    assert "Refresh token revoked" in channel.status_message
    assert channel.credentials == kept
    # Not tried again while it waits for a reconnect.
    refresh_expiring_tokens()
    assert len(token_calls(server)) == 1


def test_an_expired_token_is_refreshed_right_before_publishing(people, server):
    channel = channel_with(people, server, expires_in=timedelta(minutes=-5))
    server.access_tokens.discard(channel.credentials["access_token"])  # really expired
    post = publishing.create_post(
        workspace=people.acme, author=people.alice, text="Fresh token, please",
        channels=[channel], actor="alice@example.com",
    )

    assert run_due() == ["published"]

    target = PostTarget.objects.get(post=post)
    assert target.state == TargetState.PUBLISHED
    assert [p["text"] for p in server.posts] == ["Fresh token, please"]
    assert len(token_calls(server)) == 1
    channel.refresh_from_db()
    assert channel.credentials["access_token"] in server.access_tokens


def test_a_refused_refresh_before_publishing_fails_the_target_with_the_reason(people, server):
    channel = channel_with(people, server, expires_in=timedelta(minutes=-5))
    server.access_tokens.clear()
    server.refresh_tokens.clear()
    post = publishing.create_post(
        workspace=people.acme, author=people.alice, text="Will not go",
        channels=[channel], actor="alice@example.com",
    )
    assert run_due() == ["failed"]
    target = PostTarget.objects.get(post=post)
    assert target.error_code == "auth_expired"
    assert "Refresh token revoked" in target.error_message
    assert server.posts == []
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_RECONNECT
    assert channel.credentials["refresh_token"]


def test_channel_list_warns_of_a_token_that_cannot_be_renewed(client, people, server):
    channel = channel_with(people, server, expires_in=timedelta(days=1))
    Channel.objects.filter(pk=channel.pk).update(credentials={
        "access_token": "at-x", "expires_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
    })
    client.force_login(people.alice)
    page = client.get("/channels/").content.decode()
    assert "cannot be renewed automatically" in page
    assert f"/channels/{channel.pk}/reconnect/" in page


# ---------------------------------------------------------------------------------------------
# Headless: keryx channels add <network>
# ---------------------------------------------------------------------------------------------


def test_cli_adds_a_channel_with_tokens_and_fields(people, server):
    tokens = server.issue_tokens()
    out = StringIO()
    call_command(
        "channels", "add", "loopnet",
        "--access-token", tokens["access_token"], "--refresh-token", tokens["refresh_token"],
        "--expires-at", "2030-01-01T00:00:00Z", "--page-id", "p-77", "--name", "Loop CLI",
        "--user", "alice@example.com", stdout=out,
    )
    assert "Connected Loop CLI (loopnet loopy)" in out.getvalue()
    channel = Channel.objects.get(network="loopnet")
    assert channel.settings == {"page_id": "p-77"}
    assert channel.credentials == {
        "access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
        "expires_at": "2030-01-01T00:00:00+00:00",
    }
    assert tokens["access_token"] not in out.getvalue()


def test_cli_refuses_a_token_the_network_refuses(people, server):
    with pytest.raises(CommandError, match="Loopnet refused these credentials"):
        call_command(
            "channels", "add", "loopnet", "--access-token", "nope", "--page-id", "p",
            "--user", "alice@example.com", stdout=StringIO(),
        )
    assert not Channel.objects.exists()


def test_cli_help_lists_the_network_fields(server, capsys):
    with pytest.raises(SystemExit) as exited:
        call_command("channels", "add", "loopnet", "--help")
    assert exited.value.code == 0
    help_text = capsys.readouterr().out
    for flag in ("--access-token", "--refresh-token", "--expires-at", "--page-id", "--name"):
        assert flag in help_text


def test_cli_requires_the_network_fields(people, server):
    with pytest.raises(CommandError, match="--page-id"):
        call_command("channels", "add", "loopnet", "--access-token", "t",
                     "--user", "alice@example.com")


def test_credentials_a_provider_saves_are_stored_encrypted_as_a_dict(people, server):
    channel = channel_with(people, server, expires_in=timedelta(days=1))
    provider = provider_for(channel)
    provider.context.save_credentials({"session": "s-1"})
    stored = Channel.objects.get(pk=channel.pk).credentials
    assert stored["session"] == "s-1"
    assert stored["access_token"] == channel.credentials["access_token"]


# ---------------------------------------------------------------------------------------------
# API: connect any network, start an OAuth sign-in
# ---------------------------------------------------------------------------------------------


def test_api_connects_a_network_with_credentials(people, server):
    from tests.api_support import Caller

    tokens = server.issue_tokens()
    caller = Caller(people.alice)
    response = caller.post("/channels/loopnet", {
        "values": {"access_token": tokens["access_token"], "page_id": "p-1"}, "name": "Via API",
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["network"] == "loopnet" and body["name"] == "Via API"
    assert tokens["access_token"] not in response.content.decode()
    missing = caller.post("/channels/loopnet", {"values": {"access_token": "t"}})
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "missing_field"


def test_api_begins_oauth(people, server, settings):
    from tests.api_support import Caller

    response = Caller(people.alice).post("/channels/oauth/loopnet/begin", {})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["authorize_url"].startswith(server.url + "/authorize?")
    assert body["redirect_uri"] == settings.BASE_URL + "/channels/oauth/loopnet/callback/"
    not_oauth = Caller(people.alice).post("/channels/oauth/mastodon/begin", {})
    assert not_oauth.status_code == 400
