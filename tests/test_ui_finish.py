"""The finished UI (issue 12) outside the browser: renaming a channel, the connect page's list of
credentials, network badges, the composer choosing the only channel, the post history in the
reader's language without machine actors, Greek dates and tab names, the first workspace's
name, and the API docs served without a CDN."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from keryx.channels import health
from keryx.channels.errors import ChannelError
from keryx.core.models import AuditLog, UserProfile, Workspace
from keryx.core.services import ensure_first_admin, first_workspace_name
from keryx.core.templatetags.networks import channel_mark, network_badge
from keryx.publishing.history import actor_text, note_text
from keryx.publishing.transitions import record
from tests.support.web import signed_in
from tests.ui_helpers import mastodon_channel, scheduled_post

pytestmark = pytest.mark.django_db


def greek(client):
    client.post(reverse("set_user_language"), {"language": "el", "next": "/"})
    return client


def test_rename_a_channel_is_audited_and_names_stay_unique(people):
    channel = mastodon_channel(people.acme)
    other = mastodon_channel(people.acme, name="Second")
    health.rename_channel(channel, people.alice, "  Acme news ")
    channel.refresh_from_db()
    assert channel.name == "Acme news"
    entry = AuditLog.objects.get(action="channel.renamed")
    assert entry.summary == "Acme on Mastodon → Acme news"
    with pytest.raises(ChannelError) as taken:
        health.rename_channel(other, people.alice, "Acme news")
    assert taken.value.code == "channel_name_taken"
    with pytest.raises(ChannelError):
        health.rename_channel(other, people.alice, "   ")


def test_rename_page_and_permissions(people):
    channel = mastodon_channel(people.acme)
    alice = signed_in(people.alice)
    url = reverse("channels:rename", args=[channel.pk])
    assert url in alice.get(reverse("channels:list")).content.decode()
    response = alice.post(url, {"name": "Renamed"})
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Renamed"
    # A viewer cannot, and another workspace does not even see the channel.
    assert signed_in(people.charlie).post(url, {"name": "Nope"}).status_code in (403, 404)
    assert signed_in(people.bob).post(url, {"name": "Nope"}).status_code == 404
    channel.refresh_from_db()
    assert channel.name == "Renamed"


def test_rename_to_a_taken_name_shows_the_error(people):
    channel = mastodon_channel(people.acme)
    mastodon_channel(people.acme, name="Taken")
    response = signed_in(people.alice).post(
        reverse("channels:rename", args=[channel.pk]), {"name": "Taken"})
    assert response.status_code == 200
    assert "already called Taken" in response.content.decode()


def test_connect_page_lists_credentials_without_a_stray_comma(people):
    html = signed_in(people.alice).get(reverse("channels:connect")).content.decode()
    assert ",\n" not in html and ", </td>" not in html and ",</td>" not in html
    assert "net-badge" in html


def test_network_badge_and_channel_mark(people):
    assert 'class="net-badge net-mastodon"' in network_badge("mastodon")
    channel = mastodon_channel(people.acme)
    assert "<img" not in channel_mark(channel)
    channel.settings["avatar_url"] = "https://cdn.example/a.png"
    assert 'src="https://cdn.example/a.png"' in channel_mark(channel)
    channel.settings["avatar_url"] = "javascript:alert(1)"
    assert "<img" not in channel_mark(channel)


def test_composer_chooses_the_only_channel(people):
    channel = mastodon_channel(people.acme)
    html = signed_in(people.alice).get(reverse("posts:new")).content.decode()
    assert f'name="channels" value="{channel.pk}" checked' in html
    mastodon_channel(people.acme, name="Second")
    html = signed_in(people.alice).get(reverse("posts:new")).content.decode()
    assert " checked>" not in html.split('name="channels"', 1)[1].split(">", 1)[0] + ">"


def test_history_notes_in_the_readers_language():
    with translation.override("el"):
        assert note_text("Scheduled") == translation.gettext("Scheduled") != "Scheduled"
        assert note_text("Publishing") != "Publishing"
        assert "worker" not in note_text("Lease held by worker:vm:1234 expired")
        retry = note_text("Publishing (retrying in 30 s)")
        assert "30" in retry and "retrying" not in retry
        assert note_text("Something only the network said") == "Something only the network said"
    assert note_text("Lease held by worker:vm:1 expired").startswith("Publishing was interrupted")


def test_machine_actors_are_hidden():
    assert actor_text("worker:vm:4242") == ""
    assert actor_text("scheduler") == ""
    assert actor_text("alice@example.com") == "alice@example.com"


def test_post_page_greek_history_and_genitive_date(people):
    channel = mastodon_channel(people.acme)
    post = scheduled_post(people.acme, people.alice, channel, "Γεια")
    post.scheduled_at = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Athens"))
    post.save(update_fields=["scheduled_at"])
    record(post.targets.get(), "scheduled", "publishing", actor="worker:vm:99",
           message="Publishing")
    html = greek(signed_in(people.alice)).get(reverse("posts:detail", args=[post.pk])).content
    html = html.decode()
    assert "3 Δεκεμβρίου 2026" in html
    assert "worker:vm" not in html
    assert "· Publishing" not in html and ">Publishing<" not in html


def test_greek_published_tab_is_a_tab_name(people):
    html = greek(signed_in(people.alice)).get(reverse("posts:list")).content.decode()
    assert "Δημοσιευμένες" in html


def test_first_workspace_named_in_the_admins_language():
    assert first_workspace_name("el") == "Ο χώρος εργασίας μου"
    assert first_workspace_name("en") == "My workspace"
    user, _password = ensure_first_admin("admin@example.com", None, language="el")
    assert Workspace.objects.get().name == "Ο χώρος εργασίας μου"
    assert UserProfile.objects.get(user=user).language == "el"
    get_user_model().objects.all().delete()


def test_api_docs_load_swagger_from_keryx(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html
