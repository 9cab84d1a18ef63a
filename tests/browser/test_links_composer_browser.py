"""The composer's helper panel in a real browser: mention a contact, insert a hashtag group and
a tracked short link, see the advice; the post saves with the placeholder and the short link
counts a click."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from keryx.contacts.hashtags import save_group
from keryx.contacts.services import save_contact
from keryx.links.models import ShortLink
from keryx.links.services import save_preset
from keryx.publishing.models import Post
from tests.browser.conftest import screenshot
from tests.browser.test_ui_browser import sign_in
from tests.ui_helpers import mastodon_channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mention_hashtags_and_a_tracked_link_from_the_composer(live_server, people, page,
                                                               settings, client):
    base = live_server.url
    settings.BASE_URL = base
    channel = mastodon_channel(people.acme)
    save_contact(people.acme, name="Ada", handles={"mastodon": "ada@m.example"})
    save_group(people.acme, "Trip", "#athens #greece #travel")
    save_preset(people.acme, name="Social", default=True, source="keryx", medium="social",
                campaign="autumn")
    sign_in(page, base, "alice@example.com")
    page.goto(f"{base}/posts/new/")
    page.locator(f".channel-row[data-channel='{channel.pk}'] input[name=channels]").check()
    text = page.get_by_label("Text", exact=True)
    text.fill("Hello ")
    page.locator("#tool-contact").select_option("Ada")
    assert text.input_value() == "Hello @{Ada}"

    page.locator("#tool-link summary").click()
    page.locator("#tool-link-url").fill("https://example.com/autumn")
    page.locator("#tool-link-insert").click()
    # A locator assertion, not wait_for_function: a string predicate is eval'd in the page,
    # which the Content-Security-Policy (no 'unsafe-eval') refuses once it has to poll.
    expect(text).to_have_value(re.compile(r"/l/"))
    link = ShortLink.objects.get(workspace=people.acme)
    assert link.url == ("https://example.com/autumn?utm_source=keryx&utm_medium=social"
                        "&utm_campaign=autumn")
    assert text.input_value() == f"Hello @{{Ada}} {base}/l/{link.code}"

    page.locator("#tool-group").select_option(label="Trip")
    page.locator("#tool-contact").select_option("Ada")
    text.press("End")
    text.type(" @{Nobody}")
    page.wait_for_selector("#tool-notes .unknown-contact")
    assert "Nobody" in page.locator("#tool-notes").inner_text()
    screenshot(page, "composer-tools")

    page.locator("button[name=action][value=draft]").click()
    page.wait_for_url(lambda url: "/posts/new/" not in url)
    post = Post.objects.get()
    assert post.text.startswith(f"Hello @{{Ada}} {base}/l/{link.code} #athens #greece #travel")

    # The short link works for a reader and counts the visit.
    response = client.get(f"/l/{link.code}")
    assert response.status_code == 302 and response["Location"] == link.url
    link.refresh_from_db()
    assert link.clicks == 1
