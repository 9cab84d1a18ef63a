"""The media library in a real browser: upload several files at once (the script's fetch
path), see them, open one, set the focal point by clicking, save, and get each network's file;
then reuse it in the composer."""

from __future__ import annotations

import pytest

from keryx.library.models import FocalPoint
from keryx.publishing.models import Media
from tests.browser.conftest import screenshot
from tests.browser.test_ui_browser import sign_in
from tests.support.images import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_tag_focal_point_and_reuse(live_server, people, page):
    base = live_server.url
    sign_in(page, base, "alice@example.com")
    page.goto(f"{base}/library/")
    page.get_by_label("Tags for these files").fill("launch")
    page.locator("#library-files").set_input_files([
        {"name": "wide.png", "mimeType": "image/png", "buffer": png_bytes(1200, 400, "red")},
        {"name": "square.png", "mimeType": "image/png", "buffer": png_bytes(300, 300, "blue")},
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image"},
    ])
    page.get_by_role("button", name="Upload").click()
    # The bad file is reported by name of the problem; the good ones are saved.
    page.locator("#upload-results li.error").wait_for()
    assert "not an image" in page.locator("#upload-results li.error").inner_text()
    assert page.locator("#upload-results li.ok").count() == 2
    assert Media.objects.filter(workspace=people.acme).count() == 2

    page.goto(f"{base}/library/?tag=launch&q=wide")
    assert page.locator(".media-card").count() == 1
    page.locator(".media-card a").first.click()
    page.wait_for_url(f"{base}/library/*/")
    image = page.locator("#focal-image")
    box = image.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.5)
    page.get_by_label("Alt text").fill("Red banner")
    page.get_by_role("button", name="Save").click()
    page.locator(".message").wait_for()
    wide = Media.objects.get(original_name="wide.png")
    focal = FocalPoint.objects.get(media=wide)
    assert 0.85 < focal.x < 0.95 and 0.4 < focal.y < 0.6
    row = page.locator("#adapted-table tr[data-network='instagram']")
    assert "image/jpeg" in row.inner_text() and "764×400" in row.inner_text()
    screenshot(page, "library-detail")

    page.goto(f"{base}/library/")
    page.locator(f".media-card[data-media='{wide.pk}']").get_by_role(
        "link", name="Use in a new post").click()
    page.wait_for_url(f"{base}/posts/new/?media={wide.pk}")
    assert page.locator(f"input[name='media_id'][value='{wide.pk}']").count() == 1
