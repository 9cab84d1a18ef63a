"""The font PDF reports are set in: a TrueType font with Greek letters, found at run time.

No font ships with Keryx. KERYX_PDF_FONT names a .ttf file; unset, the usual places of DejaVu
Sans, Noto Sans and Liberation Sans on Linux (Debian, Fedora, Arch), macOS and Windows are
tried in turn. A bold face beside the regular one is used for headings when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

SEARCH = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/google-noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
BOLD_NAMES = {
    "DejaVuSans.ttf": "DejaVuSans-Bold.ttf",
    "NotoSans-Regular.ttf": "NotoSans-Bold.ttf",
    "LiberationSans-Regular.ttf": "LiberationSans-Bold.ttf",
    "Arial.ttf": "Arial Bold.ttf",
    "arial.ttf": "arialbd.ttf",
}
# Letters a report needs: Greek small and capital alpha, omega with tonos, the euro sign.
NEEDED = ("α", "Ω", "ώ", "€")


class FontMissing(Exception):
    """No usable font: the message says what to install or set."""


@dataclass(frozen=True)
class ReportFont:
    regular: Path
    bold: Path | None


def _has_greek(path: Path) -> bool:
    from fontTools.ttLib import TTFont

    try:
        with TTFont(str(path), lazy=True, fontNumber=0) as font:
            cmap = font.getBestCmap() or {}
    except Exception:  # noqa: BLE001 - any unreadable file is "not a usable font"
        return False
    return all(ord(ch) in cmap for ch in NEEDED)


def _bold_beside(path: Path) -> Path | None:
    name = BOLD_NAMES.get(path.name)
    if name and (path.parent / name).is_file():
        return path.parent / name
    return None


def missing_message() -> str:
    return _("PDF reports need a TrueType font with Greek letters and none was found. Install "
             "one (Debian or Ubuntu: apt install fonts-dejavu-core; Fedora: dejavu-sans-fonts) "
             "or set KERYX_PDF_FONT to the path of a .ttf file.")


@lru_cache(maxsize=8)
def _find(configured: str) -> ReportFont:
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(_("KERYX_PDF_FONT names %(path)s, which is not a file. ")
                              % {"path": configured} + missing_message())
        if not _has_greek(path):
            raise FontMissing(_("KERYX_PDF_FONT names %(path)s, which is not a TrueType font "
                                "with Greek letters. ") % {"path": configured}
                              + missing_message())
        return ReportFont(path, _bold_beside(path))
    for candidate in SEARCH:
        path = Path(candidate)
        if path.is_file() and _has_greek(path):
            return ReportFont(path, _bold_beside(path))
    raise FontMissing(missing_message())


def report_font() -> ReportFont:
    """The font to use (settings.KERYX_PDF_FONT or the first usable one in SEARCH)."""
    return _find(getattr(settings, "KERYX_PDF_FONT", "") or "")
