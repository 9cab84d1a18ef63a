"""Spend CSV import: each ad manager's export with ugly inputs (decimal commas, currency
symbols, Greek month names, a BOM, semicolons, UTF-16, preamble lines), rows not understood
reported with their line numbers while the rest is kept, idempotent re-import, campaigns
matched by name and kept linked after a rename."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from keryx.planner.models import Campaign
from keryx.strategy import spend_import
from keryx.strategy.models import SpendEntry, SpendImport
from keryx.strategy.spend_parse import DateOrder, ParseError, parse_amount, parse_date

META = (
    "\ufeffReporting starts;Reporting ends;Campaign name;Results;Result indicator;"
    "Amount spent (EUR)\n"
    "2026-12-01;2026-12-31;Χειμερινές εκπτώσεις;1.234;likes;1.234,56\n"
    "3 Δεκ 2026;3 Δεκ 2026;Launch;12;likes;€12,50\n"
    "4 Δεκεμβρίου 2026;4 Δεκεμβρίου 2026;Launch;;likes;7,5\n"
    "yesterday;;Launch;1;likes;3,00\n"
    "2026-12-05;2026-12-05;Launch;2;likes;-4,00\n"
    "2026-12-06;2026-12-06;;2;likes;4,00\n"
)
LINKEDIN = (
    "Campaign Performance Report (in UTC)\n"
    "Report Start: 12/1/2026, 12:00 AM\n"
    "\n"
    "Start Date (in UTC),Campaign Name,Campaign ID,Currency,Total Spent,Impressions,Clicks\n"
    '12/3/2026,B2B leads,123,USD,"1,250.40","10,000",321\n'
    "12/14/2026,B2B leads,123,USD,$3.20,10,2\n"
    "12/15/2026,B2B leads,123,US dollars,3.20,10,2\n"
)
X_ADS = (
    "Time period\tCampaign name\tSpend\tCurrency\tResults\n"
    "Dec 01, 2026 - Dec 07, 2026\tLaunch\t99.99\tEUR\t50\n"
    "Dec 08, 2026 - Dec 14, 2026\tLaunch\tabc\tEUR\t5\n"
)
KERYX = (
    "date,campaign,category,amount,currency,results\n"
    "2026-12-02,,tools,29.00,EUR,\n"
    "2026-12-02,Launch,influencer fees,300,EUR,\n"
    "2026-12-02,Launch,ads,10,EUR,4\n"
    "2026-12-02,Launch,ads,10,EUR,4\n"
    "2026-12-03,Launch,catering,10,EUR,\n"
    "2026-12-03,Launch,ads,10,,\n"
)


def test_amounts_and_dates_in_other_locales():
    assert parse_amount("1.234,56") == (Decimal("1234.56"), None)
    assert parse_amount("€12,50") == (Decimal("12.50"), "EUR")
    assert parse_amount("$3.20") == (Decimal("3.20"), "USD")
    assert parse_amount("1 234,50 EUR", decimal_comma=True) == (Decimal("1234.50"), "EUR")
    assert parse_amount("1,234.5") == (Decimal("1234.5"), None)
    # A lone "1.234" is a thousand in a decimal-comma file, a decimal elsewhere.
    assert parse_amount("1.234", decimal_comma=True)[0] == Decimal("1234")
    with pytest.raises(ParseError, match="negative"):
        parse_amount("-5")
    with pytest.raises(ParseError, match="not understood"):
        parse_amount("12abc")
    day_first = DateOrder(True)
    assert parse_date("3 Δεκ 2026", day_first) == date(2026, 12, 3)
    assert parse_date("3 Δεκεμβρίου 2026", day_first) == date(2026, 12, 3)
    assert parse_date("1 Μαΐου 2026", day_first) == date(2026, 5, 1)
    assert parse_date("15 Ιουνίου 2026", day_first) == date(2026, 6, 15)
    assert parse_date("15 Ιουλ 2026", day_first) == date(2026, 7, 15)
    assert parse_date("Dec 3, 2026", day_first) == date(2026, 12, 3)
    assert parse_date("03.12.2026", day_first) == date(2026, 12, 3)
    assert parse_date("12/3/2026", DateOrder(False)) == date(2026, 12, 3)
    with pytest.raises(ParseError, match="not a real date"):
        parse_date("31/02/2026", day_first)
    with pytest.raises(ParseError, match="not understood"):
        parse_date("soon", day_first)


def test_meta_export_with_bom_semicolons_and_bad_rows(people):
    launch = Campaign.objects.create(workspace=people.acme, name="launch")
    batch = spend_import.import_spend(people.acme, META.encode(), filename="meta.csv")
    assert batch.source == "meta"
    assert batch.accepted == 3
    assert [(r["line"], r["reason"].split(":")[0]) for r in batch.rejected] == [
        (5, "date not understood"), (6, "negative amount"), (7, "no campaign name")]
    rows = {(e.date, e.campaign_name_as_imported): e for e in SpendEntry.objects.all()}
    winter = rows[(date(2026, 12, 1), "Χειμερινές εκπτώσεις")]
    assert (winter.amount, winter.currency, winter.results) == (Decimal("1234.56"), "EUR", 1234)
    assert winter.campaign is None  # no such campaign in Keryx: kept by name
    first = rows[(date(2026, 12, 3), "Launch")]
    assert (first.amount, first.currency, first.results) == (Decimal("12.50"), "EUR", 12)
    assert first.campaign == launch  # matched whatever the case
    assert rows[(date(2026, 12, 4), "Launch")].amount == Decimal("7.50")
    assert rows[(date(2026, 12, 4), "Launch")].results is None


def test_linkedin_export_with_preamble_and_month_first_dates(people):
    batch = spend_import.import_spend(people.acme, LINKEDIN.encode("utf-16"), fmt="linkedin")
    assert batch.accepted == 2
    [bad] = batch.rejected
    assert bad["line"] == 7 and "ISO code" in bad["reason"]
    entries = list(SpendEntry.objects.order_by("date"))
    assert [(e.date, e.amount, e.currency, e.results) for e in entries] == [
        (date(2026, 12, 3), Decimal("1250.40"), "USD", 321),
        (date(2026, 12, 14), Decimal("3.20"), "USD", 2)]


def test_x_export_detected_from_its_headers(people):
    batch = spend_import.import_spend(people.acme, X_ADS.encode())
    assert batch.source == "x" and batch.accepted == 1
    assert batch.rejected[0]["line"] == 3
    entry = SpendEntry.objects.get()
    assert (entry.date, entry.amount, entry.results) == (date(2026, 12, 1), Decimal("99.99"), 50)


def test_keryx_format_categories_and_identical_rows_kept(people):
    batch = spend_import.import_spend(people.acme, KERYX.encode(), fmt="keryx")
    # Two identical rows in one file are two payments: both kept.
    assert batch.accepted == 4
    assert [(r["line"], r["reason"].split(" ")[0]) for r in batch.rejected] == [
        (6, "unknown"), (7, "no")]
    assert sorted(SpendEntry.objects.values_list("category", flat=True)) == [
        "ads", "ads", "influencers", "tools"]


def test_reimport_adds_nothing_and_keeps_what_was_accepted(people):
    first = spend_import.import_spend(people.acme, KERYX.encode())
    again = spend_import.import_spend(people.acme, KERYX.encode())
    assert (first.accepted, again.accepted, again.duplicates) == (4, 0, 4)
    assert SpendEntry.objects.count() == 4
    assert sum(SpendEntry.objects.values_list("amount", flat=True)) == Decimal("349.00")
    # The same rows in another workspace are that workspace's own spend.
    other = spend_import.import_spend(people.globex, KERYX.encode())
    assert other.accepted == 4
    assert SpendImport.objects.filter(workspace=people.acme).count() == 2


def test_renamed_campaign_stays_linked(people):
    launch = Campaign.objects.create(workspace=people.acme, name="Launch")
    spend_import.import_spend(people.acme, X_ADS.encode())
    launch.name = "Launch 2027"
    launch.save()
    entry = SpendEntry.objects.get()
    assert entry.campaign == launch and entry.campaign_name_as_imported == "Launch"
    # A later export still naming it "Launch" lands on the renamed campaign too.
    later = X_ADS.replace("Dec 01, 2026 - Dec 07, 2026", "Dec 15, 2026 - Dec 21, 2026")
    assert spend_import.import_spend(people.acme, later.encode()).accepted == 1
    assert set(SpendEntry.objects.values_list("campaign_id", flat=True)) == {launch.pk}


def test_currency_symbol_that_contradicts_the_currency_column(people):
    data = ("Start Date (in UTC),Campaign Name,Currency,Total Spent,Clicks\n"
            "\"12/3/2026, 12:00 AM\",B2B,EUR,$3.20,1\n"
            "12/4/2026,B2B,CAD,$3.20,1\n"
            "12/5/2026,B2B,USD,€3.20,1\n"
            "12/6/2026,B2B,Eur,€3.20,1\n")
    batch = spend_import.import_spend(people.acme, data.encode())
    assert batch.source == "linkedin"
    assert [(r["line"], r["reason"]) for r in batch.rejected] == [
        (2, "the amount is in USD but the currency is EUR"),
        (4, "the amount is in EUR but the currency is USD")]
    assert sorted(SpendEntry.objects.values_list("date", "currency")) == [
        (date(2026, 12, 4), "CAD"), (date(2026, 12, 6), "EUR")]


def test_a_file_that_is_no_export_is_refused_whole(people):
    huge = "date,campaign,category,amount,currency,results\n\"" + "x" * 200_000 + "\"\n"
    with pytest.raises(spend_import.SpendImportError, match="cannot be read as CSV"):
        spend_import.import_spend(people.acme, huge.encode())
    with pytest.raises(spend_import.SpendImportError, match="No header"):
        spend_import.import_spend(people.acme, bytes(range(256)) * 10)
    with pytest.raises(spend_import.SpendImportError, match="No header"):
        spend_import.import_spend(people.acme, b"name,email\nx,y\n")
    with pytest.raises(spend_import.SpendImportError, match="No header of a meta export"):
        spend_import.import_spend(people.acme, LINKEDIN.encode(), fmt="meta")
    with pytest.raises(spend_import.SpendImportError, match="Unknown format"):
        spend_import.import_spend(people.acme, KERYX.encode(), fmt="tiktok")
    assert not SpendEntry.objects.exists()
