"""Sign in, compose, schedule, find the post at the right local time, open it, cancel it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from keryx.publishing.models import Post, TargetState
from tests.browser.conftest import screenshot
from tests.fixtures.people import PASSWORD
from tests.ui_helpers import mastodon_channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_compose_schedule_list_open_cancel(live_server, people, page):
    base = live_server.url
    channel = mastodon_channel(people.acme)
    mastodon_channel(people.acme, name="Second account")
    sign_in(page, base, "alice@example.com")
    assert page.locator("html").get_attribute("lang") == "en"

    page.get_by_role("link", name="New post").first.click()
    page.wait_for_url(f"{base}/posts/new/")
    day = (datetime.now(ZoneInfo("Europe/Athens")) + timedelta(days=10)).date()

    # The live counter follows the text, per chosen channel, and flags going over.
    row = page.locator(f".channel-row[data-channel='{channel.pk}']")
    row.get_by_role("checkbox").first.check()
    page.get_by_label("Text", exact=True).fill("x" * 501)
    # (exact, from POST /api/v1/validate: tests/browser/test_composer_live.py)
    expect(row.locator(".counter")).to_have_text("501 / 500")
    expect(row.locator(".counter")).to_have_class(re.compile(r"\bover\b"))

    text = "Autumn launch: see https://example.com/launch #keryx"
    page.get_by_label("Text", exact=True).fill(text)
    # 19 characters + the link counted as 23 + 7 characters
    expect(row.locator(".counter")).to_have_text("49 / 500")
    page.get_by_label("Schedule", exact=True).check()
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("Time", exact=True).fill("09:15")
    screenshot(page, "composer")
    page.locator("#submit-post").click()

    page.wait_for_url(re.compile(rf"{base}/posts/\d+/$"))
    assert "Post scheduled." in page.content()
    post = Post.objects.get()
    local = post.scheduled_at.astimezone(ZoneInfo("Europe/Athens"))
    assert (local.date(), local.hour, local.minute) == (day, 9, 15)
    assert page.locator("#post-when").inner_text().endswith("09:15")
    screenshot(page, "post_detail")

    page.get_by_role("link", name="Posts", exact=True).click()
    row = page.locator(f"tr[data-post='{post.pk}']")
    assert "09:15" in row.locator("time").inner_text()
    assert str(day.day) in row.locator("time").inner_text()
    assert "Scheduled" in row.inner_text()
    screenshot(page, "post_list")

    row.get_by_role("link").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel post").click()
    page.wait_for_load_state()
    assert "Post cancelled." in page.content()
    assert post.targets.get().state == TargetState.CANCELLED
    screenshot(page, "post_cancelled")


def test_greek_interface(live_server, people, page):
    base = live_server.url
    mastodon_channel(people.acme)
    sign_in(page, base, "alice@example.com")
    page.locator("details.menu summary", has_text="alice@example.com").click()
    page.get_by_role("button", name="Ελληνικά").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "el"
    page.get_by_role("link", name="Νέα ανάρτηση").first.click()
    # The click starts a navigation: wait for the composer rather than read the old page.
    save_draft = page.get_by_role("button", name="Αποθήκευση ως πρόχειρο")
    save_draft.wait_for(state="visible")
    assert save_draft.is_visible()
    screenshot(page, "composer_el")
    page.locator(".nav-more summary").click()  # Members sits in the navigation's "More" menu
    page.get_by_role("link", name="Μέλη").click()
    invite = page.get_by_role("button", name="Δημιουργία πρόσκλησης")
    invite.wait_for(state="visible")
    assert invite.is_visible()
    screenshot(page, "members_el")
