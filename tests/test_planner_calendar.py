"""The calendar pages: month, week and list views, filters, times in the viewer's zone, and a
bounded number of queries however many posts the month holds."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keryx.core.models import UserProfile
from keryx.planner.models import Campaign, Label
from keryx.planner.services import set_planning
from keryx.publishing import services
from keryx.publishing.models import PostTarget, TargetState
from tests.support.web import signed_in
from tests.ui_helpers import mastodon_channel

pytestmark = pytest.mark.django_db

ATHENS = ZoneInfo("Europe/Athens")


def athens(days: int, hour: int = 9, minute: int = 30) -> datetime:
    """A wall-clock time in Athens some days ahead (always in the future)."""
    day = (timezone.now().astimezone(ATHENS) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ATHENS)


def post_at(people, channel, text, when, author=None):
    return services.create_post(
        workspace=people.acme, author=author or people.alice, text=text, channels=[channel],
        scheduled_at=when, actor="test",
    )


def month_of(when: datetime) -> str:
    return f"{when:%Y-%m}"


def test_month_shows_posts_on_their_local_day_with_workspace_time_on_hover(people):
    channel = mastodon_channel(people.acme)
    when = athens(10, hour=0, minute=30)  # 22:30 UTC the day before: the day must be Athens'
    post = post_at(people, channel, "Launch day in Athens", when)
    html = signed_in(people.alice).get(
        reverse("planner:month") + f"?month={month_of(when)}"
    ).content.decode()
    cell = html.split(f'data-day="{when:%Y-%m-%d}"', 1)[1].split("</td>", 1)[0]
    assert "Launch day in Athens" in cell and ">00:30<" in cell
    assert f'title="{when:%Y-%m-%d} 00:30 Europe/Athens"' in cell
    assert f'data-post="{post.pk}"' in cell and 'draggable="true"' in cell
    # The channel's state colour is on the card.
    assert 'class="dot state-scheduled" title="Acme on Mastodon: Scheduled"' in cell


def test_a_viewer_in_another_zone_sees_their_own_clock(people):
    channel = mastodon_channel(people.acme)
    when = athens(10, hour=0, minute=30)
    post_at(people, channel, "Midnight post", when)
    UserProfile.objects.create(user=people.alice, timezone="UTC")
    html = signed_in(people.alice).get(
        reverse("planner:month") + f"?month={month_of(when)}"
    ).content.decode()
    utc_day = when.astimezone(ZoneInfo("UTC"))
    cell = html.split(f'data-day="{utc_day:%Y-%m-%d}"', 1)[1].split("</td>", 1)[0]
    assert "Midnight post" in cell and f">{utc_day:%H:%M}<" in cell
    # ...and the workspace's zone on hover.
    assert f'title="{when:%Y-%m-%d} 00:30 Europe/Athens"' in cell


def test_month_query_count_does_not_grow_with_posts(people):
    channels = [mastodon_channel(people.acme, name=f"Account {i}") for i in range(3)]
    campaign = Campaign.objects.create(workspace=people.acme, name="Autumn", colour="#aa0000")
    labels = [Label.objects.create(workspace=people.acme, name=f"L{i}") for i in range(3)]
    when = athens(10)
    url = reverse("planner:month") + f"?month={month_of(when)}"
    client = signed_in(people.alice)

    def add(count: int) -> None:
        for i in range(count):
            post = services.create_post(
                workspace=people.acme, author=people.alice, text=f"post {i}",
                channels=channels, scheduled_at=when + timedelta(hours=i % 5), actor="test",
            )
            set_planning(post, campaign=campaign, labels=labels[: i % 3 + 1])

    add(2)
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    few = [q["sql"] for q in captured.captured_queries]
    add(40)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    many = [q["sql"] for q in captured.captured_queries]
    assert response.content.decode().count("cal-card") >= 6
    assert 5 < len(many) == len(few), many
    assert len(many) <= 16, many


def test_filters_by_channel_campaign_label_status_and_author(people):
    from keryx.core.models import Membership, Role

    one = mastodon_channel(people.acme, name="One")
    two = mastodon_channel(people.acme, name="Two")
    dave = people.bob  # bob joins Acme as an editor to be a second author
    Membership.objects.create(workspace=people.acme, user=dave, role=Role.EDITOR)
    campaign = Campaign.objects.create(workspace=people.acme, name="Spring")
    label = Label.objects.create(workspace=people.acme, name="Video")
    when = athens(10)
    a = post_at(people, one, "Alpha on one", when)
    b = post_at(people, two, "Bravo on two", when + timedelta(hours=1))
    c = post_at(people, one, "Charlie by bob", when + timedelta(hours=2), author=dave)
    set_planning(a, campaign=campaign)
    set_planning(b, labels=[label])
    PostTarget.objects.filter(post=c).update(state=TargetState.FAILED)
    client = signed_in(people.alice)

    def shown(query: str) -> set[str]:
        html = client.get(
            reverse("planner:list") + f"?from={when:%Y-%m-%d}&days=2&{query}"
        ).content.decode()
        return {t for t in ("Alpha on one", "Bravo on two", "Charlie by bob") if t in html}

    assert shown("") == {"Alpha on one", "Bravo on two", "Charlie by bob"}
    assert shown(f"channel={one.pk}") == {"Alpha on one", "Charlie by bob"}
    assert shown(f"campaign={campaign.pk}") == {"Alpha on one"}
    assert shown(f"label={label.pk}") == {"Bravo on two"}
    assert shown("status=failed") == {"Charlie by bob"}
    assert shown(f"author={dave.pk}") == {"Charlie by bob"}
    assert shown(f"channel={one.pk}&status=scheduled") == {"Alpha on one"}
    # Garbage in the query string is ignored, not an error.
    assert shown("channel=abc&status=nonsense") == {"Alpha on one", "Bravo on two",
                                                    "Charlie by bob"}


def test_week_view_places_posts_in_hour_slots(people):
    channel = mastodon_channel(people.acme)
    when = athens(10, hour=14, minute=45)
    post_at(people, channel, "Afternoon post", when)
    html = signed_in(people.alice).get(
        reverse("planner:week") + f"?day={when:%Y-%m-%d}"
    ).content.decode()
    slot = html.split(f'data-slot="{when:%Y-%m-%d}T14:00"', 1)[1].split("</td>", 1)[0]
    assert "Afternoon post" in slot and ">14:45<" in slot
    # An empty slot links to the composer at that hour, in the viewer's zone.
    assert f"/posts/new/?at={when:%Y-%m-%d}T14:00&amp;tz=Europe/Athens" in html


def test_calendar_shows_only_this_workspaces_posts(people):
    acme = mastodon_channel(people.acme)
    globex = mastodon_channel(people.globex, name="Globex account")
    when = athens(10)
    post_at(people, acme, "Acme secret plan", when)
    services.create_post(workspace=people.globex, author=people.bob, text="Globex plan",
                         channels=[globex], scheduled_at=when, actor="test")
    url = reverse("planner:list") + f"?from={when:%Y-%m-%d}&days=1"
    html = signed_in(people.bob).get(url).content.decode()
    assert "Globex plan" in html and "Acme secret plan" not in html
    # Filtering by another workspace's campaign or channel id shows nothing of it either.
    html = signed_in(people.bob).get(url + f"&channel={acme.pk}").content.decode()
    assert "Acme secret plan" not in html


def test_viewer_sees_the_calendar_but_cannot_drag_or_compose(people):
    channel = mastodon_channel(people.acme)
    when = athens(10)
    post_at(people, channel, "Read only for charlie", when)
    html = signed_in(people.charlie).get(
        reverse("planner:month") + f"?month={month_of(when)}"
    ).content.decode()
    assert "Read only for charlie" in html
    assert 'draggable="true"' not in html
    assert "/posts/new/?at=" not in html


def test_empty_day_links_to_composer_prefilled_with_that_date(people):
    mastodon_channel(people.acme)
    when = athens(12)
    client = signed_in(people.alice)
    html = client.get(reverse("planner:month") + f"?month={month_of(when)}").content.decode()
    link = f"/posts/new/?at={when:%Y-%m-%d}T09:00"
    assert link in html
    composer = client.get(link).content.decode()
    assert f'value="{when:%Y-%m-%d}"' in composer
    assert 'value="09:00"' in composer
    assert re.search(r'<input[^>]*value="later"[^>]*checked', composer)


def test_week_slot_time_is_read_in_the_viewers_zone(people):
    mastodon_channel(people.acme)
    when = athens(12)
    # 14:00 UTC is 16:00 or 17:00 in Athens; the composer speaks the workspace's zone.
    html = signed_in(people.alice).get(
        f"/posts/new/?at={when:%Y-%m-%d}T14:00&tz=UTC"
    ).content.decode()
    expected = datetime(when.year, when.month, when.day, 14, 0, tzinfo=ZoneInfo("UTC"))
    assert f'value="{expected.astimezone(ATHENS):%H:%M}"' in html
    # Nonsense is ignored: the composer opens as usual.
    assert signed_in(people.alice).get("/posts/new/?at=yesterday&tz=Mars/Base").status_code == 200


def test_dashboard_shows_today(people):
    channel = mastodon_channel(people.acme)
    # Due right now: always today on the viewer's clock.
    post_at(people, channel, "Due later today", timezone.now())
    html = signed_in(people.alice).get(reverse("dashboard")).content.decode()
    today = html.split('id="today"', 1)[1].split("</section>", 1)[0]
    assert "Due later today" in today
    assert "Due later today" not in signed_in(people.bob).get(reverse("dashboard")).content.decode()
