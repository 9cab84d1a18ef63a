"""The calendar in a real browser: drag a post to another day; click an empty day to compose."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from keryx.publishing import services
from keryx.publishing.models import Post
from tests.browser.conftest import screenshot
from tests.fixtures.people import PASSWORD
from tests.ui_helpers import mastodon_channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ATHENS = ZoneInfo("Europe/Athens")


def sign_in(page, base: str, email: str) -> None:
    # Tall enough for a whole month: Chromium starts no drag towards a cell cut off by the edge.
    page.set_viewport_size({"width": 1280, "height": 1600})
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def two_future_days_in_one_month() -> tuple[datetime, datetime]:
    """A day at least two days ahead and another day a few days after it, in the same month."""
    start = (timezone.now().astimezone(ATHENS) + timedelta(days=2)).date()
    if start.day > 22:
        start = (start.replace(day=1) + timedelta(days=32)).replace(day=3)
    first = datetime(start.year, start.month, start.day, 10, 15, tzinfo=ATHENS)
    return first, first + timedelta(days=4)


def test_drag_a_post_to_another_day(live_server, people, page):
    base = live_server.url
    channel = mastodon_channel(people.acme)
    when, later = two_future_days_in_one_month()
    post = services.create_post(
        workspace=people.acme, author=people.alice, text="Drag me along", channels=[channel],
        scheduled_at=when, actor="test",
    )
    sign_in(page, base, "alice@example.com")
    page.get_by_role("link", name="Calendar", exact=True).click()
    page.goto(f"{base}/calendar/?month={when:%Y-%m}")
    card = page.locator(f"[data-post='{post.pk}']")
    assert card.locator("xpath=ancestor::td").get_attribute("data-day") == f"{when:%Y-%m-%d}"
    target = page.locator(f"td[data-day='{later:%Y-%m-%d}']")
    card.drag_to(target)
    page.wait_for_selector("#cal-status.ok")
    assert "Moved to" in page.locator("#cal-status").inner_text()
    assert card.locator("xpath=ancestor::td").get_attribute("data-day") == f"{later:%Y-%m-%d}"
    screenshot(page, "calendar-month")
    post.refresh_from_db()
    local = post.scheduled_at.astimezone(ATHENS)
    assert (local.date(), local.hour, local.minute) == (later.date(), 10, 15)
    # It stays there after a reload: the server moved it, not just the page.
    page.reload()
    card = page.locator(f"[data-post='{post.pk}']")
    assert card.locator("xpath=ancestor::td").get_attribute("data-day") == f"{later:%Y-%m-%d}"


def test_a_refused_drag_explains_and_the_post_returns(live_server, people, page):
    from keryx.channels.models import ChannelStatus

    base = live_server.url
    channel = mastodon_channel(people.acme)
    when, later = two_future_days_in_one_month()
    post = services.create_post(
        workspace=people.acme, author=people.alice, text="Cannot move now", channels=[channel],
        scheduled_at=when, actor="test",
    )
    # The account was disconnected since: a new time cannot be accepted for it.
    channel.status = ChannelStatus.NEEDS_RECONNECT
    channel.save()
    sign_in(page, base, "alice@example.com")
    page.goto(f"{base}/calendar/?month={when:%Y-%m}")
    card = page.locator(f"[data-post='{post.pk}']")
    card.drag_to(page.locator(f"td[data-day='{later:%Y-%m-%d}']"))
    page.wait_for_selector("#cal-status.error")
    assert "needs reconnecting" in page.locator("#cal-status").inner_text()
    assert card.locator("xpath=ancestor::td").get_attribute("data-day") == f"{when:%Y-%m-%d}"
    assert Post.objects.get(pk=post.pk).scheduled_at == post.scheduled_at


def test_click_an_empty_day_opens_the_composer_on_that_date(live_server, people, page):
    base = live_server.url
    mastodon_channel(people.acme)
    _when, later = two_future_days_in_one_month()
    sign_in(page, base, "alice@example.com")
    page.goto(f"{base}/calendar/?month={later:%Y-%m}")
    cell = page.locator(f"td[data-day='{later:%Y-%m-%d}']")
    box = cell.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 8)
    page.wait_for_url(re.compile(rf"{base}/posts/new/\?at="))
    assert page.get_by_label("Date", exact=True).input_value() == f"{later:%Y-%m-%d}"
    assert page.get_by_label("Time", exact=True).input_value() == "09:00"
    assert page.get_by_label("Schedule", exact=True).is_checked()


def test_arrow_keys_move_between_days(live_server, people, page):
    base = live_server.url
    _when, later = two_future_days_in_one_month()
    sign_in(page, base, "alice@example.com")
    page.goto(f"{base}/calendar/?month={later:%Y-%m}")
    page.locator(f"td[data-day='{later:%Y-%m-%d}'] .cal-add").focus()
    page.keyboard.press("ArrowDown")
    week_later = later + timedelta(days=7)
    focused = page.evaluate("document.activeElement.closest('td').dataset.day")
    assert focused == f"{week_later:%Y-%m-%d}"
    page.keyboard.press("ArrowLeft")
    focused = page.evaluate("document.activeElement.closest('td').dataset.day")
    assert focused == f"{week_later - timedelta(days=1):%Y-%m-%d}"
