"""No N+1 queries: each list-like page runs the same number of queries for 3 posts as for 15."""

from __future__ import annotations

import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keryx.publishing import services
from tests.ui_helpers import mastodon_channel, scheduled_post

ATHENS = zoneinfo.ZoneInfo("Europe/Athens")


def _post(people, channel, text: str, day: int):
    """A post on `day` of March next year, 10:00 Athens: one day each, so every calendar view
    (whose days show only the first few posts) shows each of them."""
    year = timezone.now().year + 1
    when = timezone.datetime(year, 3, day, 10, 0, tzinfo=ATHENS)
    return services.create_post(workspace=people.acme, author=people.alice, text=text,
                                channels=[channel], scheduled_at=when, actor="test")

PAGES = [
    "dashboard",
    "posts:list",
    "planner:month",
    "planner:week",
    "planner:list",
]


def _queries(client: Client, url: str, expect_text: str) -> int:
    client.get(url)  # warm per-process caches (content types, translations)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    # The posts must really be on the page, or the comparison proves nothing.
    assert expect_text in response.content.decode(), f"{url} does not show {expect_text!r}"
    return len(captured)


def _url_showing(page: str, when) -> str:
    """The page's URL positioned on the day the posts are scheduled."""
    local = timezone.localtime(when, ATHENS)
    query = {
        "planner:month": f"?month={local:%Y-%m}",
        "planner:week": f"?day={local:%Y-%m-%d}",
        "planner:list": f"?from={local:%Y-%m-%d}&days=31",
    }.get(page, "")
    return reverse(page) + query


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_query_count_does_not_grow_with_posts(people, page):
    channel = mastodon_channel(people.acme)
    other = mastodon_channel(people.acme, name="Second channel")
    client = Client()
    client.force_login(people.alice)
    def make(i: int, on) -> object:
        if page in ("dashboard", "posts:list"):  # these show what is coming soon
            return scheduled_post(people.acme, people.alice, on, f"batch {i}")
        # Calendar views: spread over days (a day cell shows only its first few posts); the
        # week view needs them inside one week (2–6 March).
        return _post(people, on, f"batch {i}", day=2 + (i % 5 if page == "planner:week" else i))

    first = [make(i, channel) for i in range(3)][0]
    url = _url_showing(page, first.scheduled_at)
    few = _queries(client, url, "batch 2")
    for i in range(3, 15):
        make(i, other if i % 2 else channel)
    many = _queries(client, url, "batch 14" if page != "planner:week" else "batch 13")
    assert many == few, f"{page}: {few} queries for 3 posts but {many} for 15"
