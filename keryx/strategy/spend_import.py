"""Spend imported from the ad managers' CSV exports (Meta Ads Manager, LinkedIn Campaign
Manager, X Ads) and from Keryx's own CSV: map the columns, keep every row understood, report
every other one with its line number and the reason.

Idempotent: each row gets a fingerprint (source, date, campaign name as imported, amount,
currency, results, category, and how many identical rows came before it in the file), unique
per workspace, so importing the same file again adds nothing. Campaigns are matched by name to
the workspace's campaigns (and by names imported before, so spend stays with a campaign that
was renamed); the link is a foreign key, so renaming later keeps it.

The column names are what the exports are understood to use (docs/strategy.md says which were
checked and which assumed); matching ignores case, accents and extra spaces."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction

from keryx.core.models import Workspace
from keryx.planner.models import Campaign
from keryx.strategy import budgets
from keryx.strategy.models import Category, Source, SpendEntry, SpendImport
from keryx.strategy.spend_parse import (
    DateOrder,
    ParseError,
    currency_code,
    decode,
    delimiter,
    guess_date_order,
    header_key,
    parse_amount,
    parse_count,
    parse_date,
    plain,
    same_currency,
    uses_decimal_comma,
)

MAX_BYTES = 5 * 1024 * 1024
# A header is looked for on the first lines: LinkedIn's exports start with report details.
HEADER_SEARCH_LINES = 15
CENT = Decimal("0.01")


class SpendImportError(ValueError):
    """The file as a whole cannot be imported (no known header, too big, unknown format)."""


@dataclass(frozen=True)
class Layout:
    """Where one export keeps each value. Names are header_key()s; `amount` may be a regex
    whose group 1 is the currency ("amount spent (eur)")."""

    source: str
    date: tuple[str, ...]
    campaign: tuple[str, ...]
    amount: tuple[str, ...]
    currency: tuple[str, ...] = ("currency", "νομισμα")
    results: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    # Numeric dates: day first unless the file shows otherwise (US exports: month first).
    day_first: bool = True
    # What the format needs beyond date, campaign and amount, to tell it from the others.
    marks: tuple[str, ...] = ()


LAYOUTS = {
    Source.KERYX: Layout(
        Source.KERYX, date=("date",), campaign=("campaign",), amount=("amount",),
        results=("results",), category=("category",), marks=("category",)),
    Source.META: Layout(
        Source.META, date=("reporting starts", "day", "date", "εναρξη αναφορας"),
        campaign=("campaign name", "ονομα καμπανιας"),
        amount=(r"amount spent \((\w{3})\)", "amount spent",
                r"ποσο που δαπανηθηκε \((\w{3})\)", "ποσο που δαπανηθηκε"),
        results=("results", "αποτελεσματα")),
    Source.LINKEDIN: Layout(
        Source.LINKEDIN, date=("start date (in utc)", "start date", "date"),
        campaign=("campaign name", "campaign"), amount=("total spent",),
        results=("clicks",), day_first=False),
    Source.X: Layout(
        Source.X, date=("time period", "date", "day"), campaign=("campaign name", "campaign"),
        amount=(r"spend \((\w{3})\)", "spend"), results=("results", "engagements"),
        day_first=False),
}


@dataclass
class Columns:
    date: int
    campaign: int
    amount: int
    amount_currency: str | None
    currency: int | None
    results: int | None
    category: int | None


def _find(keys: list[str], names: tuple[str, ...]) -> tuple[int, str | None] | None:
    for name in names:
        for i, key in enumerate(keys):
            if key == name:  # a literal name, parentheses and all
                return i, None
            match = re.fullmatch(name, key) if "\\" in name else None
            if match:
                return i, (match.group(1).upper() if match.groups() else None)
    return None


def _columns(layout: Layout, keys: list[str]) -> Columns | None:
    found = [_find(keys, names) for names in (layout.date, layout.campaign, layout.amount)]
    if any(f is None for f in found) or any(_find(keys, (m,)) is None for m in layout.marks):
        return None
    (d, _), (c, _), (a, code) = found  # type: ignore[misc]

    def optional(names: tuple[str, ...]) -> int | None:
        hit = _find(keys, names) if names else None
        return hit[0] if hit else None

    return Columns(d, c, a, code, optional(layout.currency), optional(layout.results),
                   optional(layout.category))


@dataclass
class Rejected:
    line: int
    reason: str
    row: str

    def json(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason, "row": self.row}


@dataclass
class Parsed:
    """The rows understood and the ones not, before anything is stored."""

    source: str
    header_line: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


# The keys, the English labels and the Greek ones, as plain() writes them.
CATEGORY_NAMES = {plain(value): value for value in Category.values} | {
    "content production": Category.CONTENT, "influencer fees": Category.INFLUENCERS,
    "influencer": Category.INFLUENCERS, "tool": Category.TOOLS, "ad": Category.ADS,
    "διαφημισεις": Category.ADS, "εργαλεια": Category.TOOLS,
    "παραγωγη περιεχομενου": Category.CONTENT, "αμοιβες influencers": Category.INFLUENCERS}


def parse(data: bytes, fmt: str | None = None) -> Parsed:
    """The file's rows mapped to date, campaign, category, amount, currency, results."""
    if len(data) > MAX_BYTES:
        raise SpendImportError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if fmt and fmt not in LAYOUTS:
        raise SpendImportError(f"Unknown format {fmt!r}; one of: {', '.join(LAYOUTS)}.")
    text = decode(data)
    try:
        return _parse(text, fmt)
    except csv.Error as exc:
        raise SpendImportError(f"The file cannot be read as CSV: {exc}.") from exc


