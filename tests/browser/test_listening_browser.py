"""The listening pages in a real browser at desktop width: nothing wider than the window, the
charts drawn (SVG with bars), the results readable, the Greek page too. Screenshots go to
KERYX_SCREENSHOTS when it is set."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keryx.listening.models import Match, Result, SavedSearch
from tests.browser.conftest import screenshot
from tests.browser.test_layout_browser import page_width
from tests.browser.test_ui_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def seed(workspace) -> SavedSearch:
    search = SavedSearch.objects.create(workspace=workspace, name="Καφές", query="καφές",
                                        hashtags=["πρωινό"], networks=["mastodon", "bluesky"])
    rival = SavedSearch.objects.create(workspace=workspace, name="Τσάι", query="τσάι")
    now = timezone.now()
    texts = ["Ο καφές στην Αθήνα είναι υπέροχος #πρωινό", "Κρύος καφές σήμερα, κακός",
             "Coffee καφές in Athens " + "averyveryverylongwordwithoutanyspaces" * 4]
    for i in range(30):
        result = Result.objects.create(
            workspace=workspace, network="mastodon" if i % 3 else "bluesky", remote_id=str(i),
            text=texts[i % 3], author_handle=f"@user{i % 4}", language="el",
            sentiment=("positive", "neutral", "negative")[i % 3],
            published_at=now - timedelta(hours=5 * i), url=f"https://social.example/{i}")
        Match.objects.create(search=search if i % 5 else rival, result=result,
                             published_at=result.published_at, network=result.network,
                             sentiment=result.sentiment)
    return search


def test_listening_pages_fit_and_draw(live_server, people, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    search = seed(people.acme)
    base = live_server.url
    sign_in(page, base, "alice@example.com")
    page.goto(f"{base}/listening/")
    screenshot(page, "listening-list")
    assert page_width(page) <= 1400
    assert page.locator("#share-of-voice svg rect").count() == 2
    assert page.locator(".mainnav a[href='/listening/']").count() == 1
    page.goto(f"{base}/listening/searches/{search.pk}/?days=3")
    screenshot(page, "listening-search")
    assert page_width(page) <= 1400
    assert page.locator("#charts svg").count() == 6
    assert page.locator("#results article").count() > 0
    page.locator("#id_sentiment").select_option("negative")
    page.get_by_role("button", name="Show").click()
    assert "sentiment=negative" in page.url
    context.close()
