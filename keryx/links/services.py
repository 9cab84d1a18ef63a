"""UTM tagging and short links. Plain functions: views, the API and the composer call these."""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.core.models import Workspace
from keryx.links.models import ClickDay, ShortLink, UtmPreset

UTM_FIELDS = ("source", "medium", "campaign", "term", "content")
CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 7  # 62**7 ≈ 3.5e12: guessing a live code is hopeless
MAX_URL = 2000


class LinkRejected(ValueError):
    """A URL Keryx will not tag or shorten; the message says why in plain words."""


def check_url(url: str) -> str:
    """The URL trimmed, or LinkRejected. Only absolute http(s) URLs: a short link must never
    redirect to javascript:, data: or a relative path on our own host."""
    url = (url or "").strip()
    if not url:
        raise LinkRejected(_("Enter a link."))
    if len(url) > MAX_URL:
        raise LinkRejected(_("The link is longer than %(max)d characters.") % {"max": MAX_URL})
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise LinkRejected(_("Only http:// and https:// links can be used."))
    if any(ch.isspace() for ch in url):
        raise LinkRejected(_("A link cannot contain spaces."))
    return url


def with_utm(url: str, values: Mapping[str, str]) -> str:
    """The URL with utm_* parameters set from `values` (keys: source, medium, campaign, term,
    content). Other query parameters and the fragment stay as they were; an existing utm_x is
    replaced, so tagging twice never doubles a parameter."""
    url = check_url(url)
    parts = urlsplit(url)
    wanted = {f"utm_{k}": str(v).strip() for k, v in values.items()
              if k in UTM_FIELDS and str(v or "").strip()}
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in wanted]
    query += [(f"utm_{k}", wanted[f"utm_{k}"]) for k in UTM_FIELDS if f"utm_{k}" in wanted]
    return urlunsplit(parts._replace(query=urlencode(query)))


def default_preset(workspace: Workspace) -> UtmPreset | None:
    return UtmPreset.objects.filter(workspace=workspace).order_by("-is_default", "name").first()


def save_preset(workspace: Workspace, *, name: str, default: bool = False,
                **values: str) -> UtmPreset:
    """Create or update the named preset; making it the default unsets the previous one."""
    fields = {k: str(values.get(k) or "").strip()[:100] for k in UTM_FIELDS}
    with transaction.atomic():
        if default:
            UtmPreset.objects.filter(workspace=workspace, is_default=True).update(
                is_default=False
            )
        preset, _created = UtmPreset.objects.update_or_create(
            workspace=workspace, name=name.strip()[:80],
            defaults={**fields, "is_default": default},
        )
    return preset


def short_url(link: ShortLink) -> str:
    return f"{settings.BASE_URL}/l/{link.code}"


def find_short_codes(text: str) -> list[str]:
    """The codes of Keryx's own short links (BASE_URL/l/<code>) in a text, in order, once each."""
    pattern = re.escape(settings.BASE_URL.rstrip("/")) + r"/l/([A-Za-z0-9]{1,16})\b"
    return list(dict.fromkeys(re.findall(pattern, text or "")))


def shorten(workspace: Workspace, url: str, *, user: object = None) -> ShortLink:
    """A short link to `url` in this workspace; the same URL gives back the same link, so
    clicks on one destination are not split over several codes."""
    url = check_url(url)
    existing = ShortLink.objects.filter(workspace=workspace, url=url).order_by("pk").first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                return ShortLink.objects.create(
                    workspace=workspace, code=code, url=url,
                    created_by=user if getattr(user, "pk", None) else None,
                )
        except IntegrityError:
            continue  # a code collision: astronomically rare, but draw again
    raise RuntimeError("could not draw a free short-link code")


@dataclass(frozen=True)
class Click:
    url: str
    counted: bool


def follow(code: str, *, count: bool = True) -> Click | None:
    """Where /l/<code> goes, counting the click (one guarded UPDATE, so concurrent clicks are
    never lost). None for an unknown code."""
    link = ShortLink.objects.filter(code=code).only("pk", "url").first()
    if link is None:
        return None
    if not count:
        return Click(link.url, False)
    now = timezone.now()
    day = now.date()
    with transaction.atomic():
        ShortLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1, last_clicked_at=now)
        if not ClickDay.objects.filter(link_id=link.pk, day=day).update(clicks=F("clicks") + 1):
            try:
                with transaction.atomic():
                    ClickDay.objects.create(link_id=link.pk, day=day, clicks=1)
            except IntegrityError:
                # Another click created today's row between our UPDATE and INSERT.
                ClickDay.objects.filter(link_id=link.pk, day=day).update(
                    clicks=F("clicks") + 1
                )
    return Click(link.url, True)
