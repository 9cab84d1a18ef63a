"""The composer, live: per-channel verdicts from POST /api/v1/validate while typing (the exact
count, what is over and by how much), a thread split for Bluesky, variants that show as
deviating and re-sync, previews; what is saved is what was shown."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from keryx.channels.models import Channel
from keryx.publishing.models import Post, PostVariant
from tests.browser.conftest import screenshot
from tests.browser.test_ui_browser import sign_in
from tests.ui_helpers import mastodon_channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SENTENCES = " ".join(f"Sentence {i} tells a little more of the story." for i in range(12))


def test_live_verdicts_thread_split_variants_and_previews(live_server, people, page):
    base = live_server.url
    masto = mastodon_channel(people.acme)
    sky = Channel.objects.create(
        workspace=people.acme, network="bluesky", name="Acme on Bluesky", handle="acme.test",
        credentials={"app_password": "not-used"}, settings={"service": "https://pds.example"},
    )
    sign_in(page, base, "alice@example.com")
    page.goto(f"{base}/posts/new/")
    masto_row = page.locator(f".channel-row[data-channel='{masto.pk}']")
    sky_row = page.locator(f".channel-row[data-channel='{sky.pk}']")
    masto_row.get_by_role("checkbox").first.check()
    sky_row.get_by_role("checkbox").first.check()

    # 12 sentences (541 characters), a space and a family emoji (one character): 543.
    page.get_by_label("Text", exact=True).fill(SENTENCES + " 👩‍👩‍👧")
    over = masto_row.locator(".live-over")
    expect(over).to_contain_text("Over by 43 characters from here:")
    expect(over.locator("mark")).to_have_text((SENTENCES + " 👩‍👩‍👧")[500:])
    expect(masto_row.locator(".counter")).to_have_text("543 / 500")
    # Bluesky counts characters and bytes; it can take the text as a thread.
    expect(sky_row.locator(".counter")).to_contain_text("543 / 300 characters")
    expect(sky_row.locator(".live-split")).to_contain_text("Too long: 2 posts as a thread.")
    screenshot(page, "composer-live-over")

    sky_row.get_by_role("button", name="Split into a thread").click()
    expect(sky_row.locator(".live-over")).to_be_hidden()
    expect(sky_row.locator(".live-overrides")).to_contain_text(
        "Differs from the main post: text, thread")
    first = sky_row.locator(f"textarea[name=variant_text_{sky.pk}]").input_value()
    assert first.startswith("Sentence 0") and first.endswith(" 1/2")
    thread = sky_row.locator(f"textarea[name=variant_thread_{sky.pk}]").input_value()
    assert thread.endswith("👩‍👩‍👧 2/2")
    preview = page.locator(f".preview[data-preview-for='{sky.pk}']")
    expect(preview.locator(".preview-part")).to_have_count(2)

    # A link only for Mastodon, then back to the main post with re-sync.
    masto_row.get_by_text("Link, first comment, thread").click()
    masto_row.get_by_label("Link").fill("https://example.com/story")
    expect(masto_row.locator(".live-overrides")).to_contain_text("link")
    expect(masto_row).to_have_class(re.compile(r"\bdeviates\b"))
    masto_row.get_by_role("button", name="Re-sync with the main post").click()
    expect(masto_row).not_to_have_class(re.compile(r"\bdeviates\b"))
    assert masto_row.get_by_label("Link").input_value() == ""

    # Shorten the main text for Mastodon; previews draw links and tags.
    link = "https://example.com/" + "a" * 40
    page.get_by_label("Text", exact=True).fill(f"Read it: {link} #story")
    masto_preview = page.locator(f".preview[data-preview-for='{masto.pk}']")
    expect(masto_preview.locator("a")).to_have_attribute("href", link)
    expect(masto_preview.locator(".preview-tag")).to_have_text("#story")
    expect(masto_row.locator(".live-over")).to_be_hidden()
    expect(masto_row.locator(".counter")).to_have_text(f"{9 + 23 + 7} / 500")

    page.locator("#submit-post").click()
    page.wait_for_url(re.compile(rf"{base}/posts/\d+/$"))
    post = Post.objects.get()
    variant = PostVariant.objects.get(post=post, channel=sky)
    assert variant.override_text and variant.text == first
    assert len(variant.thread) == 1 and variant.thread[0].endswith("2/2")
    assert not PostVariant.objects.filter(post=post, channel=masto).exists()
