"""Reading bulk CSV files: bytes -> text (BOM, encoding), delimiter, rows with line numbers.

Two formats:

- hootsuite: no header; A = date and time (`dd/mm/yyyy hh:mm` or `mm/dd/yyyy hh:mm`, 24-hour,
  the user says which), B = message, C = optional link. Channels are chosen at upload.
- keryx: a header row naming the columns channels, text, time, media, alt_text, labels,
  campaign (any order; only text and time are required). Several values in one cell
  (channels, media, alt texts, labels) are separated by "|" (a literal bar is written "\\|").

Nothing here touches the database: rows come out as plain data with their problems, and the
services decide what is valid.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from keryx.core import csvsafe
from keryx.core.timeutil import InvalidLocalTime, localize, parse_local_datetime

MAX_ROWS = 10_000
MAX_BYTES = 20 * 1024 * 1024
KERYX_COLUMNS = ("channels", "text", "time", "media", "alt_text", "labels", "campaign")
DATE_FORMATS = {"dd/mm/yyyy": "%d/%m/%Y %H:%M", "mm/dd/yyyy": "%m/%d/%Y %H:%M"}


class FileRejected(ValueError):
    """The file as a whole cannot be read (not a CSV, too big, wrong header)."""


@dataclass
class Decoded:
    text: str
    encoding: str
    note: str = ""  # what was assumed, said to the user


@dataclass
class Row:
    line: int  # the physical line the record starts on (1-based)
    raw: list[str]
    text: str = ""
    when: datetime | None = None
    channel_names: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    alt_texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    campaign: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Bytes to text
# ---------------------------------------------------------------------------------------------

_GREEK = re.compile(r"[\u0370-\u03ff]")
_WORD = re.compile(r"[^\W\d_]+")


def _looks_greek(data: bytes) -> bool:
    """Windows-1253 (Greek) or Windows-1252 (Western)? The same bytes are Greek letters in one
    and accented Latin letters in the other. Greek words are made almost only of such bytes;
    Western words are mostly ASCII with an accent here and there."""
    words = _WORD.findall(data.decode("cp1253", errors="replace"))
    greek_words = sum(1 for w in words if _GREEK.search(w) and not re.search(r"[A-Za-z]", w))
    mixed_words = sum(1 for w in words if _GREEK.search(w) and re.search(r"[A-Za-z]", w))
    return greek_words > 0 and greek_words >= 2 * mixed_words


def decode(data: bytes) -> Decoded:
    """Decode honestly: UTF-8 (with or without BOM) and UTF-16 with a BOM are certain; any
    other file is a guess between Windows-1253 and Windows-1252, and the note says so."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return Decoded(data[3:].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FileRejected(_("The file starts like UTF-8 but is not valid UTF-8.")) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise FileRejected(_("The file starts like UTF-16 but is not valid UTF-16.")) from exc
    if b"\x00" in data[:4096]:
        raise FileRejected(_("This is not a text (CSV) file."))
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if _looks_greek(data):
        text = data.decode("cp1253", errors="replace")
        encoding, name = "cp1253", "Windows-1253 (Greek)"
    else:
        text = data.decode("cp1252", errors="replace")
        encoding, name = "cp1252", "Windows-1252 (Western European)"
    note = _(
        "The file is not UTF-8; Keryx read it as %(name)s. If letters look wrong in the "
        "preview, save the file as UTF-8 and upload it again."
    ) % {"name": name}
    return Decoded(text, encoding, note)


# ---------------------------------------------------------------------------------------------
# Text to records
# ---------------------------------------------------------------------------------------------


def sniff_delimiter(text: str) -> str:
    sample = text[:64 * 1024]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        counts = {d: first.count(d) for d in ",;\t"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(start line, cells) for each non-empty record; quoted newlines stay inside a cell."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    found = []
    line = 1
    try:
        for cells in reader:
            start = line
            line = reader.line_num + 1
            if any(c.strip() for c in cells):
                found.append((start, cells))
            if len(found) > MAX_ROWS + 1:
                raise FileRejected(
                    _("The file has more than %(max)s rows; split it into smaller files.")
                    % {"max": f"{MAX_ROWS:,}"}
                )
    except csv.Error as exc:
        raise FileRejected(
            _("The file is not valid CSV near line %(line)s: %(error)s")
            % {"line": line, "error": exc}
        ) from exc
    return found


def split_cell(cell: str) -> list[str]:
    """Values in one cell are separated by "|"; a literal bar is written "\\|" (and a
    backslash before a bar or a backslash as "\\\\")."""
    parts, current, i = [], [], 0
    while i < len(cell):
        char = cell[i]
        if char == "\\" and i + 1 < len(cell) and cell[i + 1] in "|\\":
            current.append(cell[i + 1])
            i += 2
            continue
        if char == "|":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current).strip())
    return parts


