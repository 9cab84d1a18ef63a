"""The secret calendar feed: RFC 5545 content (escaping, folding, UTF-8), scoping, revocation."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from keryx.planner import services as planner
from keryx.planner.models import CalendarFeed, Campaign
from keryx.publishing import services
from tests.support.web import signed_in
from tests.ui_helpers import mastodon_channel

pytestmark = pytest.mark.django_db

GREEK = "Καλημέρα, κόσμε; νέα σειρά\nδεύτερη γραμμή \\ τέλος " + "ελληνικά " * 12


def future(days: int) -> datetime:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0)


@pytest.fixture
def feed_url(people):
    channel = mastodon_channel(people.acme)
    post = services.create_post(
        workspace=people.acme, author=people.alice, text=GREEK, channels=[channel],
        scheduled_at=future(3), actor="test",
    )
    campaign = Campaign.objects.create(workspace=people.acme, name="Φθινόπωρο, 2026")
    planner.set_planning(post, campaign=campaign)
    services.create_post(
        workspace=people.acme, author=people.alice, text="Only a draft", channels=[channel],
        scheduled_at=future(4), draft=True, actor="test",
    )
    globex = mastodon_channel(people.globex, name="Globex account")
    services.create_post(
        workspace=people.globex, author=people.bob, text="Globex secret", channels=[globex],
        scheduled_at=future(3), actor="test",
    )
    token = planner.issue_feed(people.acme, people.alice)
    return reverse("planner:feed", args=[token]), post


def test_feed_is_valid_icalendar_with_escaping_and_folding(people, feed_url):
    url, post = feed_url
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    # Lines end in CRLF and none is longer than 75 octets (continuations start with a space).
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines), max(lines, key=len)
    assert any(line.startswith(b" ") for line in lines)
    # Folding never splits a UTF-8 character: every line decodes on its own.
    for line in lines:
        line.decode("utf-8")
    unfolded = raw.decode("utf-8").replace("\r\n ", "")
    assert "Καλημέρα\\, κόσμε\\; νέα σειρά\\nδεύτερη γραμμή \\\\ τέλος" in unfolded
    assert "CATEGORIES:Φθινόπωρο\\, 2026" in unfolded
    # ...and a calendar parser reads it back to exactly the text.
    events = [c for c in Calendar.from_ical(raw).walk("VEVENT")]
    assert len(events) == 1
    event = events[0]
    assert str(event["description"]).startswith(GREEK)
    assert event.decoded("dtstart") == post.scheduled_at
    assert str(event["uid"]).startswith(f"post-{post.pk}@")
    assert str(event["url"]).endswith(f"/posts/{post.pk}/")
    text = unfolded.replace("\r\n", "\n")
    assert "Only a draft" not in text and "Globex secret" not in text
    assert re.search(r"^DTSTART:\d{8}T\d{6}Z$", text, re.M)


def test_only_a_hash_of_the_token_is_stored(people, feed_url):
    url, _post = feed_url
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.objects.get(workspace=people.acme)
    assert token not in feed.token_hash and len(feed.token_hash) == 64


def test_regenerating_revokes_the_old_url_and_turning_off_revokes_all(people, feed_url):
    old_url, _post = feed_url
    alice = signed_in(people.alice)
    response = alice.post(reverse("planner:feed_settings"), {"action": "regenerate"})
    assert response.status_code == 200
    new_url = re.search(r'id="feed-url" value="([^"]+)"', response.content.decode()).group(1)
    assert Client().get(old_url).status_code == 404
    assert Client().get(new_url.split("testserver", 1)[1]).status_code == 200
    alice.post(reverse("planner:feed_settings"), {"action": "revoke"})
    assert Client().get(new_url.split("testserver", 1)[1]).status_code == 404
    assert not CalendarFeed.objects.filter(workspace=people.acme).exists()


def test_unknown_token_is_404(db):
    assert Client().get(reverse("planner:feed", args=["not-a-token"])).status_code == 404


def test_only_admins_manage_the_feed(people):
    charlie = signed_in(people.charlie)
    assert charlie.get(reverse("planner:feed_settings")).status_code == 403
    assert charlie.post(reverse("planner:feed_settings"), {"action": "create"}).status_code == 403
    assert not CalendarFeed.objects.exists()
    assert signed_in(people.alice).get(reverse("planner:feed_settings")).status_code == 200


def test_times_are_utc_instants_whatever_the_workspace_zone(people):
    channel = mastodon_channel(people.acme)
    when = datetime(timezone.now().year + 1, 3, 29, 9, 0, tzinfo=ZoneInfo("Europe/Athens"))
    services.create_post(workspace=people.acme, author=people.alice, text="DST day",
                         channels=[channel], scheduled_at=when, actor="test")
    token = planner.issue_feed(people.acme, people.alice)
    raw = Client().get(reverse("planner:feed", args=[token])).content.decode()
    assert f"DTSTART:{when.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%S}Z" in raw
