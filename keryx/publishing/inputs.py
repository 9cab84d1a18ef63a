"""Turning what a caller names (channel ids or names, media ids, a typed time) into rows and
instants, always inside one workspace. Shared by the API and the `keryx post` command so both
reject the same input with the same words."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.core.timeutil import InvalidLocalTime, parse_local_datetime
from keryx.publishing.models import Media


class InputError(ValueError):
    """Input that names something that does not exist here, or cannot be read.

    `code` is the API's error code; `details` what a script needs to fix the input."""

    def __init__(self, code: str, message: str, details: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def resolve_channels(workspace: Workspace, refs: Iterable[int | str]) -> list[Channel]:
    """Channels by id or by name (case-insensitive), in the given order, without repeats.

    A channel of another workspace is "unknown" like one that does not exist."""
    wanted = [ref.strip() if isinstance(ref, str) else ref for ref in refs]
    wanted = [ref for ref in wanted if ref != ""]
    if not wanted:
        raise InputError("no_channels", _("Choose at least one channel."))
    channels = list(Channel.objects.filter(workspace=workspace))
    by_id = {c.pk: c for c in channels}
    by_name = {c.name.lower(): c for c in channels}
    found: list[Channel] = []
    unknown: list[str] = []
    for ref in wanted:
        channel = None
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdecimal()):
            channel = by_id.get(int(ref))
        if channel is None and isinstance(ref, str):
            channel = by_name.get(ref.lower())
        if channel is None:
            unknown.append(str(ref))
        elif channel not in found:
            found.append(channel)
    if unknown:
        raise InputError(
            "unknown_channel",
            _("Unknown channel: %(names)s. Known channels here: %(known)s.")
            % {
                "names": ", ".join(unknown),
                "known": ", ".join(c.name for c in channels) or _("none"),
            },
            {"unknown": unknown},
        )
    return found


def resolve_media(workspace: Workspace, ids: Sequence[int]) -> list[Media]:
    if not ids:
        return []
    rows = {m.pk: m for m in Media.objects.filter(workspace=workspace, pk__in=list(ids))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise InputError(
            "unknown_media",
            _("Unknown media id: %(ids)s.") % {"ids": ", ".join(str(i) for i in missing)},
            {"unknown": missing},
        )
    seen: list[Media] = []
    for i in ids:
        if rows[i] not in seen:
            seen.append(rows[i])
    return seen


def resolve_when(value: str | None, workspace: Workspace) -> datetime | None:
    """None for "now"; otherwise an aware UTC instant (naive text = workspace wall clock)."""
    if value is None or value.strip().lower() in ("", "now"):
        return None
    try:
        return parse_local_datetime(value, workspace.timezone)
    except InvalidLocalTime as exc:
        raise InputError("invalid_time", str(exc), {"field": "scheduled_at"}) from exc


def resolve_variants(
    channels: Sequence[Channel], variants: dict[str, dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Per-channel overrides keyed by channel id or name -> keyed by channel id.

    A variant for a channel the post does not go to is a mistake worth reporting."""
    out: dict[int, dict[str, str]] = {}
    unknown: list[str] = []
    for key, fields in variants.items():
        match = None
        for channel in channels:
            if (key.isdecimal() and int(key) == channel.pk) or key.lower() == channel.name.lower():
                match = channel
                break
        if match is None:
            unknown.append(key)
            continue
        out[match.pk] = {k: v for k, v in fields.items() if v is not None}
        if out[match.pk].get("media") is not None:
            # A variant's own images, from the same workspace only.
            out[match.pk]["media"] = resolve_media(match.workspace, out[match.pk]["media"])
    if unknown:
        raise InputError(
            "unknown_channel",
            _("A variant names a channel the post does not go to: %(names)s.")
            % {"names": ", ".join(unknown)},
            {"unknown": unknown, "field": "variants"},
        )
    return out