def join_cell(values: list[str]) -> str:
    return "|".join(v.replace("\\", "\\\\").replace("|", "\\|") for v in values)


def _split(cell: str) -> list[str]:
    return [part for part in split_cell(cell) if part]


def parse_hootsuite(records_: list[tuple[int, list[str]]], *, date_format: str,
                    tz_name: str) -> list[Row]:
    pattern = DATE_FORMATS[date_format]
    rows = []
    for line, cells in records_:
        row = Row(line=line, raw=cells)
        cells = [*cells, "", "", ""]
        stamp, message, link = cells[0].strip(), cells[1], cells[2].strip()
        if len(row.raw) > 3 and any(c.strip() for c in row.raw[3:]):
            row.warnings.append(_("Columns after C are ignored."))
        try:
            naive = datetime.strptime(stamp, pattern)
        except ValueError:
            other = next(k for k in DATE_FORMATS if k != date_format)
            hint = ""
            try:
                datetime.strptime(stamp, DATE_FORMATS[other])
                hint = " " + _("It reads as %(other)s; choose that date format.") % {
                    "other": other}
            except ValueError:
                pass
            row.errors.append(
                _("“%(value)s” is not a date and time as %(format)s hh:mm.")
                % {"value": stamp, "format": date_format} + hint
            )
        else:
            try:
                row.when = localize(naive, tz_name)
            except InvalidLocalTime as exc:
                row.errors.append(str(exc))
        row.text = message.strip()
        if link and link not in row.text:
            row.text = f"{row.text} {link}".strip()
        rows.append(row)
    return rows


def parse_keryx(records_: list[tuple[int, list[str]]], *, tz_name: str) -> list[Row]:
    if not records_:
        return []
    _line, header = records_[0]
    names = [h.strip().lower().replace(" ", "_") for h in header]
    unknown = [n for n in names if n and n not in KERYX_COLUMNS]
    missing = [n for n in ("text", "time") if n not in names]
    if missing or unknown:
        raise FileRejected(
            _("The first row must name the columns (%(columns)s); missing: %(missing)s; "
              "unknown: %(unknown)s. For Hootsuite files, choose the Hootsuite format.")
            % {"columns": ", ".join(KERYX_COLUMNS), "missing": ", ".join(missing) or "—",
               "unknown": ", ".join(unknown) or "—"}
        )
    index = {name: i for i, name in enumerate(names) if name}
    rows = []
    for line, cells in records_[1:]:
        row = Row(line=line, raw=cells)

        def cell(name: str, cells: list[str] = cells) -> str:
            i = index.get(name)
            # Our export neutralised formula-like cells ("'=…"): read them back as written.
            return csvsafe.unquote(cells[i]) if i is not None and i < len(cells) else ""

        row.text = cell("text").strip()
        row.channel_names = _split(cell("channels"))
        row.media = _split(cell("media"))
        row.alt_texts = split_cell(cell("alt_text"))
        row.labels = _split(cell("labels"))
        row.campaign = cell("campaign").strip()
        stamp = cell("time").strip()
        try:
            row.when = parse_time(stamp, tz_name)
        except InvalidLocalTime as exc:
            row.errors.append(str(exc))
        rows.append(row)
    return rows


def parse_time(value: str, tz_name: str) -> datetime:
    """ISO 8601 with an offset ("2026-05-01T09:00+03:00"), or a wall-clock time followed by a
    zone name ("2026-05-01 09:00 Europe/Athens"), or a bare time (the workspace's zone)."""
    parts = value.rsplit(" ", 1)
    if len(parts) == 2 and ("/" in parts[1] or parts[1] == "UTC"):
        return parse_local_datetime(parts[0], parts[1])
    return parse_local_datetime(value, tz_name)
