"""The competitors page in a real browser: from the analytics page to the competitors page,
follow a rival on a real Mastodon API server (mastodon-mock), see it beside the channel with the
follower chart, get a clear error for an unknown account, remove it."""

from __future__ import annotations

import pytest

from keryx.analytics.models import Competitor
from keryx.channels.connect import connect_mastodon_token
from tests.browser.conftest import screenshot
from tests.browser.test_ui_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def test_follow_see_and_remove_a_rival(live_server, people, page, mastodon):
    me = mastodon.new_account("me")
    connect_mastodon_token(people.acme, people.alice, mastodon.url, me.access_token,
                           name="Toot")
    rival = mastodon.new_account("rival")
    mastodon.api("POST", "/api/v1/statuses", rival.access_token,
                 data={"status": "Καλημέρα"}).raise_for_status()
    mastodon.api("POST", f"/api/v1/accounts/{rival.id}/follow", "bob_token").raise_for_status()

    base = live_server.url
    sign_in(page, base, "alice@example.com")
    page.goto(f"{base}/analytics/")
    page.locator("#competitors-link a").click()
    page.wait_for_url(f"{base}/analytics/competitors/")

    page.get_by_label("Account").fill("@nobody-at-all")
    page.get_by_role("button", name="Follow", exact=True).click()
    assert "no account @nobody-at-all" in page.locator(".message.error").inner_text()

    page.locator("#add-competitor select[name=network]").select_option("mastodon")
    page.get_by_label("Account").fill(f"@{rival.username}")
    page.get_by_role("button", name="Follow", exact=True).click()
    page.locator(".message.success").wait_for()
    competitor = Competitor.objects.get()
    row = page.locator(f"#competitor-{competitor.pk}")
    cells = row.locator("td")
    assert cells.nth(2).inner_text() == "1"  # followers
    assert "0.23" in cells.nth(4).inner_text()  # 1 post in 30 days: 0.23 a week
    assert page.locator("#competitors tr[data-kind='channel']").count() == 1
    assert page.locator("svg.chart").count() == 1
    screenshot(page, "competitors")

    row.get_by_role("button", name="Remove").click()
    page.locator(".message.success").wait_for()
    assert not Competitor.objects.exists()
