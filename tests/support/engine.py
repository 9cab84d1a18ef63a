"""Fixtures and helpers for engine tests: a loopback server, channels pointed at it, and a way
to run the engine synchronously. Import the fixtures into a test module by name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.networks import registry
from keryx.publishing.delivery import publish_claimed
from keryx.publishing.scheduler import claim_due
from tests.support.loopback import LoopbackProvider, LoopbackServer


@pytest.fixture
def loopback(settings) -> Iterator[LoopbackServer]:
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    registry.register("loopback", LoopbackProvider)
    with LoopbackServer() as server:
        yield server
    registry.unregister("loopback")


def make_channel(workspace: Workspace, server: LoopbackServer, name: str = "Loop") -> Channel:
    return Channel.objects.create(
        workspace=workspace, network="loopback", name=name,
        credentials={"access_token": server.token}, settings={"url": server.url},
    )


def run_due(now: datetime | None = None, worker_id: str = "test") -> list[str]:
    """Claim everything due and publish it here, in order. Returns the resulting states."""
    return [publish_claimed(c, worker_id=worker_id)
            for c in claim_due(worker_id, limit=1000, now=now)]


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    """The named users' password hashing dominates these tests' set-up; MD5 is fine here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
