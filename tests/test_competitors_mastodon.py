"""Competitors against a real Mastodon API server (mastodon-mock): a rival account posts, is
followed and favourited by the seeded accounts; Keryx follows it through the workspace's own
channel, reads its counts and posts, and shows it beside the channel. Then the bad cases on the
same server: an unknown account, a private address, a rate limit (429 until reset), an upper-case
name, a Greek name, the account deleted (marked gone, history kept)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from keryx.analytics import competitors
from keryx.analytics.models import Competitor, CompetitorSnapshot, JobStatus
from keryx.analytics.services import period
from keryx.channels.connect import connect_mastodon_token
from keryx.queues.periodic import run_once
from tests.api_support import Caller

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def keryx(*args: str, user: str = "alice@example.com") -> object:
    out = io.StringIO()
    call_command(*args, "--user", user, "--json", stdout=out)
    return json.loads(out.getvalue())


def post(mastodon, account, text: str, **data: str) -> str:
    response = mastodon.api("POST", "/api/v1/statuses", account.access_token,
                            data={"status": text, **data})
    response.raise_for_status()
    return str(response.json()["id"])


@pytest.fixture
def world(people, mastodon):
    me = mastodon.new_account("me")
    channel = connect_mastodon_token(people.acme, people.alice, mastodon.url, me.access_token,
                                     name="Toot")
    rival = mastodon.new_account("rival")
    first = post(mastodon, rival, "Πρώτη ανάρτηση")
    second = post(mastodon, rival, "Δεύτερη")
    post(mastodon, rival, "a reply, not counted", in_reply_to_id=first)
    mastodon.api("POST", f"/api/v1/statuses/{second}/reblog",
                 rival.access_token).raise_for_status()  # a reblog: not counted either
    mastodon.api("POST", f"/api/v1/statuses/{first}/favourite", "bob_token").raise_for_status()
    mastodon.api("POST", f"/api/v1/statuses/{first}/favourite",
                 "carol_token").raise_for_status()
    mastodon.api("POST", f"/api/v1/statuses/{second}/reblog", "bob_token").raise_for_status()
    mastodon.api("POST", f"/api/v1/accounts/{rival.id}/follow", "carol_token").raise_for_status()
    return channel, rival


def test_follow_a_rival_and_see_it_beside_the_channel(people, mastodon, world):
    channel, rival = world
    added = keryx("competitors", "add", "mastodon", f"@{rival.username}")
    domain = channel.settings["domain"]  # the server's own name for itself
    assert added["handle"] == f"@{rival.username}@{domain}" and added["status"] == "ok"
    competitor = Competitor.objects.get(pk=added["id"])
    assert competitor.channel == channel and competitor.added_by == people.alice
    [first] = CompetitorSnapshot.objects.filter(competitor=competitor)
    # 1 follower (carol); the rival's own two top-level posts (not the reply, not the reblog)
    assert (first.followers, first.window_posts) == (1, 2)
    assert first.posts_per_week == round(2 / 30 * 7, 2)
    # likes 2 + 0, comments 1 + 0 (the reply), shares 0 + 2 (its own reblog and bob's)
    assert (first.avg_likes, first.avg_comments, first.avg_shares) == (1.0, 0.5, 1.0)
    # Per post: (2 + 1 + 0) / 1 × 100 and (0 + 0 + 2) / 1 × 100; the average of the two.
    assert first.avg_engagement_rate == pytest.approx(250.0)
    assert first.engagement_rate_formula == \
        "average over posts of (likes+comments+shares) / followers when read × 100"

    # A day on: bob follows too; the periodic loop reads it again (claimed: once).
    CompetitorSnapshot.objects.filter(pk=first.pk).update(
        taken_at=timezone.now() - timedelta(days=2))
    Competitor.objects.filter(pk=competitor.pk).update(
        due_at=timezone.now() - timedelta(minutes=1))
    mastodon.api("POST", f"/api/v1/accounts/{rival.id}/follow", "bob_token").raise_for_status()
    assert run_once()["competitors"] == 1
    assert run_once()["competitors"] == 0  # not due again until tomorrow
    competitor.refresh_from_db()
    assert competitor.due_at > timezone.now() + timedelta(hours=23)

    table = keryx("competitors", "list")
    [mine] = table["channels"]
    assert mine["name"] == "Toot" and mine["kind"] == "channel"
    [row] = table["competitors"]
    assert (row["followers"], row["follower_growth"], row["follower_growth_percent"]) == \
        (2, 1, 100.0)
    # Two followers now: each post's rate halves.
    assert row["engagement_rate_by_followers"] == pytest.approx(125.0)
    # The same through the API.
    api = Caller(people.alice).get("/analytics/competitors")
    assert api.status_code == 200 and api.json()["competitors"][0]["followers"] == 2


def test_the_page_in_english_and_greek_and_who_may_change_it(people, mastodon, world, client):
    channel, rival = world
    client.force_login(people.alice)
    response = client.post("/analytics/competitors/add/",
                           {"network": "mastodon", "handle": f"@{rival.username}"}, follow=True)
    html = response.content.decode()
    assert f"Following @{rival.username}@{channel.settings['domain']}" in html
    assert 'id="competitors"' in html and "Toot" in html and "<svg" in html
    assert 'id="add-competitor"' in html and "Read now" in html
    assert "Πρώτη" not in html  # only figures, never the rival's texts
    analytics = client.get("/analytics/").content.decode()
    assert 'href="/analytics/competitors/"' in analytics
    greek = client.get("/analytics/competitors/", HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "Ανταγωνιστές" in greek and "Ακόλουθοι" in greek
    competitor = Competitor.objects.get()
    # charlie is a viewer: may look, not follow or remove.
    client.force_login(people.charlie)
    viewer_page = client.get("/analytics/competitors/")
    assert viewer_page.status_code == 200 and rival.username in viewer_page.content.decode()
    assert 'id="add-competitor"' not in viewer_page.content.decode()
    assert client.post("/analytics/competitors/add/",
                       {"network": "mastodon", "handle": "@alice"}).status_code == 403
    assert client.post(f"/analytics/competitors/{competitor.pk}/remove/").status_code == 403
    # bob is in another workspace: not even found.
    client.force_login(people.bob)
    assert client.post(f"/analytics/competitors/{competitor.pk}/remove/").status_code == 404
    client.force_login(people.alice)
    client.post(f"/analytics/competitors/{competitor.pk}/remove/")
    assert not Competitor.objects.exists()


def test_bad_input_is_refused_at_add_time(people, mastodon, world):
    channel, rival = world
    domain = channel.settings["domain"]
    with pytest.raises(CommandError, match=f"no account @nobody-here@{domain}"):
        keryx("competitors", "add", "mastodon", "@nobody-here")
    with pytest.raises(CommandError, match="refuses to contact .*private or local address"):
        keryx("competitors", "add", "mastodon", "@rival@10.20.30.40")
    with pytest.raises(CommandError, match="only the letters a–z"):
        keryx("competitors", "add", "mastodon", "@Ανταγωνιστής")
    with pytest.raises(CommandError, match="not on x"):
        keryx("competitors", "add", "x", "@rival")
    assert not Competitor.objects.exists()
    # Upper case: Mastodon compares user names without case.
    added = keryx("competitors", "add", "mastodon",
                  f"@{rival.username.upper()}@{domain.upper()}")
    assert added["handle"] == f"@{rival.username}@{domain}"
    with pytest.raises(CommandError, match="already followed"):
        keryx("competitors", "add", "mastodon", f"@{rival.username}")
    # A viewer may list, not add.
    keryx("competitors", "list", user="charlie@example.com")
    with pytest.raises(CommandError):
        keryx("competitors", "add", "mastodon", "@alice", user="charlie@example.com")


def test_rate_limit_waits_for_reset_and_a_deleted_account_keeps_its_history(
        people, mastodon, world):
    _channel, rival = world
    competitor = competitors.add(people.acme, "mastodon", f"@{rival.username}",
                                 actor=people.alice)
    mastodon.fault("ratelimit", path="/api/v1/accounts/lookup")
    before = timezone.now()
    assert competitors.read_now(competitor) == JobStatus.RATE_LIMITED
    competitor.refresh_from_db()
    # mastodon-mock says Retry-After: 300.
    assert before + timedelta(seconds=290) < competitor.due_at < \
        timezone.now() + timedelta(seconds=310)
    assert competitor.last_status == JobStatus.RATE_LIMITED
    assert competitors.collect_due() == 0  # not due before the reset

    mastodon.api("DELETE", f"/api/v1/admin/accounts/{rival.id}",
                 "alice_token").raise_for_status()
    assert competitors.read_now(competitor) == JobStatus.GONE
    competitor.refresh_from_db()
    assert competitor.gone_at is not None and competitor.due_at is None
    assert "no account" in competitor.gone_reason
    assert CompetitorSnapshot.objects.filter(competitor=competitor).count() == 1  # kept
    [row] = competitors.comparison(people.acme, period(people.acme))["competitors"]
    assert row["gone"] and row["followers"] == 1
