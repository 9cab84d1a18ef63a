"""Approve as a second user: the contributor's post waits; the editor signs in, sees the bell,
opens the review, approves, and sees the post scheduled. Then a rejection with a reason."""

from __future__ import annotations

import re

import pytest

from keryx.publishing.models import TargetState
from tests.approvals_support import write
from tests.browser.conftest import screenshot
from tests.browser.test_ui_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_approve_as_a_second_user(live_server, team, page):
    base = live_server.url
    post = write(team, team.dora, "Autumn launch, for review")
    rejected = write(team, team.dora, "Second idea")
    assert post.targets.get().state == TargetState.PENDING_APPROVAL

    sign_in(page, base, "erin@example.com")
    assert page.locator("#unread-count").inner_text() == "2"
    page.get_by_role("link", name="Approvals").click()
    page.get_by_role("link", name="Autumn launch, for review").click()
    page.wait_for_url(re.compile(rf"{base}/posts/{post.pk}/$"))
    assert "Waiting for approval" in page.locator("#review").inner_text()
    screenshot(page, "approval_pending")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    assert "Approved. The post is scheduled." in page.content()
    assert page.locator(".target .badge").first.inner_text().strip() == "Scheduled"
    assert post.targets.get().state == TargetState.SCHEDULED
    screenshot(page, "approval_done")

    page.goto(f"{base}/posts/{rejected.pk}/")
    page.get_by_label("What needs changing").fill("Shorter, please")
    page.get_by_role("button", name="Reject").click()
    page.wait_for_load_state()
    assert "Shorter, please" in page.locator("#reject-reason").inner_text()
    assert rejected.targets.get().state == TargetState.DRAFT
