"""The posts pages: scoping between workspaces, roles, CSRF, escaping, the composer."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keryx.publishing.models import Media, Post, PostTarget, TargetState
from tests.fixtures.people import PASSWORD
from tests.support.images import png_upload
from tests.support.web import signed_in
from tests.ui_helpers import mastodon_channel, scheduled_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_post(people):
    channel = mastodon_channel(people.acme)
    return scheduled_post(people.acme, people.alice, channel, "Hello from Acme")


def test_bob_cannot_see_or_change_acmes_post(people, acme_post):
    bob = signed_in(people.bob)
    target = acme_post.targets.get()
    assert bob.get(reverse("posts:detail", args=[acme_post.pk])).status_code == 404
    assert bob.post(reverse("posts:cancel", args=[acme_post.pk])).status_code == 404
    assert bob.post(reverse("posts:retry_target", args=[target.pk])).status_code == 404
    assert bob.post(reverse("posts:cancel_target", args=[target.pk])).status_code == 404
    response = bob.post(
        reverse("posts:reschedule", args=[acme_post.pk]), {"date": "2031-01-01", "time": "09:00"}
    )
    assert response.status_code == 404
    assert "Hello from Acme" not in bob.get(reverse("posts:list") + "?tab=all").content.decode()
    target.refresh_from_db()
    assert target.state == TargetState.SCHEDULED


def test_bob_cannot_post_to_acmes_channel(people, acme_post):
    bob = signed_in(people.bob)
    acme_channel = acme_post.targets.get().channel
    response = bob.post(
        reverse("posts:new"),
        {"text": "sneaky", "channels": [acme_channel.pk], "when": "now", "action": "submit"},
    )
    assert response.status_code == 400
    assert not Post.objects.filter(text="sneaky").exists()


def test_viewer_reads_but_cannot_create_or_cancel(people, acme_post):
    charlie = signed_in(people.charlie)
    assert charlie.get(reverse("posts:detail", args=[acme_post.pk])).status_code == 200
    assert charlie.get(reverse("posts:new")).status_code == 403
    channel = acme_post.targets.get().channel
    response = charlie.post(
        reverse("posts:new"),
        {"text": "viewer post", "channels": [channel.pk], "when": "now", "action": "submit"},
    )
    assert response.status_code == 403
    assert charlie.post(reverse("posts:cancel", args=[acme_post.pk])).status_code == 403
    assert not Post.objects.filter(text="viewer post").exists()
    assert acme_post.targets.get().state == TargetState.SCHEDULED


def test_post_without_csrf_token_is_refused(people, acme_post):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.alice)
    response = client.post(reverse("posts:cancel", args=[acme_post.pk]))
    assert response.status_code == 403
    assert acme_post.targets.get().state == TargetState.SCHEDULED
    # The same request with the token from the page goes through.
    page = client.get(reverse("posts:detail", args=[acme_post.pk]))
    token = page.context["csrf_token"]
    response = client.post(
        reverse("posts:cancel", args=[acme_post.pk]), {"csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 302
    assert acme_post.targets.get().state == TargetState.CANCELLED


def test_script_in_post_text_is_escaped(people):
    channel = mastodon_channel(people.acme)
    post = scheduled_post(people.acme, people.alice, channel, "<script>alert(1)</script>")
    alice = signed_in(people.alice)
    for url in (
        reverse("posts:detail", args=[post.pk]),
        reverse("posts:list"),
        reverse("dashboard"),
    ):
        html = alice.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_schedule_from_composer_in_workspace_time_zone(people):
    channel = mastodon_channel(people.acme)
    alice = signed_in(people.alice)
    day = (timezone.now() + timedelta(days=30)).date()
    response = alice.post(
        reverse("posts:new"),
        {
            "text": "Scheduled from the composer",
            "channels": [channel.pk],
            "when": "later",
            "date": day.isoformat(),
            "time": "09:00",
            "action": "submit",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get(text="Scheduled from the composer")
    # Acme works in Europe/Athens: 09:00 there is 06:00 or 07:00 UTC depending on DST.
    local = post.scheduled_at.astimezone(ZoneInfo("Europe/Athens"))
    assert (local.hour, local.minute) == (9, 0)
    assert post.scheduled_at.astimezone(UTC).hour in (6, 7)
    target = post.targets.get()
    assert target.state == TargetState.SCHEDULED and target.due_at == post.scheduled_at
    detail = alice.get(response["Location"]).content.decode()
    assert "09:00" in detail


def test_too_long_text_shows_problem_next_to_channel_and_keeps_text(people):
    channel = mastodon_channel(people.acme)
    alice = signed_in(people.alice)
    text = "x" * 501
    response = alice.post(
        reverse("posts:new"),
        {"text": text, "channels": [channel.pk], "when": "now", "action": "submit"},
    )
    assert response.status_code == 400
    rows = response.context["rows"]
    assert rows[0]["problems"] and "501" in rows[0]["problems"][0]
    html = response.content.decode()
    assert text in html  # nothing typed is lost
    assert not Post.objects.exists()


def test_per_channel_text_override(people):
    channel = mastodon_channel(people.acme)
    other = mastodon_channel(people.acme, name="Second")
    alice = signed_in(people.alice)
    response = alice.post(
        reverse("posts:new"),
        {
            "text": "Common text",
            "channels": [channel.pk, other.pk],
            "when": "later",
            "date": (timezone.now() + timedelta(days=3)).date().isoformat(),
            "time": "10:30",
            f"override_{other.pk}": "1",
            f"variant_text_{other.pk}": "Only for the second",
            "action": "submit",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get(text="Common text")
    variant = post.variants.get()
    assert variant.channel == other and variant.text == "Only for the second"


def test_image_with_alt_text_and_a_fake_image_refused(people):
    channel = mastodon_channel(people.acme)
    alice = signed_in(people.alice)
    fake = io.BytesIO(b"just some text, not an image")
    fake.name = "cat.png"
    response = alice.post(
        reverse("posts:new"),
        {
            "text": "With pictures",
            "channels": [channel.pk],
            "when": "later",
            "date": (timezone.now() + timedelta(days=3)).date().isoformat(),
            "time": "10:30",
            "image_1": png_upload(),
            "alt_1": "A red square",
            "image_2": fake,
            "action": "submit",
        },
    )
    # The fake is refused with a clear message; the good image is kept for the next submit.
    assert response.status_code == 400
    assert "not an image" in response.content.decode()
    media = Media.objects.get()
    assert media.alt_text == "A red square"
    assert f'name="media_id" value="{media.pk}"' in response.content.decode()
    response = alice.post(
        reverse("posts:new"),
        {
            "text": "With pictures",
            "channels": [channel.pk],
            "when": "later",
            "date": (timezone.now() + timedelta(days=3)).date().isoformat(),
            "time": "10:30",
            "media_id": [media.pk],
            f"media_alt_{media.pk}": "A small red square",
            "action": "submit",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get(text="With pictures")
    assert list(post.media.all()) == [media]
    media.refresh_from_db()
    assert media.alt_text == "A small red square"


def test_other_workspaces_media_id_is_ignored(people):
    globex_channel = mastodon_channel(people.globex, name="Globex")
    bob = signed_in(people.bob)
    bob.post(
        reverse("posts:new"),
        {"text": "x", "channels": [globex_channel.pk], "when": "later", "date": "2000-01-01",
         "time": "09:00", "image_1": png_upload(), "alt_1": "bob's", "action": "submit"},
    )
    bobs_media = Media.objects.get(workspace=people.globex)
    channel = mastodon_channel(people.acme)
    alice = signed_in(people.alice)
    response = alice.post(
        reverse("posts:new"),
        {"text": "steal", "channels": [channel.pk], "when": "later",
         "date": (timezone.now() + timedelta(days=3)).date().isoformat(), "time": "10:30",
         "media_id": [bobs_media.pk], "action": "submit"},
    )
    assert response.status_code == 302
    assert not Post.objects.get(text="steal").media.exists()


def test_past_time_is_refused(people):
    channel = mastodon_channel(people.acme)
    alice = signed_in(people.alice)
    response = alice.post(
        reverse("posts:new"),
        {"text": "late", "channels": [channel.pk], "when": "later", "date": "2020-01-01",
         "time": "09:00", "action": "submit"},
    )
    assert response.status_code == 400
    assert "in the past" in response.content.decode()


def test_failed_target_shows_reason_and_next_step_and_retry(people, acme_post):
    target = acme_post.targets.get()
    PostTarget.objects.filter(pk=target.pk).update(
        state=TargetState.FAILED, error_code="auth_expired",
        error_message="The access token is invalid",
    )
    alice = signed_in(people.alice)
    html = alice.get(reverse("posts:detail", args=[acme_post.pk])).content.decode()
    assert "The access token is invalid" in html
    assert "Reconnect the channel" in html
    response = alice.post(reverse("posts:retry_target", args=[target.pk]))
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.state == TargetState.SCHEDULED
    assert target.events.filter(actor="alice@example.com", to_state="scheduled").exists()


def test_reschedule_and_list_tabs(people, acme_post):
    alice = signed_in(people.alice)
    response = alice.post(
        reverse("posts:reschedule", args=[acme_post.pk]), {"date": "2031-03-30", "time": "09:00"}
    )
    assert response.status_code == 302
    acme_post.refresh_from_db()
    # 30 March 2031 is summer time in Athens (UTC+3).
    assert acme_post.scheduled_at == datetime(2031, 3, 30, 6, 0, tzinfo=UTC)
    upcoming = alice.get(reverse("posts:list")).content.decode()
    assert "Hello from Acme" in upcoming
    assert "09:00" in upcoming  # shown in Athens time (the workspace's zone)
    published = alice.get(reverse("posts:list") + "?tab=published").content.decode()
    assert "Hello from Acme" not in published


def test_sign_in_with_email(people):
    client = Client()
    page = client.get(reverse("login")).content.decode()
    assert "E-mail" in page
    response = client.post(
        reverse("login"), {"username": "alice@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_media_served_to_members_only(people):
    globex_channel = mastodon_channel(people.globex, name="Globex")
    bob = signed_in(people.bob)
    bob.post(
        reverse("posts:new"),
        {"text": "x" * 600, "channels": [globex_channel.pk], "when": "now",
         "image_1": png_upload(), "alt_1": "red", "action": "submit"},
    )
    media = Media.objects.get(workspace=people.globex)
    response = bob.get(reverse("posts:media", args=[media.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert signed_in(people.alice).get(reverse("posts:media", args=[media.pk])).status_code == 404


def test_save_as_draft_then_find_it_under_drafts(people):
    channel = mastodon_channel(people.acme)
    alice = signed_in(people.alice)
    response = alice.post(
        reverse("posts:new"),
        {"text": "An idea for later", "channels": [channel.pk], "when": "now", "action": "draft"},
    )
    assert response.status_code == 302
    post = Post.objects.get(text="An idea for later")
    assert post.targets.get().state == TargetState.DRAFT
    assert "An idea for later" in alice.get(reverse("posts:list") + "?tab=drafts").content.decode()
    assert "An idea for later" not in alice.get(reverse("posts:list")).content.decode()


def test_dashboard_shows_upcoming_failures_and_channels_to_reconnect(people, acme_post):
    from keryx.channels.models import ChannelStatus

    failed = scheduled_post(
        people.acme, people.alice, acme_post.targets.get().channel, "This one failed"
    )
    PostTarget.objects.filter(post=failed).update(
        state=TargetState.FAILED, error_message="Server said 503"
    )
    broken = mastodon_channel(people.acme, name="Broken account")
    broken.status = ChannelStatus.NEEDS_RECONNECT
    broken.save()
    html = signed_in(people.alice).get(reverse("dashboard")).content.decode()
    assert "Hello from Acme" in html
    assert "This one failed" in html and "Server said 503" in html
    assert "Broken account" in html
    # Bob's dashboard shows none of it.
    bob_html = signed_in(people.bob).get(reverse("dashboard")).content.decode()
    assert "Hello from Acme" not in bob_html and "Broken account" not in bob_html
