"""One call for a report's PDF, for the page's download, the `keryx report` command, share
links and scheduled e-mails; and which language a person reads reports in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils import translation

from keryx.analytics import services
from keryx.analytics.reports import content, pdf
from keryx.channels.models import Channel
from keryx.core.models import UserProfile, Workspace

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def pdf_report(workspace: Workspace, when: services.Period,
               channels: Sequence[Channel] | None = None,
               only: services.PostFilter | None = None, language: str | None = None) -> bytes:
    """The PDF bytes; fonts.FontMissing when no usable font is installed."""
    # Gathered in the report's language too: the benchmarks' note is worded there.
    with translation.override(language or translation.get_language()):
        return pdf.render(content.gather(workspace, when, channels, only), language)


def pdf_filename(workspace: Workspace, when: services.Period) -> str:
    return f"keryx-report-{workspace.slug}-{when.first_day}-{when.last_day}.pdf"


def language_of(user: Any) -> str:
    """The user's chosen language (profile), else the active one, else the site default."""
    chosen = (UserProfile.objects.filter(user=user).values_list("language", flat=True).first()
              if user is not None and getattr(user, "pk", None) else "")
    for code in (chosen, translation.get_language(), settings.LANGUAGE_CODE):
        if code and code.split("-")[0] in LANGUAGE_CODES:
            return code.split("-")[0]
    return "en"
