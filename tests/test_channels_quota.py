"""Scheduling-time warnings when a plan would exceed a network's daily post cap (a provider's
`daily_post_cap`; the test-only loopnet network declares 3 per rolling 24 hours)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keryx.channels.models import Channel
from keryx.channels.quota import quota_warnings
from keryx.networks import registry
from keryx.publishing import services as publishing
from keryx.publishing.models import Post
from tests.api_support import Caller
from tests.support.loopnet import LoopnetProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def loopnet(settings, people) -> Iterator[Channel]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    registry.register("loopnet", LoopnetProvider)
    yield Channel.objects.create(
        workspace=people.acme, network="loopnet", name="Loop", remote_id="1",
        credentials={"access_token": "t"},
    )
    registry.unregister("loopnet")


def plan(people, channel, when) -> None:
    publishing.create_post(workspace=people.acme, author=people.alice, text="Planned",
                           channels=[channel], scheduled_at=when, actor="alice@example.com")


def test_no_warning_under_the_cap(people, loopnet):
    base = timezone.now() + timedelta(days=2)
    plan(people, loopnet, base)
    plan(people, loopnet, base + timedelta(hours=1))
    assert quota_warnings(loopnet, base + timedelta(hours=2)) == []


def test_warns_when_the_rolling_24_hours_would_exceed_the_cap(people, loopnet):
    base = timezone.now() + timedelta(days=2)
    for hours in (0, 5, 10):
        plan(people, loopnet, base + timedelta(hours=hours))
    # 20 h after the first: that window already holds 3.
    warnings = quota_warnings(loopnet, base + timedelta(hours=20))
    assert len(warnings) == 1
    assert "at most 3 posts in 24 hours" in warnings[0] and "Loop" in warnings[0]
    # 25 h after the first: the window from the second holds 2 (5 h and 10 h), one more fits.
    assert quota_warnings(loopnet, base + timedelta(hours=25)) == []
    # Before the first, within 24 h of all three: too many.
    assert quota_warnings(loopnet, base - timedelta(hours=1))


def test_cancelled_posts_do_not_count(people, loopnet):
    base = timezone.now() + timedelta(days=2)
    for hours in (0, 1, 2):
        plan(people, loopnet, base + timedelta(hours=hours))
    for post in Post.objects.order_by("pk")[:1]:
        publishing.cancel_post(post, actor="alice@example.com")
    assert quota_warnings(loopnet, base + timedelta(hours=3)) == []


def test_the_api_shows_the_warning_on_validate_and_create(people, loopnet):
    base = timezone.now() + timedelta(days=2)
    for hours in (0, 1, 2):
        plan(people, loopnet, base + timedelta(hours=hours))
    caller = Caller(people.alice)
    body = {"text": "One more", "channels": [loopnet.pk],
            "scheduled_at": (base + timedelta(hours=3)).isoformat()}
    checked = caller.post("/posts/validate", body).json()
    assert checked["valid"] is True
    assert [w["code"] for w in checked["warnings"]] == ["daily_cap"]
    created = caller.post("/posts", body)
    assert created.status_code == 201
    assert created.json()["warnings"][0]["channel_id"] == loopnet.pk
