"""Reading the ad managers' spend exports: text decoding, delimiters, dates and amounts in
other locales. Pure functions, no database: keryx.strategy.spend_import stores what they give.

Locale quirks handled: a byte-order mark (UTF-8 or UTF-16), `;` or tab delimiters, decimal
commas ("1.234,56"), thousands separators, currency symbols or codes in the amount ("€12,50",
"$3.20", "12.50 EUR"), Greek month names ("3 Δεκ 2026", "3 Δεκεμβρίου 2026"), English ones
("Dec 3, 2026"), ISO dates, day/month/year and month/day/year (decided per file), and a date
range ("2026-12-01 - 2026-12-07": its first day)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₺": "TRY", "zł": "PLN"}
ENGLISH_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                  "dec")
# Accent-free prefixes: the nominative ("Δεκέμβριος"), the genitive ("Δεκεμβρίου") and the
# short forms ("Δεκ", "Μαΐ") all start with them. Ιούνιος/Ιούλιος need four letters.
GREEK_MONTHS = (("ιαν", 1), ("φεβ", 2), ("μαρ", 3), ("απρ", 4), ("μαι", 5), ("μαη", 5),
                ("ιουν", 6), ("ιουλ", 7), ("αυγ", 8), ("σεπ", 9), ("οκτ", 10), ("νοε", 11),
                ("δεκ", 12))


class ParseError(ValueError):
    """A value not understood; the message says why (shown beside the row's line)."""


def decode(data: bytes) -> str:
    """The file's text: UTF-16 or UTF-8 (a BOM dropped), else Windows Greek / Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1253")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def delimiter(text: str) -> str:
    """`,`, `;` or tab: the one most used on the first lines outside quotes."""
    sample = [line for line in text.splitlines()[:20] if line.strip()]
    best, count = ",", -1
    for candidate in (",", ";", "\t"):
        found = sum(len(row) - 1 for row in csv.reader(io.StringIO("\n".join(sample)),
                                                       delimiter=candidate) if row)
        if found > count:
            best, count = candidate, found
    return best


def plain(text: str) -> str:
    """Lower case, no accents or diaeresis, spaces collapsed: for matching names."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def header_key(text: str) -> str:
    return plain(text.replace("\ufeff", "").strip().strip('"'))


def _month(word: str) -> int | None:
    word = plain(word)
    for number, prefix in enumerate(ENGLISH_MONTHS, 1):
        if word.startswith(prefix):
            return number
    for prefix, number in GREEK_MONTHS:
        if word.startswith(prefix):
            return number
    return None


@dataclass(frozen=True)
class DateOrder:
    """How the file writes numeric dates: day first (3/12/2026) or month first (12/3/2026)."""

    day_first: bool


NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})$")
ISO_DATE = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})")


def _first_of_range(value: str) -> str:
    value = value.strip()
    # "2026-12-01 - 2026-12-07", "Dec 1, 2026 – Dec 7, 2026": the start.
    parts = re.split(r"\s+[-–—]\s+|\s+to\s+|\s+έως\s+", value, maxsplit=1)
    return parts[0].strip()


def _first_word(text: str) -> str:
    """"12/3/2026, 12:00 AM" -> "12/3/2026"."""
    return re.split(r"[\s,]+", text.strip(), maxsplit=1)[0]


def guess_date_order(values: list[str], default_day_first: bool) -> DateOrder:
    """Month first when a value's second number is above 12, day first when its first is;
    otherwise the format's habit."""
    for value in values:
        match = NUMERIC_DATE.match(_first_word(_first_of_range(value)))
        if match:
            first, second = int(match[1]), int(match[2])
            if first > 12 >= second:
                return DateOrder(True)
            if second > 12 >= first:
                return DateOrder(False)
    return DateOrder(default_day_first)


