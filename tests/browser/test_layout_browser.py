"""Layout claims at the width a desktop user has (1400×900): no page wider than the window, the
navigation on one row, the media library as a grid, long words wrapped in the composer, the
week view opened at the working day. Screenshots go to KERYX_SCREENSHOTS when it is set."""

from __future__ import annotations

import pytest

from keryx.publishing.models import Media
from tests.browser.conftest import screenshot
from tests.browser.test_ui_browser import sign_in
from tests.support.images import png_bytes
from tests.ui_helpers import mastodon_channel, scheduled_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    ("dashboard", "/"),
    ("posts", "/posts/"),
    ("composer", "/posts/new/"),
    ("month", "/calendar/"),
    ("week", "/calendar/week/"),
    ("queues", "/queues/"),
    ("feeds", "/feeds/"),
    ("library", "/library/"),
    ("channels", "/channels/"),
    ("connect", "/channels/connect/"),
    ("links", "/links/"),
    ("contacts", "/contacts/"),
    ("hashtags", "/contacts/hashtags/"),
    ("approvals", "/approvals/"),
]


@pytest.fixture
def wide_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_every_page_fits_and_nav_is_one_row(live_server, people, wide_page):
    page = wide_page
    base = live_server.url
    channel = mastodon_channel(people.acme)
    scheduled_post(people.acme, people.alice, channel, "Hello there")
    sign_in(page, base, "alice@example.com")
    for name, path in PAGES:
        page.goto(f"{base}{path}")
        screenshot(page, f"layout-{name}")
        assert page_width(page) <= 1400, f"{path} is {page_width(page)} px wide"
        tops = page.evaluate(
            "[...document.querySelectorAll('.mainnav > *')]"
            ".filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().top)"
        )
        assert len(set(round(t) for t in tops)) == 1, f"navigation wraps on {path}"
    nav = page.locator(".mainnav")
    assert nav.get_by_role("link", name="Links").count() + page.locator(
        ".mainnav a[href='/links/']").count() >= 1
    assert page.locator(".mainnav a[href='/contacts/']").count() == 1


def test_library_is_a_grid(live_server, people, wide_page):
    page = wide_page
    base = live_server.url
    sign_in(page, base, "alice@example.com")
    page.goto(f"{base}/library/")
    page.locator("#library-files").set_input_files([
        {"name": f"img{i}.png", "mimeType": "image/png", "buffer": png_bytes(1200, 800, "red")}
        for i in range(4)
    ])
    page.get_by_role("button", name="Upload").click()
    page.wait_for_timeout(3000)
    assert Media.objects.filter(workspace=people.acme).count() == 4
    page.goto(f"{base}/library/")
    screenshot(page, "layout-library-items")
    boxes = [page.locator(".media-card").nth(i).bounding_box() for i in range(4)]
    # Four cards side by side on one row, each a thumbnail, not a full-size image.
    assert len({round(b["y"]) for b in boxes}) == 1
    assert all(b["width"] < 320 and b["height"] < 400 for b in boxes)
    assert page_width(page) <= 1400


def test_long_word_keeps_composer_in_the_window(live_server, people, wide_page):
    page = wide_page
    base = live_server.url
    channel = mastodon_channel(people.acme)
    sign_in(page, base, "alice@example.com")
    page.goto(f"{base}/posts/new/")
    # The only channel is chosen already.
    assert page.locator(f".channel-row[data-channel='{channel.pk}'] input[type=checkbox]"
                        ).first.is_checked()
    page.get_by_label("Text", exact=True).fill("a" * 560)
    page.wait_for_timeout(800)
    screenshot(page, "layout-composer-long-word")
    assert page_width(page) <= 1400
    composer = page.locator("form.composer").bounding_box()
    assert composer["x"] + composer["width"] <= 1400
    # The previews sit beside the text, above the fold.
    previews = page.locator("#composer-live").bounding_box()
    assert previews is not None and previews["y"] < 900


def test_week_opens_at_the_working_day(live_server, people, wide_page):
    page = wide_page
    base = live_server.url
    sign_in(page, base, "alice@example.com")
    page.goto(f"{base}/calendar/week/")
    page.wait_for_timeout(300)
    screenshot(page, "layout-week-open")
    scrolled = page.evaluate(
        "(() => { const g = document.querySelector('.cal-scroll'); return g ? g.scrollTop : "
        "window.scrollY; })()"
    )
    assert scrolled > 0


def test_greek_navigation_is_one_row(live_server, people, wide_page):
    page = wide_page
    base = live_server.url
    sign_in(page, base, "alice@example.com")
    page.locator("summary", has_text="alice@example.com").click()
    page.get_by_role("button", name="Ελληνικά").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "el"
    screenshot(page, "layout-dashboard-el")
    tops = page.evaluate(
        "[...document.querySelectorAll('.topbar > *, .mainnav > *')]"
        ".filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().top)"
    )
    assert max(tops) - min(tops) < 20
    assert page_width(page) <= 1400


def test_api_docs_render_without_the_internet(live_server, wide_page):
    page = wide_page
    base = live_server.url
    outside = []

    def only_keryx(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_keryx)
    page.goto(f"{base}/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    screenshot(page, "layout-api-docs")
    assert "Keryx API" in page.locator(".swagger-ui .info .title").inner_text()
    assert outside == []
