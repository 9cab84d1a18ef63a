"""Timestamps as networks write them, read into aware datetimes. Pure Python.

Most APIs send ISO 8601 / RFC 3339 ("2026-01-01T12:00:00Z" or with an offset); a time without
an offset is taken as UTC, and anything unreadable becomes None rather than an error, since a
missing time must not fail a lookup or a comment fetch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_iso_time(value: Any) -> datetime | None:
    """An ISO 8601 time ("Z" accepted) as an aware datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


__all__ = ["parse_iso_time"]
