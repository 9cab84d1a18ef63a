"""The contact book and `@{Name}` mentions.

`@{Name}` in a post names a contact; each network gets the mention it understands:

    bluesky   @alice.bsky.social   (the provider turns it into a mention facet with the DID)
    mastodon  @alice@mastodon.social
    linkedin  @[Alice](urn:li:person:abc)   (a mention annotation in LinkedIn's little format)
    reddit    u/alice
    x, threads, instagram, tiktok, telegram, pinterest, youtube   @alice
    otherwise the plain name, as it is when the contact has no handle on that network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from keryx.contacts import hashtags
from keryx.contacts.models import Contact, ContactHandle
from keryx.core.models import Workspace

# @{Name}: anything but braces and line breaks, trimmed; names are matched case-insensitively.
PLACEHOLDER = re.compile(r"@\{([^{}\n]{1,100})\}")

AT_HANDLE_NETWORKS = frozenset(
    {"x", "threads", "instagram", "tiktok", "telegram", "pinterest", "youtube"}
)
# The networks a contact can have a handle on, in the order the forms show them.
HANDLE_NETWORKS = ("bluesky", "mastodon", "x", "threads", "instagram", "linkedin", "tiktok",
                   "youtube", "pinterest", "telegram", "reddit")
_MASTODON = re.compile(r"^[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_BLUESKY = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9-]+$")
_LINKEDIN = re.compile(r"^urn:li:(?:person|organization):[A-Za-z0-9_-]+$")
_PLAIN = re.compile(r"^[A-Za-z0-9_.]{1,100}$")


class ContactRejected(ValueError):
    """A contact or handle that cannot be saved; the message says why."""


def normalise_handle(network: str, handle: str) -> str:
    """The handle as stored (no leading @ or u/), or ContactRejected if it cannot be right for
    that network."""
    value = (handle or "").strip()
    if network == "reddit" and value.lower().startswith(("u/", "/u/")):
        value = value.split("/", 2)[-1] if value.startswith("/") else value[2:]
    if network != "linkedin":
        value = value.lstrip("@")
    if not value:
        raise ContactRejected(_("Enter a handle."))
    checks = {
        "mastodon": (_MASTODON, _("A Mastodon handle looks like user@instance.social.")),
        "bluesky": (_BLUESKY, _("A Bluesky handle looks like name.bsky.social.")),
        "linkedin": (_LINKEDIN, _("A LinkedIn mention needs the member's or page's URN, like "
                                  "urn:li:person:abc123.")),
    }
    pattern, message = checks.get(network, (_PLAIN, _("A handle has letters, digits, dots "
                                                      "and underscores only.")))
    if not pattern.match(value):
        raise ContactRejected(message)
    return value.lower() if network == "bluesky" else value


def mention(network: str, name: str, handle: str | None) -> str:
    """How `@{name}` reads on `network`, given the contact's handle there (or None)."""
    if not handle:
        return name
    if network in ("bluesky", "mastodon") or network in AT_HANDLE_NETWORKS:
        return f"@{handle}"
    if network == "linkedin":
        # Brackets in the name would end the annotation early.
        clean = name.replace("[", "(").replace("]", ")")
        return f"@[{clean}]({handle})"
    if network == "reddit":
        return f"u/{handle}"
    return name


@dataclass(frozen=True)
class Expanded:
    text: str
    unknown: tuple[str, ...] = ()  # names with no contact: left as the plain name


def contact_table(workspace: Workspace | int, names: Iterable[str]) -> dict[str, Contact]:
    """Contacts by lower-cased name, with their handles, for the names asked about."""
    wanted = {n.strip().casefold() for n in names}
    if not wanted:
        return {}
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found = {}
    for contact in Contact.objects.filter(workspace_id=workspace_id).prefetch_related("handles"):
        key = contact.name.casefold()
        if key in wanted:
            found[key] = contact
    return found


def expand(text: str, network: str, contacts: Mapping[str, Contact]) -> Expanded:
    """Replace every @{Name} with the network's mention (see the module docstring)."""
    unknown: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        contact = contacts.get(name.casefold())
        if contact is None:
            if name not in unknown:
                unknown.append(name)
            return name
        handle = next((h.handle for h in contact.handles.all() if h.network == network), None)
        return mention(network, contact.name, handle)

    return Expanded(PLACEHOLDER.sub(replace, text), tuple(unknown))


def expand_for(workspace: Workspace | int, text: str, network: str) -> Expanded:
    names = [m.group(1) for m in PLACEHOLDER.finditer(text)]
    if not names:
        return Expanded(text)
    return expand(text, network, contact_table(workspace, names))


def save_contact(workspace: Workspace, *, name: str, handles: Mapping[str, str],
                 note: str = "", contact: Contact | None = None) -> Contact:
    """Create or update a contact with one handle per network (an empty handle removes it)."""
    name = " ".join((name or "").split())
    if not name:
        raise ContactRejected(_("Enter a name."))
    if "{" in name or "}" in name:
        raise ContactRejected(_("A name cannot contain braces."))
    # Compared in Python: SQLite's case-insensitive matching knows only ASCII (Ada vs ADA, but
    # not Λοβλέις vs ΛΟΒΛΈΙΣ).
    others = Contact.objects.filter(workspace=workspace).values_list("pk", "name")
    if any(pk != getattr(contact, "pk", None) and other.casefold() == name.casefold()
           for pk, other in others):
        raise ContactRejected(_("There is already a contact named %(name)s.") % {"name": name})
    cleaned = {net: normalise_handle(net, value) for net, value in handles.items()
               if (value or "").strip()}
    with transaction.atomic():
        if contact is None:
            contact = Contact.objects.create(workspace=workspace, name=name, note=note[:300])
        else:
            contact.name, contact.note = name, note[:300]
            contact.save(update_fields=["name", "note"])
        contact.handles.exclude(network__in=list(cleaned)).delete()
        for network, handle in cleaned.items():
            ContactHandle.objects.update_or_create(
                contact=contact, network=network, defaults={"handle": handle}
            )
    return contact


def unknown_contacts(workspace: Workspace | int, text: str) -> list[str]:
    """The @{Name}s in the text with no contact in the workspace (they go out as plain names)."""
    names = [m.group(1).strip() for m in PLACEHOLDER.finditer(text)]
    known = contact_table(workspace, names)
    return sorted({n for n in names if n.casefold() not in known})


def composer_warnings(workspace: Workspace | int, text: str, channels: Iterable[Any]
                      ) -> list[dict[str, Any]]:
    """Advice that does not block scheduling, in the shape of the API's warnings: too many
    hashtags for a network's recommendation, and @{Name}s with no contact."""
    unknown = unknown_contacts(workspace, text)
    warnings: list[dict[str, Any]] = []
    for channel in channels:
        for problem in hashtags.advice(text, channel.network):
            warnings.append({"channel": channel.name, "channel_id": channel.pk,
                             "code": problem.code, "message": problem.message})
        for name in unknown:
            warnings.append({
                "channel": channel.name, "channel_id": channel.pk, "code": "unknown_contact",
                "message": _("No contact named %(name)s: it goes out as plain text.")
                % {"name": name},
            })
    return warnings
