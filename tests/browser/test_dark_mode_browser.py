"""Dark mode follows the system setting (prefers-color-scheme): the page, the cards, the form
controls and the charts' axis text swap to the dark tokens; text stays readable (contrast of
body text on its background at least 4.5:1, WCAG AA) in both schemes."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_ui_browser import sign_in
from tests.ui_helpers import mastodon_channel, scheduled_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The relative luminance and contrast ratio of WCAG 2.x, computed in the page.
CONTRAST = """(selector) => {
  const el = document.querySelector(selector);
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let node = el, bg = 'rgba(0, 0, 0, 0)';
  while (node && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
    bg = getComputedStyle(node).backgroundColor; node = node.parentElement;
  }
  const fg = getComputedStyle(el).color;
  const [a, b] = [lum(rgb(fg)), lum(rgb(bg))].sort((x, y) => y - x);
  return {fg, bg, ratio: (a + 0.05) / (b + 0.05), bgLum: lum(rgb(bg))};
}"""


@pytest.fixture(params=["light", "dark"])
def scheme_page(request, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB",
                                  color_scheme=request.param)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield request.param, page
    context.close()


def test_pages_follow_the_system_colour_scheme(live_server, people, scheme_page):
    scheme, page = scheme_page
    base = live_server.url
    channel = mastodon_channel(people.acme)
    scheduled_post(people.acme, people.alice, channel, "Hello there")
    sign_in(page, base, "alice@example.com")
    for path, selector in (("/", "main h1"), ("/posts/new/", "main h1"),
                           ("/calendar/", "main h1"), ("/channels/", "main h1")):
        page.goto(f"{base}{path}")
        screenshot(page, f"{scheme}-{path.strip('/').replace('/', '-') or 'dashboard'}")
        seen = page.evaluate(CONTRAST, selector)
        assert seen["ratio"] >= 4.5, (path, seen)
        if scheme == "dark":
            assert seen["bgLum"] < 0.05, (path, seen)  # a dark page, not a white one
        else:
            assert seen["bgLum"] > 0.8, (path, seen)
    page.goto(f"{base}/posts/new/")
    field = page.evaluate(CONTRAST, "textarea")
    assert field["ratio"] >= 4.5, field
    assert (field["bgLum"] < 0.05) == (scheme == "dark"), field
