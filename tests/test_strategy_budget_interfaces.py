"""The budgets page, the API and the CLI: permissions (viewers read, editors change),
workspace isolation, an upload with its page of rejected rows, `keryx budgets list --json`
and `keryx spend import`, in English and Greek."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from keryx.planner.models import Campaign
from keryx.strategy import budgets
from keryx.strategy.models import Budget, SpendEntry, SpendImport
from tests.api_support import API, Caller

CSV = ("date;campaign;category;amount;currency;results\n"
       "2026-12-02;Launch;ads;€1.234,50;EUR;12\n"
       "2026-12-03;Launch;ads;twelve;EUR;\n").encode("utf-8-sig")


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


def _browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_page_lists_budgets_with_progress_and_costs(people):
    budget = budgets.create_budget(people.acme, category="ads", amount="200", currency="EUR",
                                   month="2026-12", note="<b>winter</b>")
    budgets.add_spend(people.acme, day="2026-12-05", amount="170", currency="EUR",
                      category="ads")
    page = _browser(people.charlie).get(reverse("strategy:budgets") + "?from=2026-12-01"
                                        "&until=2026-12-31")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="85"' in html and "85.0" in html and "nearly spent" in html
    assert "&lt;b&gt;winter&lt;/b&gt;" in html  # the note is escaped
    assert "spend ÷ likes" in html  # each figure's formula is named
    assert 'id="add-budget"' not in html  # a viewer sees, does not change
    assert reverse("strategy:budgets") in _browser(people.alice).get(
        reverse("strategy:page")).content.decode()
    from django.conf import settings

    browser = _browser(people.alice)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    greek = browser.get(reverse("strategy:budgets")).content.decode()
    assert "Προϋπολογισμοί και δαπάνες" in greek and "Κόστος ανά «Μου αρέσει»" in greek
    assert "Διαφημίσεις" in greek and "σχεδόν εξαντλήθηκε" in greek
    assert Budget.objects.filter(pk=budget.pk).exists()


def test_forms_add_budget_and_spend_and_refuse_bad_input(people):
    alice = _browser(people.alice)
    made = alice.post(reverse("strategy:budget_add"), {
        "category": "tools", "month": "2026-12", "amount": "49,90", "currency": "eur"})
    assert made.status_code == 302
    assert Budget.objects.get(workspace=people.acme).amount == Decimal("49.90")
    bad = alice.post(reverse("strategy:spend_add"), {
        "date": "2026-12-01", "category": "tools", "amount": "-1", "currency": "EUR"})
    assert bad.status_code == 400 and "zero or more" in bad.content.decode()
    good = alice.post(reverse("strategy:spend_add"), {
        "date": "2026-12-01", "category": "tools", "amount": "49.90", "currency": "EUR"})
    assert good.status_code == 302
    assert SpendEntry.objects.get(workspace=people.acme).amount == Decimal("49.90")
    # A viewer may not change anything.
    charlie = _browser(people.charlie)
    assert charlie.post(reverse("strategy:budget_add"), {
        "category": "tools", "month": "2026-12", "amount": "1", "currency": "EUR"}
    ).status_code == 403
    entry = SpendEntry.objects.get()
    assert charlie.post(reverse("strategy:spend_delete", args=[entry.pk])).status_code == 403
    # Another workspace's owner cannot see or delete it.
    bob = _browser(people.bob)
    assert bob.post(reverse("strategy:spend_delete", args=[entry.pk])).status_code == 404
    assert SpendEntry.objects.filter(pk=entry.pk).exists()
    assert alice.post(reverse("strategy:spend_delete", args=[entry.pk])).status_code == 302
    assert not SpendEntry.objects.exists()


def test_upload_shows_the_rows_not_understood(people):
    Campaign.objects.create(workspace=people.acme, name="Launch")
    alice = _browser(people.alice)
    upload = io.BytesIO(CSV)
    upload.name = "spend.csv"
    answer = alice.post(reverse("strategy:spend_upload"), {"file": upload, "format": ""})
    assert answer.status_code == 302
    batch = SpendImport.objects.get()
    page = alice.get(answer["Location"]).content.decode()
    assert "1 rows accepted" in page and "twelve" in page
    assert "<td>3</td>" in page  # the line number of the bad row
    assert SpendEntry.objects.get().amount == Decimal("1234.50")
    # Someone else's import result is not found.
    assert _browser(people.bob).get(reverse("strategy:spend_import", args=[batch.pk])
                                    ).status_code == 404
    junk = io.BytesIO(b"hello,world\n1,2\n")
    junk.name = "junk.csv"
    refused = alice.post(reverse("strategy:spend_upload"), {"file": junk})
    assert refused.status_code == 400 and "No header" in refused.content.decode()


def test_api_budgets_spend_import_and_costs(people):
    alice, bob, viewer = Caller(people.alice), Caller(people.bob), Caller(people.charlie)
    ws = people.acme.pk
    made = alice.post("/strategy/budgets", {"workspace": ws, "category": "ads",
                                            "amount": "100", "currency": "EUR",
                                            "month": "2026-12"})
    assert made.status_code == 201, made.content
    budget_id = made.json()["id"]
    refused = alice.post("/strategy/budgets", {"workspace": ws, "category": "ads",
                                               "amount": "100", "currency": "EU1",
                                               "month": "2026-12"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "budget_refused"
    spent = alice.post("/strategy/spend", {"workspace": ws, "date": "2026-12-03",
                                           "amount": "85.5", "currency": "EUR",
                                           "category": "ads", "results": 10})
    assert spent.status_code == 201, spent.content
    [row] = alice.get("/strategy/budgets", workspace=ws).json()
    assert (row["spent"], row["percent"], row["alerts_sent"]) == ("85.50", 85.5, [80])
    upload = io.BytesIO(CSV)
    upload.name = "spend.csv"
    imported = alice.client.post(API + "/strategy/spend/import",
                                 {"file": upload, "workspace": str(ws), "format": "keryx"},
                                 headers=alice._headers())
    assert imported.status_code == 201, imported.content
    assert imported.json()["accepted"] == 1
    assert imported.json()["rejected"][0]["line"] == 3
    assert len(alice.get("/strategy/spend", workspace=ws).json()) == 2
    [cost] = alice.get("/strategy/costs", workspace=ws, **{"from": "2026-12-01",
                                                           "until": "2026-12-31"}).json()
    figures = {f["figure"]: f for f in cost["figures"]}
    assert cost["spend"] == "1320.00"
    assert figures["cost_per_ad_result"]["value"] == "60.00"  # 1320 ÷ (10 + 12)
    assert figures["cost_per_like"]["value"] is None  # no posts: unknown
    assert alice.client.patch(API + f"/strategy/budgets/{budget_id}?workspace={ws}",
                              json.dumps({"amount": "2000"}), content_type="application/json",
                              headers=alice._headers()).json()["percent"] == 66.0
    # Isolation and permissions.
    assert bob.get(f"/strategy/budgets/{budget_id}", workspace=ws).status_code in (403, 404)
    assert bob.get("/strategy/budgets").json() == []
    assert viewer.get("/strategy/budgets", workspace=ws).status_code == 200
    assert viewer.post("/strategy/spend", {"workspace": ws, "date": "2026-12-03",
                                           "amount": "1", "currency": "EUR",
                                           "category": "ads"}).status_code == 403
    gone = alice.client.delete(API + f"/strategy/budgets/{budget_id}?workspace={ws}",
                               headers=alice._headers())
    assert gone.status_code == 204


def test_cli_budgets_list_json_and_spend_import(people, tmp_path):
    budgets.create_budget(people.acme, category="ads", amount="1000", currency="EUR",
                          month="2026-12")
    path = tmp_path / "spend.csv"
    path.write_bytes(CSV)
    args = ("--user", "alice@example.com", "--workspace", str(people.acme.pk))
    out = io.StringIO()
    call_command("spend", "import", str(path), "--format", "keryx", "--json", *args,
                 stdout=out)
    result = json.loads(out.getvalue())
    assert (result["accepted"], result["rejected"][0]["line"]) == (1, 3)
    out = io.StringIO()
    call_command("spend", "import", str(path), *args, stdout=out)
    assert "0 rows accepted, 1 already imported, 1 not understood" in out.getvalue()
    assert "line 3:" in out.getvalue()
    out = io.StringIO()
    call_command("budgets", "list", "--json", *args, stdout=out)
    [row] = json.loads(out.getvalue())
    assert {k: row[k] for k in ("category", "month", "amount", "currency", "spent",
                                "remaining", "percent")} == {
        "category": "ads", "month": "2026-12", "amount": "1000.00", "currency": "EUR",
        "spent": "1234.50", "remaining": "-234.50", "percent": 123.5}
    assert row["alerts_sent"] == [80, 100]
    with pytest.raises(CommandError, match="No header"):
        junk = tmp_path / "junk.csv"
        junk.write_bytes(b"a,b\n1,2\n")
        call_command("spend", "import", str(junk), *args)
    with pytest.raises(CommandError):
        call_command("spend", "import", str(path), "--user", "charlie@example.com",
                     "--workspace", str(people.acme.pk))
    out = io.StringIO()
    call_command("budgets", "list", "--json", "--user", "bob@example.com", stdout=out)
    assert json.loads(out.getvalue()) == []
