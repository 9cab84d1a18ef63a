"""A queue's page offers posting times suggested from the workspace's own engagement
(keryx.analytics.services.slot_suggestions), with the posts behind each and the thin-data
warning, in the schedule's time zone; one click adds a time to the schedule."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from keryx.channels.models import Channel
from keryx.queues.models import QueueSchedule, QueueSlot
from keryx.queues.suggestions import CHANNEL, NETWORK, for_channel
from tests.support.analytics import ATHENS, published, today


def last(weekday: int, weeks_back: int) -> date:
    """The `weeks_back`-th most recent such weekday before today (0 = the latest)."""
    day = today() - timedelta(days=1)
    day -= timedelta(days=(day.weekday() - weekday) % 7)
    return day - timedelta(days=7 * weeks_back)


@pytest.fixture
def toot(people):
    channel = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    for week in range(3):
        published(channel, last(1, week), 50, hour=9)  # Tuesdays 09:00 Athens: 5 %
        published(channel, last(3, week), 30, hour=18)  # Thursdays 18:00: 3 %
    published(channel, last(0, 0), 90, hour=10)  # one lucky Monday: thin, never suggested
    return channel


def in_utc(weekday: int, hour: int) -> tuple[int, str]:
    day = today() + timedelta(days=(weekday - today().weekday()) % 7)
    moved = datetime.combine(day, time(hour), ATHENS).astimezone(ZoneInfo("UTC"))
    return moved.weekday(), moved.strftime("%H:%M")


def test_the_schedule_page_suggests_times_and_one_click_adds_one(people, toot, client):
    QueueSchedule.objects.create(channel=toot, timezone="UTC")
    client.force_login(people.alice)
    url = f"/queues/channels/{toot.pk}/schedule/"
    html = client.get(url).content.decode()
    assert "Suggested from your engagement" in html
    tuesday, tuesday_at = in_utc(1, 9)  # 07:00 UTC in winter, 06:00 in summer
    thursday, thursday_at = in_utc(3, 18)
    assert f'data-weekday="{tuesday}" data-time="{tuesday_at}"' in html
    assert f'data-weekday="{thursday}" data-time="{thursday_at}"' in html
    assert html.index(f'data-time="{tuesday_at}"') < html.index(f'data-time="{thursday_at}"')
    assert "5.00 % (3 posts behind it)" in html
    assert 'id="suggested-warning"' in html and "only 7 posts" in html
    assert "10:00" not in html.split('id="suggested-slots"')[1]  # the lucky Monday

    added = client.post(f"/queues/channels/{toot.pk}/slots/add/",
                        {"weekday": tuesday, "time": tuesday_at})
    assert added.status_code == 302 and added["Location"] == url
    slot = QueueSlot.objects.get(schedule__channel=toot)
    assert (slot.weekday, slot.time.strftime("%H:%M")) == (tuesday, tuesday_at)
    page = client.get(url).content.decode()
    assert "added to the posting schedule" in page and "In the schedule" in page
    again = client.post(f"/queues/channels/{toot.pk}/slots/add/",
                        {"weekday": tuesday, "time": tuesday_at}, follow=True)
    assert "is already in the posting schedule" in again.content.decode()
    bad = client.post(f"/queues/channels/{toot.pk}/slots/add/", {"weekday": "9",
                                                                  "time": "07:00"}, follow=True)
    assert "Choose one weekday and one time" in bad.content.decode()
    assert QueueSlot.objects.count() == 1

    greek = client.get(url, HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "Προτάσεις από τις αλληλεπιδράσεις σας" in greek

    client.force_login(people.charlie)  # a viewer adds nothing
    denied = client.post(f"/queues/channels/{toot.pk}/slots/add/",
                         {"weekday": thursday, "time": thursday_at})
    assert denied.status_code == 403 and QueueSlot.objects.count() == 1


def test_a_channel_without_posts_borrows_from_its_network_or_says_why_not(people, toot):
    quiet = Channel.objects.create(workspace=people.acme, network="mastodon", name="Quiet")
    schedule = QueueSchedule.objects.create(channel=quiet, timezone="Europe/Athens")
    found = for_channel(schedule)
    assert found.basis == NETWORK
    assert [(s.weekday, s.time, s.posts) for s in found.slots] == [
        (1, time(9), 3), (3, time(18), 3)]
    assert found.slots[0].average == pytest.approx(5.0)
    own = for_channel(QueueSchedule.objects.create(channel=toot, timezone="Europe/Athens"))
    assert own.basis == CHANNEL and own.posts == 7 and "too few" in own.warning
    lone = Channel.objects.create(workspace=people.acme, network="bluesky", name="Sky")
    nothing = for_channel(QueueSchedule.objects.create(channel=lone, timezone="UTC"))
    assert nothing.slots == [] and nothing.basis == ""


def test_the_page_says_when_there_is_nothing_to_suggest(people, client):
    lone = Channel.objects.create(workspace=people.acme, network="bluesky", name="Sky")
    client.force_login(people.alice)
    html = client.get(f"/queues/channels/{lone.pk}/schedule/").content.decode()
    assert 'id="no-suggestions"' in html and "at least 3 posts" in html
