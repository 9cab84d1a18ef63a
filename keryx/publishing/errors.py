"""The refusals of the publishing services, said to the person who asked.

Below every other publishing module (and the approvals), so each can raise them without
importing the actions that usually do.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from keryx.channels.models import Channel
from keryx.networks.base import Problem


class PostRejected(Exception):
    """The post cannot be scheduled as it is. `problems` maps each channel to its problems; the
    key None holds problems of the post as a whole (no channel chosen)."""

    def __init__(self, problems: Mapping[Channel | None, list[Problem]]) -> None:
        self.problems: dict[Channel | None, list[Problem]] = {
            channel: list(items) for channel, items in problems.items() if items
        }
        super().__init__(self.summary())

    def summary(self) -> str:
        parts = []
        for channel, items in self.problems.items():
            label = channel.name if channel is not None else _("Post")
            parts.append(f"{label}: " + "; ".join(p.message for p in items))
        return " | ".join(parts) or _("The post was rejected.")


class InvalidTransition(Exception):
    """The action does not fit the target's current state (e.g. cancelling a published post)."""
