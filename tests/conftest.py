"""Shared fixtures. Peers (the Bluesky PDS, mastodon-mock) live in tests/fixtures/ as plugins."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.people",
    "tests.fixtures.bluesky",
    "tests.fixtures.bluesky_appview",
    "tests.fixtures.mastodon",
    "tests.approvals_support",
]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files go to a per-test folder, never into the developer's data dir."""
    settings.MEDIA_ROOT = tmp_path / "media"
