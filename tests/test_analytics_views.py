"""The analytics page (English and Greek), its CSV export and the REST API, scoped by workspace."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from keryx.analytics.models import ChannelSnapshot, MetricSnapshot, TrackedPost
from keryx.analytics.services import CSV_COLUMNS
from keryx.channels.models import Channel
from keryx.planner.models import Campaign, Label
from keryx.publishing.models import Post, PostTarget, TargetState
from tests.api_support import Caller

NOW = timezone.now().replace(microsecond=0)


def measured(channel: Channel, remote_id: str, at: datetime, followers: int | None,
             text: str = "", **counts: int | None) -> TrackedPost:
    post = Post.objects.create(workspace=channel.workspace,
                               text=f"Ανάρτηση {remote_id} {text}".strip(), scheduled_at=at)
    target = PostTarget.objects.create(
        post=post, channel=channel, workspace=channel.workspace, state=TargetState.PUBLISHED,
        remote_id=remote_id, remote_url=f"https://masto.example/@acme/{remote_id}",
        published_at=at)
    tracked = TrackedPost.objects.create(target=target, workspace=channel.workspace,
                                         channel=channel, published_at=at,
                                         remote_id=remote_id, remote_url=target.remote_url,
                                         followers_at_publish=followers)
    snap = MetricSnapshot.objects.create(tracked=tracked, taken_at=at + timedelta(hours=1),
                                         **counts)
    TrackedPost.objects.filter(pk=tracked.pk).update(latest=snap)
    return tracked


@pytest.fixture
def data(people):
    toot = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    ChannelSnapshot.objects.create(channel=toot, workspace=people.acme,
                                   taken_at=NOW - timedelta(days=6), followers=100)
    ChannelSnapshot.objects.create(channel=toot, workspace=people.acme,
                                   taken_at=NOW - timedelta(days=1), followers=120)
    measured(toot, "1", NOW - timedelta(days=5), 100, likes=6, comments=2, shares=2,  # 10 %
             text="Καλημέρα #Ελλάδα #news")
    measured(toot, "2", NOW - timedelta(days=2), 120, likes=3, comments=0, shares=3,  # 5 %
             text="Πάλι #ελλάδα")
    measured(toot, "3", NOW - timedelta(days=2), 0, likes=1, comments=0, shares=0)  # no rate
    # Another workspace's post never shows in Acme's figures.
    other = Channel.objects.create(workspace=people.globex, network="mastodon", name="Other")
    measured(other, "x", NOW - timedelta(days=1), 10, likes=9, comments=9, shares=9)
    return toot


def test_the_page_shows_figures_with_their_formulas_charts_and_heatmap(people, data, client):
    client.force_login(people.alice)
    page = client.get("/analytics/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/analytics/" aria-current="page"' in html  # in the navigation
    assert "7.50 %" in html  # (10 + 5) / 2; the post with 0 followers has no rate
    assert "average over posts of (likes+comments+shares) / followers at publish time × 100" \
        in html
    assert "1 post without a rate" in html
    assert "100 → 120" in html and "(20.0 %)" in html
    assert html.count("<svg class=\"chart\"") == 2
    assert 'id="heatmap"' in html and "too few" in html
    assert "Ανάρτηση 1" in html and "Ανάρτηση x" not in html


def test_the_page_in_greek(people, data, client):
    client.force_login(people.alice)
    html = client.get("/analytics/", HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "Αναλυτικά στοιχεία" in html
    assert "Ποσοστό αλληλεπίδρασης ως προς τους ακολούθους" in html
    assert "Καλύτερη ώρα δημοσίευσης" in html
    # Greek formats numbers with a decimal comma; the heatmap's CSS colours must not.
    assert "rgba(50,87,214,1.0)" in html


def test_an_empty_period_says_so(people, data, client):
    client.force_login(people.charlie)  # a viewer may read the figures
    html = client.get("/analytics/", {"from": "2020-01-01", "until": "2020-01-31"}).content
    assert 'id="empty-period"' in html.decode()


def test_csv_has_one_row_per_post_with_every_metric_and_the_formula(people, data, client):
    client.force_login(people.alice)
    response = client.get("/analytics/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["remote_id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["engagement_rate_by_followers"] == "10.0"
    assert rows[0]["engagement_rate_by_followers_formula"] == (
        "(likes+comments+shares) / followers at publish time × 100")
    assert rows[0]["saves"] == "" and rows[0]["engagements_missing"] == "saves"
    assert rows[2]["engagement_rate_by_followers"] == ""


def test_api_posts_and_summary_are_scoped_by_workspace(people, data):
    alice = Caller(people.alice)
    posts = alice.get("/analytics/posts").json()
    assert [p["remote_id"] for p in posts] == ["1", "2", "3"]
    assert posts[0]["engagement_rate"] == {"by_followers": 10.0, "by_reach": None,
                                           "by_impressions": None}
    assert posts[2]["engagement_rate_reason"]["by_followers"].startswith("followers at publish")
    summary = alice.get("/analytics/summary", channel="Toot").json()
    assert summary["posts"] == 3 and summary["engagement_rate_by_followers"] == 7.5
    assert (summary["followers_start"], summary["followers_end"],
            summary["follower_growth"]) == (100, 120, 20)
    assert "from" in summary
    tags = {h["hashtag"]: h for h in summary["hashtags"]}
    assert tags["ελλάδα"]["posts"] == 2  # #Ελλάδα and #ελλάδα are one tag
    assert tags["ελλάδα"]["engagement_rate_by_followers"]["value"] == 7.5
    assert tags["news"]["posts"] == 1 and tags["news"]["engagements"] == 10
    empty = alice.get("/analytics/summary", **{"from": "2020-01-01",
                                                "until": "2020-01-02"}).json()
    assert empty["posts"] == 0 and empty["empty"] is True

    unknown = alice.get("/analytics/posts", channel="Other")  # Globex's channel
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_channel"
    assert alice.get("/analytics/posts", workspace=people.globex.pk).status_code == 404
    bob = Caller(people.bob)
    assert [p["remote_id"] for p in bob.get("/analytics/posts").json()] == ["x"]


def test_cli_summary_json_for_a_period(people, data, capsys):
    first = (NOW - timedelta(days=3)).astimezone(UTC).date().isoformat()
    call_command("analytics", "summary", "--user", "alice@example.com", "--from", first,
                 "--json")
    summary = json.loads(capsys.readouterr().out)
    assert summary["posts"] == 2  # posts 2 and 3
    assert summary["engagement_rate_by_followers"] == 5.0


def test_keryx_report_writes_the_csv_and_the_pdf(people, data, tmp_path):
    out = tmp_path / "report.csv"
    first = (NOW - timedelta(days=10)).date().isoformat()
    last = (NOW + timedelta(days=1)).date().isoformat()
    call_command("report", "--user", "alice@example.com", "--from", first, "--until", last,
                 "--channel", "Toot", "--format", "csv", "--output", str(out),
                 stdout=io.StringIO())
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["remote_id"] for r in rows] == ["1", "2", "3"]
    call_command("report", "--user", "alice@example.com", "--from", first, "--until", last,
                 "--format", "pdf", "--output", str(tmp_path / "r.pdf"), stdout=io.StringIO())
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")


def test_campaign_and_label_filters_and_the_per_network_breakdown(people, data, client):
    spring = Campaign.objects.create(workspace=people.acme, name="Άνοιξη")
    promo = Label.objects.create(workspace=people.acme, name="promo")
    first = Post.objects.get(targets__remote_id="1")
    first.campaign = spring
    first.save(update_fields=["campaign"])
    Post.objects.get(targets__remote_id="2").labels.add(promo)
    sky = Channel.objects.create(workspace=people.acme, network="bluesky", name="Sky")
    measured(sky, "s", NOW - timedelta(days=1), 50, likes=1, comments=0, shares=0, saves=0)

    alice = Caller(people.alice)
    assert [p["remote_id"] for p in alice.get("/analytics/posts",
                                              campaign=spring.pk).json()] == ["1"]
    assert [p["remote_id"] for p in alice.get("/analytics/posts",
                                              label=promo.pk).json()] == ["2"]
    other = Campaign.objects.create(workspace=people.globex, name="Theirs")
    assert alice.get("/analytics/posts", campaign=other.pk).status_code == 422

    summary = alice.get("/analytics/summary").json()
    # Bluesky counts saves, Mastodon does not: no single overall rate, one per formula.
    assert summary["engagement_rate_by_followers"] is None
    assert len(summary["engagement_rate"]["by_followers"]["by_formula"]) == 2
    networks = {g["network"]: g for g in summary["by_network"]}
    assert networks["bluesky"]["engagement_rate_by_followers"]["value"] == 2.0
    assert networks["mastodon"]["engagement_rate_by_followers"]["value"] == 7.5

    client.force_login(people.alice)
    html = client.get("/analytics/", {"campaign": spring.pk}).content.decode()
    assert "Ανάρτηση 1" in html and "Ανάρτηση 2" not in html
    html = client.get("/analytics/").content.decode()
    assert 'id="breakdown"' in html
    csv_text = client.get("/analytics/export.csv", {"label": promo.pk}).content.decode("utf-8-sig")
    assert [r["remote_id"] for r in csv.DictReader(io.StringIO(csv_text))] == ["2"]
