"""Posting-frequency experiments end to end through the real models: published posts with their
readings in two periods, then the verdicts, the frequencies, the pages (English and Greek), the
API and the `keryx analytics experiment` command."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from keryx.analytics import experiments, stats
from keryx.analytics.experiments import ArmInput, ExperimentError, ExperimentInput
from keryx.analytics.models import Experiment
from keryx.channels.models import Channel
from tests.api_support import Caller
from tests.support.analytics import published, today


@pytest.fixture
def toot(people):
    return Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")


def frequency_world(channel: Channel) -> tuple[ArmInput, ArmInput]:
    """Arm A: 4 weeks at 3 posts a week, each 15–26 engagements per 1000 followers.
    Arm B: 4 weeks at 5 posts a week, each 30–49. B ends 8 days ago, so every week is complete
    and every post has settled."""
    b_last = today() - timedelta(days=8)
    b_first = b_last - timedelta(days=27)
    a_last = b_first - timedelta(days=7)
    a_first = a_last - timedelta(days=27)
    for week in range(4):
        for i, offset in enumerate((0, 2, 4)):
            published(channel, a_first + timedelta(days=7 * week + offset), 15 + week * 3 + i)
        for i, offset in enumerate((0, 1, 2, 4, 5)):
            published(channel, b_first + timedelta(days=7 * week + offset), 30 + week * 4 + i)
    return (ArmInput(a_first, a_last, "3 a week", 3), ArmInput(b_first, b_last, "5 a week", 5))


def test_more_posts_a_week_with_higher_rates_is_unlikely_to_be_chance(people, toot):
    a, b = frequency_world(toot)
    published(toot, a.first - timedelta(days=3), 500)  # before the experiment: not counted
    experiment = experiments.save_experiment(
        people.acme, ExperimentInput("Frequency", a, b, [toot.pk]), user=people.alice)
    result = experiments.evaluate(experiment)

    arm_a, arm_b = result["arms"]["a"], result["arms"]["b"]
    assert (arm_a["posts"], arm_b["posts"]) == (12, 20)
    assert arm_a["status"] == arm_b["status"] == "finished" and result["status"] == "finished"
    assert (arm_a["posts_per_week_per_channel"], arm_b["posts_per_week_per_channel"]) == (3, 5)
    assert arm_a["posts_per_week_by_channel"] == {"Toot": 3.0}
    assert arm_a["complete_weeks"] == arm_b["complete_weeks"] == 4
    # Week w of A: (15 + 3w) + (16 + 3w) + (17 + 3w) = 48 + 9w; of B: 5 (30 + 4w) + 10.
    assert arm_a["engagements_by_week"] == [48, 57, 66, 75]
    assert arm_b["engagements_by_week"] == [160, 180, 200, 220]
    assert arm_a["engagements_per_week"] == pytest.approx(246 / 28 * 7, abs=0.01)

    per_post = result["per_post"]
    # The rates are the seed's (engagements / 1000 followers × 100): every B post above every
    # A post, so U = 12 × 20 and delta = 1.
    assert per_post["verdict"] == stats.B_HIGHER
    assert per_post["cliffs_delta"] == 1.0 and per_post["u_statistic"] == 240
    assert per_post["median_a"] == pytest.approx(2.05)
    assert per_post["median_b"] == pytest.approx(3.8)
    assert per_post["p_value"] < 0.001
    assert per_post["explanation"].startswith(
        "5 a week is higher, and that is unlikely to be chance (p < 0.001).")
    assert result["rate_formula"] == "(likes+comments+shares) / followers at publish time × 100"
    weekly = result["per_week"]
    # 4 + 4 weeks, all of B above all of A: the exact p is 2 / C(8, 4) = 2 / 70.
    assert weekly["verdict"] == stats.B_HIGHER
    assert weekly["p_value"] == pytest.approx(2 / 70, abs=1e-6)
    assert "exact permutation" in weekly["test"]
    assert result["frequency"] == [
        "3 a week: 3.0 posts a week per channel, as planned (3.0).",
        "5 a week: 5.0 posts a week per channel, as planned (5.0).",
    ]
    assert result["notes_on_data"] == []


def test_a_running_experiment_with_few_posts_says_how_many_are_needed(people, toot):
    first_a = today() - timedelta(days=20)
    for offset, eng in ((0, 10), (3, 12), (6, 11)):
        published(toot, first_a + timedelta(days=offset), eng)
    first_b = today() - timedelta(days=6)
    published(toot, first_b, 40)
    published(toot, first_b + timedelta(days=1), 45)
    experiment = experiments.save_experiment(people.acme, ExperimentInput(
        "Early", ArmInput(first_a, first_a + timedelta(days=13), "A", 5),
        ArmInput(first_b, first_b + timedelta(days=13), "B", 2)))
    result = experiments.evaluate(experiment)
    assert result["status"] == "running" and result["arms"]["b"]["status"] == "running"
    assert result["arms"]["b"]["days_elapsed"] == 7
    assert result["per_post"]["verdict"] == stats.NOT_ENOUGH
    assert result["per_post"]["explanation"] == (
        "Not enough posts yet to tell: A has 3 posts with an engagement rate and B has 2; at "
        "least 5 in each are needed. For a difference the size seen so far, about 6 posts in "
        "each arm would be needed.")
    assert result["per_week"]["verdict"] == stats.NOT_ENOUGH
    assert "A has 2 complete weeks and B has 0" in result["per_week"]["explanation"]
    # 3 posts in 14 days against a plan of 5 a week; 2 in 7 days, as planned.
    assert result["frequency"][0] == "A: 1.5 posts a week per channel, fewer than planned (5.0)."
    assert result["frequency"][1] == "B: 2.0 posts a week per channel, as planned (2.0)."
    assert result["notes_on_data"] == [
        "2 of the posts are less than 7 days old; their engagement may still grow."]


def test_no_clear_difference_when_the_arms_are_alike(people, toot):
    b_last = today() - timedelta(days=10)
    b_first = b_last - timedelta(days=13)
    a_first = b_first - timedelta(days=14)
    for day, eng in enumerate((20, 24, 18, 22, 26, 19, 23)):
        published(toot, a_first + timedelta(days=day), eng)
        published(toot, b_first + timedelta(days=day), eng + (1 if day % 2 else -1))
    experiment = experiments.save_experiment(people.acme, ExperimentInput(
        "Alike", ArmInput(a_first, a_first + timedelta(days=13)), ArmInput(b_first, b_last)))
    per_post = experiments.evaluate(experiment)["per_post"]
    assert per_post["verdict"] == stats.NO_CLEAR_DIFFERENCE
    assert per_post["explanation"].startswith("No clear difference: a gap like this could well "
                                              "be chance (p = 0.")
    assert per_post["p_value"] > 0.5


def test_channels_whose_engagement_is_counted_differently_are_not_compared(people, toot):
    sky = Channel.objects.create(workspace=people.acme, network="bluesky", name="Sky")
    first = today() - timedelta(days=30)
    published(toot, first, 10)
    published(sky, first + timedelta(days=20), 10, saves=2)
    experiment = experiments.save_experiment(people.acme, ExperimentInput(
        "Mixed", ArmInput(first, first + timedelta(days=9)),
        ArmInput(first + timedelta(days=10), first + timedelta(days=25))))
    result = experiments.evaluate(experiment)
    assert result["per_post"]["verdict"] == "mixed_formulas"
    assert "counted differently" in result["per_post"]["explanation"]
    assert len(result["per_post"]["formulas"]) == 2


@pytest.mark.parametrize("a, b, field, message", [
    (ArmInput(date(2026, 3, 10), date(2026, 3, 1)), ArmInput(date(2026, 4, 1), date(2026, 4, 9)),
     "a_last", "Arm A ends before it starts."),
    (ArmInput(date(2026, 3, 1), date(2026, 3, 20)), ArmInput(date(2026, 3, 20), date(2026, 4, 9)),
     "b_first", "The two arms overlap"),
    (ArmInput(date(2026, 3, 1), date(2026, 3, 9), "Same"),
     ArmInput(date(2026, 4, 1), date(2026, 4, 9), "same"), "b_label", "different names"),
    (ArmInput(date(2026, 3, 1), date(2026, 3, 9), "A", 0),
     ArmInput(date(2026, 4, 1), date(2026, 4, 9)), "a_planned_per_week", "above 0"),
    (ArmInput(date(2025, 1, 1), date(2026, 3, 9)), ArmInput(date(2026, 4, 1), date(2026, 4, 9)),
     "a_last", "longer than 366 days"),
])
def test_bad_definitions_are_refused_with_the_field_at_fault(people, a, b, field, message):
    with pytest.raises(ExperimentError) as caught:
        experiments.save_experiment(people.acme, ExperimentInput("X", a, b))
    assert caught.value.field == field and message in caught.value.message
    assert not Experiment.objects.exists()


def test_another_workspaces_channel_is_refused(people):
    other = Channel.objects.create(workspace=people.globex, network="mastodon", name="Theirs")
    with pytest.raises(ExperimentError, match=f"No channel {other.pk} in this workspace"):
        experiments.save_experiment(people.acme, ExperimentInput(
            "X", ArmInput(date(2026, 3, 1), date(2026, 3, 9)),
            ArmInput(date(2026, 4, 1), date(2026, 4, 9)), [other.pk]))


def _form(a: ArmInput, b: ArmInput, channel: Channel, name: str = "Από 3 σε 5") -> dict:
    return {"name": name, "channels": [channel.pk],
            "a_label": a.label, "a_first": a.first.isoformat(), "a_last": a.last.isoformat(),
            "a_planned_per_week": a.planned_per_week or "",
            "b_label": b.label, "b_first": b.first.isoformat(), "b_last": b.last.isoformat(),
            "b_planned_per_week": b.planned_per_week or "", "notes": "<b>not bold</b>"}


def test_pages_create_show_and_delete_an_experiment_in_english_and_greek(people, toot, client):
    a, b = frequency_world(toot)
    client.force_login(people.alice)
    assert 'href="/analytics/experiments/"' in client.get("/analytics/").content.decode()
    listing = client.get("/analytics/experiments/")
    assert listing.status_code == 200 and 'id="no-experiments"' in listing.content.decode()
    bad = client.post("/analytics/experiments/", {**_form(a, b, toot), "b_first":
                                                  a.last.isoformat()})
    assert bad.status_code == 400 and "The two arms overlap" in bad.content.decode()
    made = client.post("/analytics/experiments/", _form(a, b, toot))
    experiment = Experiment.objects.get()
    assert made.status_code == 302
    assert made["Location"] == f"/analytics/experiments/{experiment.pk}/"
    html = client.get(made["Location"]).content.decode()
    assert "Από 3 σε 5" in html and "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert "5 a week is higher, and that is unlikely to be chance" in html
    assert 'id="statistics"' in html and "Cliff's delta" in html
    greek = client.get(made["Location"], HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "είναι υψηλότερο, και αυτό δύσκολα είναι τύχη" in greek
    assert "Ανά ανάρτηση" in greek
    edit = client.get(f"/analytics/experiments/{experiment.pk}/edit/")
    assert edit.status_code == 200 and a.first.isoformat() in edit.content.decode()
    client.post(f"/analytics/experiments/{experiment.pk}/edit/",
                {**_form(a, b, toot), "name": "Renamed"})
    assert Experiment.objects.get().name == "Renamed"

    # A viewer reads, but neither creates nor deletes; another workspace sees nothing.
    client.force_login(people.charlie)
    assert client.get(f"/analytics/experiments/{experiment.pk}/").status_code == 200
    assert client.post("/analytics/experiments/", _form(a, b, toot)).status_code == 403
    assert client.post(f"/analytics/experiments/{experiment.pk}/delete/").status_code == 403
    client.force_login(people.bob)
    assert client.get(f"/analytics/experiments/{experiment.pk}/").status_code == 404
    client.force_login(people.alice)
    client.post(f"/analytics/experiments/{experiment.pk}/delete/")
    assert not Experiment.objects.exists()


def test_api_create_read_list_and_delete(people, toot):
    a, b = frequency_world(toot)
    alice = Caller(people.alice)
    body = {"name": "API", "channel": "Toot", "a": {"label": "few", "from": str(a.first),
                                                    "until": str(a.last), "planned_per_week": 3},
            "b": {"label": "many", "from": str(b.first), "until": str(b.last),
                  "planned_per_week": 5}}
    made = alice.post("/analytics/experiments", body)
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["per_post"]["verdict"] == "b_higher"
    assert data["arms"]["a"]["from"] == str(a.first) and data["channels"] == ["Toot"]
    listed = alice.get("/analytics/experiments").json()
    assert [e["name"] for e in listed] == ["API"]
    assert alice.get(f"/analytics/experiments/{data['id']}").json()["per_week"]["verdict"] == \
        "b_higher"
    overlap = alice.post("/analytics/experiments", {**body, "b": {**body["b"],
                                                                  "from": str(a.last)}})
    assert overlap.status_code == 422
    assert overlap.json()["error"]["code"] == "bad_experiment"
    assert overlap.json()["error"]["details"] == {"field": "b_first"}
    bob = Caller(people.bob)
    assert bob.get(f"/analytics/experiments/{data['id']}").status_code == 404
    assert bob.get("/analytics/experiments").json() == []
    charlie = Caller(people.charlie)
    assert charlie.post("/analytics/experiments", body).status_code == 403
    deleted = alice.client.delete(f"/api/v1/analytics/experiments/{data['id']}",
                                  headers=alice._headers())
    assert deleted.status_code == 204 and not Experiment.objects.exists()


def test_cli_create_show_list_delete(people, toot, capsys):
    a, b = frequency_world(toot)
    call_command("analytics", "experiment", "create", "--user", "alice@example.com",
                 "--name", "CLI", "--channel", "Toot", "--a-from", str(a.first), "--a-until",
                 str(a.last), "--a-plan", "3", "--b-from", str(b.first), "--b-until",
                 str(b.last), "--b-plan", "5", "--json")
    made = json.loads(capsys.readouterr().out)
    assert made["per_post"]["verdict"] == "b_higher"
    assert made["arms"]["b"]["planned_per_week_per_channel"] == 5
    call_command("analytics", "experiment", "show", str(made["id"]), "--user",
                 "alice@example.com")
    text = capsys.readouterr().out
    assert "B is higher" in text and "B: 5.0 posts a week per channel, as planned" in text
    call_command("analytics", "experiment", "list", "--user", "alice@example.com", "--json")
    assert [e["id"] for e in json.loads(capsys.readouterr().out)] == [made["id"]]
    with pytest.raises(CommandError, match="overlap"):
        call_command("analytics", "experiment", "create", "--user", "alice@example.com",
                     "--name", "Bad", "--a-from", str(a.first), "--a-until", str(b.first),
                     "--b-from", str(b.first), "--b-until", str(b.last))
    with pytest.raises(CommandError, match="No experiment"):
        call_command("analytics", "experiment", "show", str(made["id"]), "--user",
                     "bob@example.com")
    call_command("analytics", "experiment", "delete", str(made["id"]), "--user",
                 "alice@example.com")
    assert not Experiment.objects.exists()