def _parse(text: str, fmt: str | None) -> Parsed:
    sep = delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    layouts = [LAYOUTS[fmt]] if fmt else list(LAYOUTS.values())
    header: tuple[Layout, Columns, int] | None = None
    seen: list[str] = []
    for row in reader:
        if reader.line_num > HEADER_SEARCH_LINES:
            break
        keys = [header_key(cell) for cell in row]
        if not any(keys):
            continue
        seen = [cell.strip() for cell in row if cell.strip()]
        for layout in layouts:
            columns = _columns(layout, keys)
            if columns is not None:
                header = (layout, columns, reader.line_num)
                break
        if header:
            break
    if header is None:
        wanted = f"a {fmt} export" if fmt else "a Meta, LinkedIn, X or Keryx export"
        raise SpendImportError(
            f"No header of {wanted} found on the first {HEADER_SEARCH_LINES} lines"
            + (f" (last columns read: {', '.join(seen[:8])})." if seen else "."))
    layout, columns, header_line = header
    raw = [(reader.line_num, row) for row in reader]
    amounts = [r[columns.amount] for _n, r in raw if len(r) > columns.amount]
    decimal_comma = uses_decimal_comma(amounts, sep)
    order = guess_date_order([r[columns.date] for _n, r in raw if len(r) > columns.date],
                             layout.day_first)
    parsed = Parsed(layout.source, header_line)
    for line, row in raw:
        if not any(cell.strip() for cell in row):
            continue
        try:
            parsed.rows.append(_row(layout, columns, row, decimal_comma, order) | {"line": line})
        except ParseError as exc:
            parsed.rejected.append(Rejected(line, str(exc), sep.join(row)[:300]))
    return parsed


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _row(layout: Layout, columns: Columns, row: list[str], decimal_comma: bool,
         order: DateOrder) -> dict[str, Any]:
    if len(row) <= max(columns.date, columns.campaign, columns.amount):
        raise ParseError(f"too few columns ({len(row)})")
    day = parse_date(_cell(row, columns.date), order)
    campaign = _cell(row, columns.campaign)
    if not campaign and layout.source != Source.KERYX:
        raise ParseError("no campaign name")
    amount, symbol = parse_amount(_cell(row, columns.amount), decimal_comma)
    stated = _cell(row, columns.currency)
    currency = currency_code(stated) if stated else (columns.amount_currency or symbol)
    if not currency:
        raise ParseError("no currency: neither a currency column, nor one in the amount")
    if symbol and not same_currency(symbol, currency):
        raise ParseError(f"the amount is in {symbol} but the currency is {currency}")
    category = Category.ADS
    if columns.category is not None:
        named = _cell(row, columns.category)
        if named:
            category = CATEGORY_NAMES.get(plain(named))
            if category is None:
                raise ParseError(f"unknown category {named!r}; one of: "
                                 + ", ".join(Category.values))
    results = parse_count(_cell(row, columns.results), decimal_comma) \
        if columns.results is not None else None
    return {"date": day, "campaign": campaign[:300], "amount": amount.quantize(CENT, ROUND_HALF_UP),
            "currency": currency, "results": results, "category": category}


def _fingerprint(source: str, row: dict[str, Any], occurrence: int) -> str:
    key = "|".join(str(x) for x in (source, row["date"].isoformat(), plain(row["campaign"]),
                                    row["amount"], row["currency"], row["results"],
                                    row["category"], occurrence))
    return hashlib.sha256(key.encode()).hexdigest()


def _campaigns(workspace: Workspace) -> dict[str, int]:
    """Plain name -> campaign id: names imported before (a campaign since renamed), then
    today's names, which win."""
    known = {plain(name): pk for name, pk in SpendEntry.objects.filter(
        workspace=workspace, campaign__isnull=False).exclude(campaign_name_as_imported="")
        .order_by("pk").values_list("campaign_name_as_imported", "campaign_id")}
    for pk, name in Campaign.objects.filter(workspace=workspace).order_by("-pk") \
            .values_list("pk", "name"):
        known[plain(name)] = pk
    return known


def import_spend(workspace: Workspace, data: bytes, *, fmt: str | None = None,
                 filename: str = "", user: Any = None) -> SpendImport:
    """Parse and store: the batch says how many rows were accepted, how many were there
    already (a re-import), and each rejected row with its line number and reason."""
    parsed = parse(data, fmt)
    campaigns = _campaigns(workspace)
    occurrences: Counter[tuple[Any, ...]] = Counter()
    with transaction.atomic():
        batch = SpendImport.objects.create(
            workspace=workspace, source=parsed.source, filename=filename[:255],
            rejected=[r.json() for r in parsed.rejected], created_by=user)
        entries = []
        for row in parsed.rows:
            key = tuple(row[k] for k in ("date", "campaign", "amount", "currency", "results",
                                         "category"))
            occurrences[key] += 1
            entries.append(SpendEntry(
                workspace=workspace, date=row["date"],
                campaign_id=campaigns.get(plain(row["campaign"])) if row["campaign"] else None,
                campaign_name_as_imported=row["campaign"], category=row["category"],
                amount=row["amount"], currency=row["currency"], results=row["results"],
                source=parsed.source, batch=batch, created_by=user,
                fingerprint=_fingerprint(parsed.source, row, occurrences[key])))
        # A row already imported (same fingerprint) is skipped, also when another import of
        # the same file commits at the same moment.
        SpendEntry.objects.bulk_create(entries, ignore_conflicts=True)
        batch.accepted = SpendEntry.objects.filter(batch=batch).count()
        batch.duplicates = len(entries) - batch.accepted
        batch.save(update_fields=["accepted", "duplicates"])
    if batch.accepted:
        budgets.check_alerts(workspace)
    return batch
