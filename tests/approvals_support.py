"""People and helpers for the approval tests: dora writes (contributor), erin edits, fiona is a
client approver in Acme (alongside the people fixture's alice, bob and charlie)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from keryx.core.models import Membership, Role
from keryx.publishing import services
from keryx.publishing.models import Post
from tests.fixtures.people import PASSWORD
from tests.ui_helpers import mastodon_channel


@dataclass
class Team:
    people: object
    dora: object
    erin: object
    fiona: object
    channel: object


def member(workspace, email: str, role: str):
    user = get_user_model().objects.create_user(email, email, PASSWORD,
                                                first_name=email.split("@")[0].title())
    Membership.objects.create(workspace=workspace, user=user, role=role)
    return user


@pytest.fixture
def team(people) -> Team:
    return Team(
        people=people,
        dora=member(people.acme, "dora@example.com", Role.CONTRIBUTOR),
        erin=member(people.acme, "erin@example.com", Role.EDITOR),
        fiona=member(people.acme, "fiona@client.example", Role.CLIENT_APPROVER),
        channel=mastodon_channel(people.acme),
    )


def write(team: Team, author, text: str = "Autumn launch", *, days: int = 2) -> Post:
    return services.create_post(
        workspace=team.people.acme, author=author, text=text, channels=[team.channel],
        scheduled_at=timezone.now() + timedelta(days=days), actor=author.email,
    )


def states(post: Post) -> list[str]:
    return sorted(post.targets.values_list("state", flat=True))
