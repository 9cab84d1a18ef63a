"""The workspace's logo on its reports: an uploaded image checked and re-encoded as PNG (so
what reaches the PDF is always a well-formed, small PNG, whatever was uploaded)."""

from __future__ import annotations

import io
from typing import BinaryIO

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from keryx.analytics.reports.models import ReportLogo
from keryx.core import audit
from keryx.core.models import Workspace

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_SIDE = 600  # pixels; the PDF shows it about 30 mm wide


class LogoError(ValueError):
    pass


def save_logo(workspace: Workspace, file: BinaryIO, user: object = None) -> ReportLogo:
    data = file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise LogoError(_("The logo is larger than 2 MB."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.format not in {"PNG", "JPEG", "GIF", "WEBP"}:
                raise LogoError(_("The logo must be a PNG, JPEG, GIF or WebP image."))
            picture = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise LogoError(_("The file is not an image Keryx can read.")) from exc
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    logo, _created = ReportLogo.objects.update_or_create(
        workspace=workspace,
        defaults={"image": out.getvalue(), "width": picture.width, "height": picture.height})
    audit.record(workspace, "report_logo.uploaded", actor=user, obj=logo,
                 summary=f"{picture.width}×{picture.height} px", width=picture.width,
                 height=picture.height)
    return logo


def remove_logo(workspace: Workspace, user: object = None) -> bool:
    removed = bool(ReportLogo.objects.filter(workspace=workspace).delete()[0])
    if removed:
        audit.record(workspace, "report_logo.removed", actor=user)
    return removed


def logo_png(workspace: Workspace) -> bytes | None:
    data = ReportLogo.objects.filter(workspace=workspace).values_list("image", flat=True).first()
    return bytes(data) if data is not None else None
