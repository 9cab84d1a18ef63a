"""Import a CSV with one bad row through the UI: the preview shows every row with its result,
the go-ahead schedules the good rows in the background (a real django-tasks worker thread)
while the page polls its progress, and the rejected row downloads with its reason."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from keryx.publishing.models import PostTarget, TargetState
from tests.browser.conftest import screenshot
from tests.browser.test_ui_browser import sign_in
from tests.ui_helpers import mastodon_channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def task_worker():
    from keryx.publishing.background import start

    background = start(dispatch=False, tasks=True, reaper=False)
    yield background
    background.stop(timeout=10)


def test_import_csv_with_one_bad_row(live_server, people, page, task_worker):
    base = live_server.url
    mastodon_channel(people.acme, "Masto")
    year = timezone.now().year + 1
    csv_text = (
        "channels;text;time\n"
        f"Masto;Καλημέρα από την Αθήνα;{year}-05-04 09:00\n"
        f"Nowhere;This channel does not exist;{year}-05-04 10:00\n"
        f'Masto;"Two lines:\nsecond line";{year}-05-04 11:00\n'
    )
    sign_in(page, base, "alice@example.com")
    page.locator(".nav-more summary").click()  # Import sits in the navigation's "More" menu
    page.get_by_role("link", name="Import", exact=True).click()
    page.wait_for_url(f"{base}/import/")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "posts.csv", "mimeType": "text/csv",
                "buffer": csv_text.encode("utf-8")}])
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(rf"{base}/import/\d+/$"))

    assert page.locator("#import-counts").inner_text() == "3 rows: 2 valid, 1 rejected."
    bad = page.locator("tr[data-line='3']")
    assert "Rejected" in bad.inner_text()
    assert "Unknown channel: Nowhere." in bad.inner_text()
    assert "Valid" in page.locator("tr[data-line='2']").inner_text()
    assert "second line" in page.locator("tr[data-line='4']").inner_text()
    assert not PostTarget.objects.exists()
    screenshot(page, "import_preview")

    page.get_by_role("button", name="Schedule 2 valid rows").click()
    result = page.locator("#import-result")
    result.filter(has_text="Done").wait_for(timeout=30_000)
    assert result.inner_text() == "Done: 2 scheduled, 1 rejected."
    assert page.locator("#import-progress").get_attribute("value") == "100"
    assert sorted(PostTarget.objects.filter(state=TargetState.SCHEDULED)
                  .values_list("post__text", flat=True)) == [
        "Two lines:\nsecond line", "Καλημέρα από την Αθήνα"]
    screenshot(page, "import_done")

    with page.expect_download() as download_info:
        page.locator("#download-rejected").click()
    content = open(download_info.value.path(), encoding="utf-8").read()
    assert "3,Unknown channel: Nowhere.,Nowhere,This channel does not exist" in content
