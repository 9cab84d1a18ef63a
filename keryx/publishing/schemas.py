"""The shapes posts and media take in the API and in `keryx … --json`.

The builders (post_out, media_out) are the single place a Post becomes JSON, so the API and the
CLI print the same thing. Nothing secret is reachable from here: channels appear by id, name and
network only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import F
from ninja import Field, Schema

from keryx.channels.models import Channel
from keryx.networks.base import Problem
from keryx.publishing.models import Media, Post, PostTarget
from keryx.publishing.services import post_state

# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------


class VariantIn(Schema):
    text: str | None = Field(None, description="Text for this channel instead of the post's.")
    content_warning: str | None = None
    media: list[int] | None = Field(
        None, description="Media ids for this channel instead of the post's ([] = none)."
    )
    link: str | None = Field(
        None, max_length=2000,
        description="A link: its own field where the network has one (a link card), else "
                    "added to the text.",
    )
    first_comment: str | None = Field(None, description="Posted as a reply/comment right after.")
    thread: list[str] | None = Field(
        None, description="Replies after the first post, for networks with threads."
    )


class PostIn(Schema):
    workspace: int | str | None = Field(
        None, description="Workspace id or slug; may be left out by members of one workspace."
    )
    text: str = ""
    content_warning: str = ""
    language: str = Field("", max_length=8, pattern=r"^([a-z]{2,3})?$",
                          description="ISO 639-1 code of the text (el, en); empty: detected "
                                      "offline from each channel's text when it is sent.")
    channels: list[int | str] = Field(description="Channel ids or names in the workspace.")
    media: list[int] = Field(default_factory=list, description="Media ids from POST /media.")
    scheduled_at: str | None = Field(
        None,
        description=(
            "ISO 8601. With an offset (2026-03-29T09:00+03:00) it is that instant; without one "
            "it is wall-clock time in the workspace's time zone; null or \"now\" publishes now."
        ),
    )
    variants: dict[str, VariantIn] = Field(
        default_factory=dict, description="Per-channel changes, keyed by channel id or name."
    )
    draft: bool = Field(False, description="Save without scheduling.")


class RescheduleIn(Schema):
    scheduled_at: str = Field(description="ISO 8601; naive means the workspace's time zone.")


class MediaPatch(Schema):
    alt_text: str = Field(max_length=5000)


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


class ChannelRef(Schema):
    id: int
    name: str
    network: str


class ErrorOut(Schema):
    code: str
    message: str


class EventOut(Schema):
    at: datetime
    from_state: str
    to_state: str
    attempt: int
    actor: str
    message: str


class TargetOut(Schema):
    id: int
    channel: ChannelRef
    state: str
    remote_id: str
    url: str
    published_at: datetime | None
    due_at: datetime | None
    attempts: int
    error: ErrorOut | None
    history: list[EventOut] | None = Field(None, description="Only on GET /posts/{id}.")


class MediaOut(Schema):
    id: int
    workspace: int
    mime: str
    size: int
    width: int | None
    height: int | None
    alt_text: str
    name: str


class PostOut(Schema):
    id: int
    workspace: int
    state: str = Field(description="A summary over the post's channels.")
    text: str
    content_warning: str
    language: str = Field(description="The language chosen; empty: detected when sent.")
    scheduled_at: datetime | None
    created_at: datetime
    author: str | None
    media: list[MediaOut]
    targets: list[TargetOut]
    warnings: list[WarningOut] = []


class ProblemOut(Schema):
    channel: str | None = Field(description="The channel's name; null for the post as a whole.")
    channel_id: int | None
    code: str
    message: str
    field: str


class WarningOut(Schema):
    """Not a problem: the post can be scheduled, but the network may refuse it (a daily cap)."""

    channel: str
    channel_id: int
    code: str
    message: str


class ValidationOut(Schema):
    valid: bool
    problems: list[ProblemOut]
    warnings: list[WarningOut] = []


# Latest first; undated drafts on top, the same on SQLite and PostgreSQL.
LIST_ORDER = (F("scheduled_at").desc(nulls_first=True), "-created_at", "-pk")


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


def media_out(media: Media) -> dict[str, Any]:
    return {
        "id": media.pk,
        "workspace": media.workspace_id,
        "mime": media.mime_type,
        "size": media.size,
        "width": media.width,
        "height": media.height,
        "alt_text": media.alt_text,
        "name": media.original_name,
    }


def target_out(target: PostTarget, *, history: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": target.pk,
        "channel": {
            "id": target.channel_id,
            "name": target.channel.name,
            "network": target.channel.network,
        },
        "state": target.state,
        "remote_id": target.remote_id,
        "url": target.remote_url,
        "published_at": target.published_at,
        "due_at": target.due_at,
        "attempts": target.attempts,
        "error": (
            {"code": target.error_code, "message": target.error_message}
            if target.error_code or target.error_message
            else None
        ),
        "history": None,
    }
    if history:
        out["history"] = [
            {
                "at": event.at,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "attempt": event.attempt,
                "actor": event.actor,
                "message": event.message,
            }
            for event in target.events.all()
        ]
    return out


def post_out(post: Post, *, history: bool = False) -> dict[str, Any]:
    targets = sorted(post.targets.all(), key=lambda t: (t.channel.name.lower(), t.pk))
    return {
        "id": post.pk,
        "workspace": post.workspace_id,
        "state": post_state(post),
        "text": post.text,
        "content_warning": post.content_warning,
        "language": post.language,
        "scheduled_at": post.scheduled_at,
        "created_at": post.created_at,
        "author": (post.author.email or post.author.get_username()) if post.author else None,
        "media": [media_out(m) for m in post.media.all().order_by("postmedia__position")],
        "targets": [target_out(t, history=history) for t in targets],
    }


def post_json(post: Post, *, history: bool = False) -> dict[str, Any]:
    """post_out as plain JSON types (ISO 8601 strings for times), for the CLI."""
    return PostOut.model_validate(post_out(post, history=history)).model_dump(mode="json")


def problem_details(problems: Mapping[Channel | None, list[Problem]]) -> list[dict[str, Any]]:
    """Per-channel problems (from validate_post or PostRejected) as a flat list."""
    return [
        {
            "channel": channel.name if channel is not None else None,
            "channel_id": channel.pk if channel is not None else None,
            "code": problem.code,
            "message": str(problem.message),
            "field": problem.field,
        }
        for channel, items in problems.items()
        for problem in items
    ]
