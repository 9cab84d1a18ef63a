"""Connecting channels (channels.connect, channels.health) against mastodon-mock and a real PDS."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from keryx.channels.connect import connect_bluesky, connect_mastodon_token
from keryx.channels.errors import ChannelError
from keryx.channels.health import delete_channel, disconnect_channel, mark_needs_reconnect
from keryx.channels.models import Channel, ChannelStatus
from keryx.channels.providers import provider_for


def test_connect_mastodon_with_token(people, mastodon):
    account = mastodon.new_account("tok")
    channel = connect_mastodon_token(
        people.acme, people.alice, mastodon.url + "/", account.access_token
    )
    assert channel.workspace == people.acme and channel.network == "mastodon"
    assert channel.remote_id == account.id
    assert channel.name == channel.handle == f"@{account.username}@localhost:{mastodon.port}"
    assert channel.settings["instance"] == mastodon.url
    assert channel.settings["max_characters"] == 500
    assert channel.status == ChannelStatus.ACTIVE
    # Stored encrypted: the raw column does not contain the token.
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_channel WHERE id = %s", [channel.pk])
        raw = cursor.fetchone()[0]
    assert account.access_token not in raw
    assert Channel.objects.get(pk=channel.pk).credentials == {"access_token": account.access_token}
    # The provider built for the channel works.
    assert provider_for(channel).verify().remote_id == account.id


def test_reconnect_keeps_the_row_and_reactivates(people, mastodon):
    account = mastodon.new_account("recon")
    first = connect_mastodon_token(
        people.acme, people.alice, mastodon.url, account.access_token, name="Brand"
    )
    mark_needs_reconnect(first, "token revoked")
    new_token = mastodon.token(account.username)
    again = connect_mastodon_token(people.acme, people.alice, mastodon.url, new_token)
    assert again.pk == first.pk and again.name == "Brand"
    again.refresh_from_db()
    assert again.status == ChannelStatus.ACTIVE and again.status_message == ""
    assert again.credentials["access_token"] == new_token
    assert Channel.objects.filter(workspace=people.acme).count() == 1
    # The same account in another workspace is another channel.
    other = connect_mastodon_token(people.globex, people.bob, mastodon.url, new_token)
    assert other.pk != first.pk


def test_names_are_unique_per_workspace(people, mastodon):
    one, two = mastodon.new_account("n"), mastodon.new_account("n")
    connect_mastodon_token(people.acme, people.alice, mastodon.url, one.access_token,
                           name="Main")
    with pytest.raises(ChannelError, match="already has a channel named “Main”"):
        connect_mastodon_token(people.acme, people.alice, mastodon.url,
                               two.access_token, name="Main")
    # Globex may use the name.
    connect_mastodon_token(people.globex, people.bob, mastodon.url, two.access_token,
                           name="Main")


@pytest.mark.parametrize(
    ("instance", "message"),
    [
        ("", "Enter the address"),
        ("ftp://example.org", "must start with https"),
        ("https://example.org/some/path", "no path"),
        ("not a server", "not a server address"),
    ],
)
def test_bad_instance_url(people, instance, message):
    with pytest.raises(ChannelError, match=message):
        connect_mastodon_token(people.acme, people.alice, instance, "t")


def test_private_address_refused(people, mastodon, settings):
    settings.ALLOWED_PRIVATE_HOSTS = []
    with pytest.raises(ChannelError, match="private or local address") as caught:
        connect_mastodon_token(people.acme, people.alice, mastodon.url, "t")
    assert caught.value.code == "address_refused"


def test_bad_and_revoked_tokens_refused(people, mastodon):
    with pytest.raises(ChannelError, match="Mastodon refused these credentials"):
        connect_mastodon_token(people.acme, people.alice, mastodon.url, "wrong")
    account = mastodon.new_account("rev")
    token = mastodon.token(account.username)
    mastodon.revoke(token)
    with pytest.raises(ChannelError, match="refused these credentials") as caught:
        connect_mastodon_token(people.acme, people.alice, mastodon.url, token)
    assert caught.value.code == "auth_refused"
    with pytest.raises(ChannelError, match="Paste an access token"):
        connect_mastodon_token(people.acme, people.alice, mastodon.url, " ")
    assert not Channel.objects.exists()


def test_unreachable_server(people, settings):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    with pytest.raises(ChannelError, match="Could not reach Mastodon"):
        connect_mastodon_token(people.acme, people.alice, "http://127.0.0.1:9", "t")


def test_roles(people, mastodon):
    account = mastodon.new_account("role")
    with pytest.raises(PermissionDenied):  # charlie is a viewer in acme
        connect_mastodon_token(people.acme, people.charlie, mastodon.url,
                               account.access_token)
    with pytest.raises(PermissionDenied):  # bob is not in acme at all
        connect_mastodon_token(people.acme, people.bob, mastodon.url,
                               account.access_token)
    channel = connect_mastodon_token(people.acme, people.alice, mastodon.url,
                                     account.access_token)
    with pytest.raises(PermissionDenied):
        delete_channel(channel, people.charlie)
    disconnect_channel(channel, people.alice)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISCONNECTED and channel.credentials == {}
    delete_channel(channel, people.alice)
    assert not Channel.objects.filter(pk=channel.pk).exists()


def test_connect_bluesky_against_the_real_pds(people, bluesky_account):
    channel = connect_bluesky(
        people.acme, people.alice, "@" + bluesky_account.handle, bluesky_account.app_password,
        service=bluesky_account.service,
    )
    assert channel.network == "bluesky" and channel.remote_id == bluesky_account.did
    assert bluesky_account.handle in channel.handle
    assert channel.settings["service"] == bluesky_account.service
    assert channel.credentials["app_password"] == bluesky_account.app_password
    with pytest.raises(ChannelError, match="Bluesky refused these credentials"):
        connect_bluesky(
            people.acme, people.alice, bluesky_account.handle, "wrong-pass-word-xxxx",
            service=bluesky_account.service,
        )
    with pytest.raises(ChannelError, match="Enter your Bluesky handle"):
        connect_bluesky(people.acme, people.alice, "  ", "x")


def test_delete_refused_while_posts_are_on_their_way(people, mastodon):
    from keryx.publishing.models import Post, PostTarget

    account = mastodon.new_account("busy")
    channel = connect_mastodon_token(people.acme, people.alice, mastodon.url,
                                     account.access_token)
    post = Post.objects.create(workspace=people.acme, author=people.alice, text="soon")
    target = PostTarget.objects.create(post=post, channel=channel, workspace=people.acme,
                                       state="scheduled")
    with pytest.raises(ChannelError, match="1 post is still scheduled") as caught:
        delete_channel(channel, people.alice)
    assert caught.value.code == "channel_in_use"
    PostTarget.objects.filter(pk=target.pk).update(state="cancelled")
    delete_channel(channel, people.alice)
    assert not Channel.objects.filter(pk=channel.pk).exists()
