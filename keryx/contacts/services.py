"""The contact book and `@{Name}` mentions.

`@{Name}` in a post names a contact; each network gets the mention it understands, as it
declares it (Capabilities.mentions: "@alice.bsky.social", "@alice@mastodon.social",
"@[Alice](urn:li:person:abc)", "u/alice" …); otherwise the plain name, as it is when the contact
has no handle on that network. The network's own provider then turns a mention into whatever
it needs (Bluesky: a facet with the DID).
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
from keryx.networks import registry
from keryx.networks.base import MentionRules

# @{Name}: anything but braces and line breaks, trimmed; names are matched case-insensitively.
PLACEHOLDER = re.compile(r"@\{([^{}\n]{1,100})\}")


def handle_networks() -> list[str]:
    """The networks a contact can have a handle on (those declaring mentions), in form order."""
    return [name for name in registry.in_form_order() if _mentions(name) is not None]


def _mentions(network: str) -> MentionRules | None:
    declared = registry.capabilities(network)
    return declared.mentions if declared is not None else None


class ContactRejected(ValueError):
    """A contact or handle that cannot be saved; the message says why."""


def normalise_handle(network: str, handle: str) -> str:
    """The handle as stored (no leading @ or u/), or ContactRejected if it cannot be right for
    that network."""
    rules = _mentions(network) or MentionRules()
    value = (handle or "").strip()
    prefix = next((p for p in rules.strip_prefixes if value.lower().startswith(p)), "")
    value = value[len(prefix):]
    if rules.strip_at:
        value = value.lstrip("@")
    if not value:
        raise ContactRejected(_("Enter a handle."))
    if not re.match(rules.pattern, value):
        # The hint is the provider's English, translated here (its catalogue entry is marked
        # with base.gettext_noop where it is declared).
        raise ContactRejected(_(rules.hint))
    return value.lower() if rules.lowercase else value


def mention(network: str, name: str, handle: str | None) -> str:
    """How `@{name}` reads on `network`, given the contact's handle there (or None)."""
    rules = _mentions(network)
    if not handle or rules is None:
        return name
    for old, new in rules.name_replacements:
        name = name.replace(old, new)
    return rules.format.format(handle=handle, name=name)


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
