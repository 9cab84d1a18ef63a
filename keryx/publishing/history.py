"""A post's history as people read it: the notes stored on TargetEvent rows, put into the
viewer's language when they are rendered, and the machine actors (worker ids, the scheduler)
kept out of sight.

The rows hold English sentences written by the publishing engine (and, for a few, the
sentence in the language of whoever acted). Known sentences and patterns are translated here
at display time; anything else is shown as stored."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_noop

# Notes stored exactly as written (their msgids are in the catalogue).
FIXED_NOTES = {
    gettext_noop("Publish now"),
    gettext_noop("Saved as draft"),
    gettext_noop("Sent for approval"),
    gettext_noop("Scheduled"),
    gettext_noop("Cancelled"),
    gettext_noop("Retry requested"),
    gettext_noop("Publishing"),
    gettext_noop("Published"),
    gettext_noop("Checking the network, then publishing"),
    gettext_noop("Found on the network; not sent again"),
}

# Actors that are Keryx itself, not a person: shown as nothing.
MACHINE_ACTORS = ("worker:", "scheduler", "dispatcher", "system")


def _rescheduled(match: re.Match[str]) -> str:
    try:
        when = datetime.fromisoformat(match["when"])
    except ValueError:
        return gettext("Rescheduled to %(when)s") % {"when": match["when"]}
    if timezone.is_aware(when):
        when = timezone.localtime(when)
    return gettext("Rescheduled to %(when)s") % {
        "when": formats.date_format(when, "DATETIME_FORMAT")}


def _retrying(match: re.Match[str]) -> str:
    return gettext("%(reason)s (retrying in %(seconds)s s)") % {
        "reason": note_text(match["reason"]), "seconds": match["seconds"]}


PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^Rescheduled to (?P<when>\S+)$"), _rescheduled),
    (re.compile(r"^(?P<reason>.+) \(retrying in (?P<seconds>\d+) s\)$"), _retrying),
    # "Lease held by worker:host:123 expired": the worker's id is no business of the reader.
    (re.compile(r"^Lease held by .* expired$"),
     lambda _m: gettext("Publishing was interrupted; checking the network first")),
]


def note_text(message: str) -> str:
    """The stored note in the active language where Keryx knows it."""
    message = (message or "").strip()
    if message in FIXED_NOTES:
        return gettext(message)
    for pattern, render in PATTERNS:
        match = pattern.match(message)
        if match:
            return render(match)
    if "; " in message:
        head, rest = message.split("; ", 1)
        if head in FIXED_NOTES:
            return f"{gettext(head)}; {rest}"
    return message


def actor_text(actor: str) -> str:
    """A person's name as stored; empty for Keryx's own processes."""
    actor = (actor or "").strip()
    if any(actor == a.rstrip(":") or actor.startswith(a) for a in MACHINE_ACTORS):
        return ""
    return actor