def parse_date(value: str, order: DateOrder) -> date:
    text = _first_of_range(value)
    if not text:
        raise ParseError("no date")
    try:
        iso = ISO_DATE.match(text)
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        numeric = NUMERIC_DATE.match(_first_word(text))
        if numeric:
            a, b, year = int(numeric[1]), int(numeric[2]), int(numeric[3])
            year += 2000 if year < 100 else 0
            day, month = (a, b) if order.day_first else (b, a)
            return date(year, month, day)
        words = re.findall(r"\d+|[^\W\d_]+", text)
        month = next((m for w in words if not w.isdigit() and (m := _month(w))), None)
        numbers = [int(w) for w in words if w.isdigit()]
        years = [n for n in numbers if n >= 1900]
        days = [n for n in numbers if 1 <= n <= 31]
        if month and years and days:
            return date(years[0], month, days[0])
    except ValueError as exc:
        raise ParseError(f"not a real date: {value!r}") from exc
    raise ParseError(f"date not understood: {value!r}")


def _currency_in(text: str) -> tuple[str, str | None]:
    """The amount without its currency, and the currency named by a symbol or code."""
    found = None
    for symbol, code in SYMBOLS.items():
        if symbol in text:
            text, found = text.replace(symbol, ""), code
    code = re.search(r"\b([A-Z]{3})\b", text)
    if code:
        text, found = text.replace(code[1], ""), code[1]
    return text, found


def parse_amount(value: str, decimal_comma: bool = False) -> tuple[Decimal, str | None]:
    """A Decimal and the currency named in the value (None when none). `decimal_comma`: the
    file writes decimals with a comma, so a lone "1,234" is 1.234 and "1.234" is 1234."""
    text, currency = _currency_in(value.strip())
    text = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    text = text.strip("-()+")
    if not text:
        raise ParseError("no amount")
    if not re.fullmatch(r"[\d.,]+", text):
        raise ParseError(f"amount not understood: {value!r}")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
    elif "," in text:
        single = text.count(",") == 1 and len(text.rsplit(",", 1)[1]) != 3
        decimal_mark = "," if single or (decimal_comma and text.count(",") == 1) else ""
    elif "." in text:
        single = text.count(".") == 1 and len(text.rsplit(".", 1)[1]) != 3
        decimal_mark = "." if single or (not decimal_comma and text.count(".") == 1) else ""
    else:
        decimal_mark = ""
    thousands = {",", "."} - {decimal_mark}
    for mark in thousands:
        text = text.replace(mark, "")
    if decimal_mark == ",":
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ParseError(f"amount not understood: {value!r}") from exc
    if negative:
        raise ParseError(f"negative amount: {value!r}")
    return amount, currency


def uses_decimal_comma(values: list[str], delimiter_used: str) -> bool:
    """Whether the file writes decimals with a comma: an amount like "12,50" or "1.234,56"
    says so; otherwise a `;`-delimited file (what spreadsheets in such locales write)."""
    for value in values:
        text = _currency_in(value)[0].replace(" ", "")
        if re.search(r"\d,\d{1,2}$", text) or re.search(r"\.\d{3},\d+$", text):
            return True
        if re.search(r"\d\.\d{1,2}$", text) or re.search(r",\d{3}\.\d+$", text):
            return False
    return delimiter_used == ";"


def parse_count(value: str, decimal_comma: bool) -> int | None:
    """A results count; None when empty or a dash (the export has none)."""
    text = value.strip()
    if text in {"", "-", "—", "–", "n/a", "N/A"}:
        return None
    amount, _currency = parse_amount(text, decimal_comma)
    if amount != amount.to_integral_value():
        raise ParseError(f"results must be a whole number: {value!r}")
    return int(amount)


def same_currency(symbol: str, code: str) -> bool:
    """Whether a symbol found in an amount agrees with the stated code: "$" is any dollar
    (USD, CAD, AUD…), the others are their one currency."""
    return code.endswith("D") if symbol == "USD" else symbol == code


def currency_code(value: str) -> str:
    code = value.strip().upper()
    code = SYMBOLS.get(code, code)
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ParseError(f"currency is not an ISO code: {value!r}")
    return code
