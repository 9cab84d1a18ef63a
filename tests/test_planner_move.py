"""Drag and drop on the calendar is a POST to the move endpoint: validated, scoped, explained."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keryx.publishing import services
from keryx.publishing.models import PostTarget, TargetEvent, TargetState
from tests.support.web import signed_in
from tests.ui_helpers import mastodon_channel

pytestmark = pytest.mark.django_db

ATHENS = ZoneInfo("Europe/Athens")
JSON = {"HTTP_ACCEPT": "application/json"}


def athens(days: int, hour: int = 9, minute: int = 30) -> datetime:
    day = (timezone.now().astimezone(ATHENS) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ATHENS)


@pytest.fixture
def post(people):
    channel = mastodon_channel(people.acme)
    return services.create_post(
        workspace=people.acme, author=people.alice, text="Move me", channels=[channel],
        scheduled_at=athens(10, 18, 45), actor="test",
    )


def move(client, post, **data):
    return client.post(reverse("planner:move", args=[post.pk]), data, **JSON)


def test_drag_to_another_day_keeps_the_time_of_day_in_the_workspace_zone(people):
    # From summer time (UTC+3) to winter time (UTC+2): the UTC offset changes, the wall clock
    # in Athens must not.
    from datetime import date

    year = timezone.now().year + 1
    channel = mastodon_channel(people.acme)
    post = services.create_post(
        workspace=people.acme, author=people.alice, text="Move me", channels=[channel],
        scheduled_at=datetime(year, 7, 10, 18, 45, tzinfo=ATHENS), actor="test",
    )
    target_day = date(year, 11, 10)
    response = move(signed_in(people.alice), post, day=target_day.isoformat())
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True and response.json()["time"] == "18:45"
    post.refresh_from_db()
    local = post.scheduled_at.astimezone(ATHENS)
    assert (local.date(), local.hour, local.minute) == (target_day, 18, 45)
    assert local.utcoffset() == timedelta(hours=2)
    target = post.targets.get()
    assert target.due_at == post.scheduled_at and target.state == TargetState.SCHEDULED
    assert TargetEvent.objects.filter(target=target, actor="alice@example.com").exists()


def test_drop_on_a_week_slot_takes_that_hour_and_keeps_the_minutes(people, post):
    day = athens(11).date()
    response = move(signed_in(people.alice), post, slot=f"{day.isoformat()}T07:00")
    assert response.status_code == 200, response.content
    post.refresh_from_db()
    local = post.scheduled_at.astimezone(ATHENS)
    assert (local.date(), local.hour, local.minute) == (day, 7, 45)


def test_a_day_in_the_past_is_refused_with_the_reason_and_nothing_changes(people, post):
    before = post.scheduled_at
    yesterday = (timezone.now().astimezone(ATHENS) - timedelta(days=1)).date()
    response = move(signed_in(people.alice), post, day=yesterday.isoformat())
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": "Acme on Mastodon: The scheduled time is "
                                                     "in the past."}
    post.refresh_from_db()
    assert post.scheduled_at == before
    assert post.targets.get().due_at == before


def test_a_draft_with_invalid_content_cannot_be_dragged_into_the_schedule(people):
    channel = mastodon_channel(people.acme)
    draft = services.create_post(
        workspace=people.acme, author=people.alice, text="x" * 600, channels=[channel],
        scheduled_at=athens(5), draft=True, actor="test",
    )
    response = move(signed_in(people.alice), draft, day=athens(6).date().isoformat())
    assert response.status_code == 400
    assert "500" in response.json()["error"]
    assert draft.targets.get().state == TargetState.DRAFT


def test_a_channel_needing_reconnection_refuses_the_move(people, post):
    from keryx.channels.models import ChannelStatus

    post.targets.get().channel.__class__.objects.update(status=ChannelStatus.NEEDS_RECONNECT)
    response = move(signed_in(people.alice), post, day=athens(12).date().isoformat())
    assert response.status_code == 400
    assert "needs reconnecting" in response.json()["error"]


def test_a_published_post_cannot_be_moved(people, post):
    PostTarget.objects.filter(post=post).update(state=TargetState.PUBLISHED)
    response = move(signed_in(people.alice), post, day=athens(12).date().isoformat())
    assert response.status_code == 400
    assert "nothing left to reschedule" in response.json()["error"]


def test_another_workspace_gets_404_and_a_viewer_403(people, post):
    before = post.scheduled_at
    day = athens(12).date().isoformat()
    assert move(signed_in(people.bob), post, day=day).status_code == 404
    assert move(signed_in(people.charlie), post, day=day).status_code == 403
    post.refresh_from_db()
    assert post.scheduled_at == before


def test_move_needs_post_and_csrf(people, post):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.alice)
    assert client.get(reverse("planner:move", args=[post.pk])).status_code == 405
    day = athens(12).date().isoformat()
    assert move(client, post, day=day).status_code == 403
    post.refresh_from_db()
    assert post.scheduled_at == athens(10, 18, 45)


def test_garbage_day_is_a_clear_refusal(people, post):
    response = move(signed_in(people.alice), post, day="next tuesday")
    assert response.status_code == 400 and "not a day" in response.json()["error"]


def test_a_plain_form_post_redirects_back_with_a_message(people, post):
    day = athens(12).date()
    response = signed_in(people.alice).post(
        reverse("planner:move", args=[post.pk]), {"day": day.isoformat(), "next": "/calendar/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/calendar/"
    assert "Moved to" in response.content.decode()


def test_the_redirect_stays_on_this_site(people, post):
    response = signed_in(people.alice).post(
        reverse("planner:move", args=[post.pk]),
        {"day": athens(12).date().isoformat(), "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/calendar/"
