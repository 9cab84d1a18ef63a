"""The shapes of POST /api/v1/validate (and `keryx validate --json`)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from keryx.publishing.schemas import PostIn, ProblemOut, WarningOut


class ValidateIn(PostIn):
    channels: list[int | str] = Field(
        default_factory=list, description="Channel ids or names in the workspace (or networks)."
    )
    networks: list[str] = Field(
        default_factory=list,
        description="Instead of channels: network identifiers (x, instagram, …), each checked on "
                    "its default settings, media adapted as a channel of it would send them.",
    )
    split: bool = Field(
        False, description="Propose a thread split for channels whose network has threads and "
                           "whose text is too long."
    )
    numbering: bool = Field(False, description="Number the proposed thread's parts (\"1/3\").")


class ValidateOut(Schema):
    valid: bool
    problems: list[ProblemOut]
    warnings: list[WarningOut] = []
    channels: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Per channel: valid, problems (with params), measures (unit, count, limit, "
                    "remaining, over_by, overflow_at = code-point index where the text stops "
                    "fitting), overrides, thread, suggested_thread, preview.",
    )
