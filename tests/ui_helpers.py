"""Helpers for the UI tests: channels made directly as rows (validation needs no network)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.publishing import services
from keryx.publishing.models import Post


def mastodon_channel(workspace: Workspace, name: str = "Acme on Mastodon") -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="mastodon",
        name=name,
        handle="acme",
        settings={"instance": "https://mastodon.example", "max_characters": 500},
        credentials={"access_token": "not-used-by-ui-tests"},
    )


def scheduled_post(workspace: Workspace, author: object, channel: Channel, text: str) -> Post:
    return services.create_post(
        workspace=workspace,
        author=author,
        text=text,
        channels=[channel],
        scheduled_at=timezone.now() + timedelta(days=2),
        actor="test",
    )
