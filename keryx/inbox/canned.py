"""Canned replies: saved answers with a short code, in Greek and English, per workspace.

In the reply box a text that is exactly `/code` is replaced by the answer (the page's script
does it as you type; the server does it again, so a browser without scripts or the CLI gets
the same). The item's language picks the text; the other one stands in when it is empty.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from keryx.inbox import services
from keryx.inbox.models import CannedReply, InboxItem, Reply

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SLASH = re.compile(r"^/([A-Za-z0-9][A-Za-z0-9_-]{0,39})$")


def for_workspace(workspace_id: int) -> list[CannedReply]:
    return list(CannedReply.objects.filter(workspace_id=workspace_id))


def find(workspace_id: int, code: str) -> CannedReply:
    canned = CannedReply.objects.filter(workspace_id=workspace_id,
                                        code=code.strip().lstrip("/").lower()).first()
    if canned is None:
        raise services.InboxError(_("No canned reply with the code %(code)s.") % {"code": code},
                                  code="unknown_canned")
    return canned


def save(workspace_id: int, *, code: str, title: str = "", text_el: str = "",
         text_en: str = "", canned: CannedReply | None = None) -> CannedReply:
    code = (code or "").strip().lstrip("/").lower()
    if not CODE.match(code):
        raise services.InboxError(
            _("A code is 1–40 lower-case letters, digits, '-' or '_', starting with a letter "
              "or digit."), code="bad_code")
    if not (text_el.strip() or text_en.strip()):
        raise services.InboxError(_("Write the answer in Greek, English or both."),
                                  code="empty")
    row = canned or CannedReply(workspace_id=workspace_id)
    row.code, row.title = code, title.strip()[:120]
    row.text_el, row.text_en = text_el.strip(), text_en.strip()
    try:
        with transaction.atomic():  # a savepoint: a taken code leaves the request usable
            row.save()
    except IntegrityError as exc:
        raise services.InboxError(_("The code %(code)s is taken.") % {"code": code},
                                  code="duplicate_code") from exc
    return row


def expand(workspace_id: int, text: str, language: str) -> str:
    """`/code` alone becomes that answer in the language; anything else is left as written."""
    found = SLASH.match((text or "").strip())
    if not found:
        return text
    canned = CannedReply.objects.filter(workspace_id=workspace_id,
                                        code=found.group(1).lower()).first()
    return canned.text_for(language) if canned else text


def send(item: InboxItem, code: str, *, user: Any = None) -> Reply:
    """Answer the item with the canned reply (by a person: not automatic)."""
    canned = find(item.workspace_id, code)
    return services.send_reply(item, canned.text_for(item.language), user=user)


def as_json(canned: CannedReply) -> dict[str, Any]:
    return {"id": canned.pk, "code": canned.code, "title": canned.title,
            "text_el": canned.text_el, "text_en": canned.text_en}
