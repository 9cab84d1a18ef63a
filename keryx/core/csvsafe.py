"""Every CSV Keryx writes goes through `writer()`: cells a spreadsheet would run as a formula
(starting with =, +, -, @, a tab or a carriage return) get a leading apostrophe, the OWASP
"CSV injection" defence. Spreadsheets show the text as typed; `unquote()` removes the
apostrophe again where Keryx reads its own CSV back (the bulk import)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell as text a spreadsheet will not evaluate. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def unquote(value: str) -> str:
    """The inverse for cells read back: "'=x" → "=x" (an apostrophe before other text stays)."""
    if value.startswith("'") and value[1:].startswith(TRIGGERS):
        return value[1:]
    return value


class SafeWriter:
    def __init__(self, out: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: Any, **kwargs: Any) -> SafeWriter:
    return SafeWriter(out, **kwargs)
