"""Goals on real analytics rows: the start value and the progress measured from ChannelSnapshot
and TrackedPost rows, the refusal of a metric the network does not report (with the reason),
the least-squares projection and the date it gives, the daily job claimed once, `keryx goals
list --json` and the API."""

from __future__ import annotations

import io
import json
from datetime import datetime, time, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from keryx.analytics.models import ChannelSnapshot
from keryx.channels.models import Channel
from keryx.planner.models import Campaign
from keryx.queues import periodic
from keryx.strategy import goals
from keryx.strategy.models import Goal, GoalReading, GoalRun, Status
from tests.api_support import Caller
from tests.support.analytics import ATHENS, published, today


@pytest.fixture(autouse=True)
def english():
    """Messages in English, whatever a page test before left active."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def toot(people):
    channel = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    ChannelSnapshot.objects.create(channel=channel, workspace=people.acme, followers=100,
                                   taken_at=datetime.combine(today() - timedelta(days=10),
                                                             time(8), ATHENS))
    ChannelSnapshot.objects.create(channel=channel, workspace=people.acme, followers=150,
                                   taken_at=timezone.now() - timedelta(minutes=5))
    return channel


def _goal(people, toot, **kw):
    args = {"name": "Reach 200 followers", "metric": "followers", "target": 200,
            "deadline": today() + timedelta(days=30), "channel": toot} | kw
    return goals.create_goal(people.acme, user=people.alice, **args)


def test_start_value_is_the_last_follower_reading(people, toot):
    goal = _goal(people, toot)
    assert goal.start_value == 150
    assert goal.current_value == 150
    # One reading only: no trend yet, said as such rather than guessed.
    assert goal.status == Status.UNKNOWN
    assert list(goal.readings.values_list("day", "value")) == [(today(), 150.0)]


def test_projection_from_the_daily_readings(people, toot):
    goal = _goal(people, toot)
    # The daily job's readings of earlier days: 100 ten days ago, 125 five days ago.
    GoalReading.objects.create(goal=goal, day=today() - timedelta(days=10), value=100)
    GoalReading.objects.create(goal=goal, day=today() - timedelta(days=5), value=125)
    goal = goals.progress(goal)
    # Least squares through (0, 100), (5, 125), (10, 150): 5 a day, so 200 ten days from now.
    assert goal.status == Status.ON_TRACK
    assert goal.projected_date == today() + timedelta(days=10)
    assert goal.projected_value == pytest.approx(150 + 5 * 30)
    # The same pace with a deadline in 5 days reaches 175 only: behind.
    goal.deadline = today() + timedelta(days=5)
    goal.save()
    goal = goals.progress(goal)
    assert goal.status == Status.BEHIND
    assert goal.projected_value == pytest.approx(175)


def test_reached_and_missed(people, toot):
    goal = _goal(people, toot, target=140)
    assert goal.status == Status.REACHED
    goal = _goal(people, toot, target=500)
    Goal.objects.filter(pk=goal.pk).update(deadline=today() - timedelta(days=1))
    goal.refresh_from_db()
    assert goals.progress(goal).status == Status.MISSED


def test_projection_maths_for_a_falling_metric():
    d = today()
    points = [(d - timedelta(days=4), 10.0), (d, 6.0)]
    proj = goals.project(points, 2.0, d + timedelta(days=10), lower=True)
    assert proj.slope_per_day == pytest.approx(-1.0)
    assert proj.reached_on == d + timedelta(days=4)
    assert goals.project(points[:1], 2.0, d, lower=True).value_at_deadline is None


def test_engagement_rate_and_posts_per_week_from_published_posts(people, toot):
    published(toot, today() - timedelta(days=3), 50)  # 5 % of 1000 followers
    published(toot, today() - timedelta(days=2), 100)  # 10 %
    rate = _goal(people, toot, metric="engagement_rate", target=9)
    assert rate.start_value == pytest.approx(7.5)
    ppw = _goal(people, toot, metric="posts_per_week", target=3)
    assert ppw.start_value == pytest.approx(2 / 28 * 7, abs=0.01)


def test_a_metric_the_network_does_not_report_is_refused_with_the_reason(people, toot):
    with pytest.raises(goals.GoalError) as caught:
        _goal(people, toot, metric="link_clicks", target=10)
    assert "mastodon does not report link clicks" in caught.value.message
    campaign = Campaign.objects.create(workspace=people.acme, name="Spring")
    with pytest.raises(goals.GoalError, match="not to a campaign"):
        _goal(people, None, campaign=campaign)
    with pytest.raises(goals.GoalError, match="deadline"):
        _goal(people, toot, deadline=today())
    assert not Goal.objects.exists()


def test_the_daily_job_runs_once_a_day_across_processes(people, toot):
    assert "goals" in {name for name, _job in periodic._jobs()}
    _goal(people, toot)
    GoalRun.objects.all().delete()
    assert goals.progress_due() == 1
    assert goals.progress_due() == 0  # claimed for today already
    assert GoalRun.objects.count() == 1


def test_cli_lists_goals_as_json(people, toot):
    _goal(people, toot)
    out = io.StringIO()
    call_command("goals", "list", "--json", "--user", "alice@example.com",
                 "--workspace", str(people.acme.pk), stdout=out)
    [row] = json.loads(out.getvalue())
    assert {k: row[k] for k in ("metric", "target", "current", "status")} == {
        "metric": "followers", "target": 200.0, "current": 150.0, "status": "unknown"}
    assert row["deadline"] == (today() + timedelta(days=30)).isoformat()
    out = io.StringIO()
    call_command("goals", "add", "--name", "Weekly rhythm", "--metric", "posts_per_week",
                 "--target", "3", "--deadline", (today() + timedelta(days=60)).isoformat(),
                 "--channel", "Toot", "--json", "--user", "alice@example.com",
                 "--workspace", str(people.acme.pk), stdout=out)
    assert json.loads(out.getvalue())["metric"] == "posts_per_week"
    with pytest.raises(CommandError, match="does not report link clicks"):
        call_command("goals", "add", "--name", "x", "--metric", "link_clicks", "--target",
                     "3", "--deadline", "2099-01-01", "--channel", "Toot", "--user",
                     "alice@example.com", "--workspace", str(people.acme.pk))


def test_api_goals_crud_refusal_and_isolation(people, toot):
    alice, bob = Caller(people.alice), Caller(people.bob)
    ws = people.acme.pk
    refused = alice.post("/strategy/goals", {
        "workspace": ws, "name": "Clicks", "metric": "link_clicks", "target": 10,
        "deadline": (today() + timedelta(days=9)).isoformat(), "channel": toot.pk})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "goal_refused"
    assert "does not report link clicks" in refused.json()["error"]["message"]
    made = alice.post("/strategy/goals", {
        "workspace": ws, "name": "Followers", "metric": "followers", "target": 200,
        "deadline": (today() + timedelta(days=9)).isoformat(), "channel": toot.pk})
    assert made.status_code == 201, made.content
    goal_id = made.json()["id"]
    assert made.json()["current"] == 150
    assert alice.get(f"/strategy/goals/{goal_id}", workspace=ws).json()["name"] == "Followers"
    assert alice.post(f"/strategy/goals/{goal_id}/progress?workspace={ws}").status_code == 200
    assert bob.get(f"/strategy/goals/{goal_id}", workspace=ws).status_code == 404
    assert bob.client.delete(f"/api/v1/strategy/goals/{goal_id}",
                             headers=bob._headers()).status_code in (403, 404)
    assert Goal.objects.filter(pk=goal_id).exists()
    gone = alice.client.delete(f"/api/v1/strategy/goals/{goal_id}?workspace={ws}",
                               headers=alice._headers())
    assert gone.status_code == 204
    viewer = Caller(people.charlie).post("/strategy/goals", {
        "workspace": ws, "name": "x", "metric": "followers", "target": 1,
        "deadline": "2099-01-01"})
    assert viewer.status_code == 403


def test_goals_on_the_dashboard_and_in_the_analytics_report(people, toot):
    import pypdfium2 as pdfium
    from django.test import Client

    from keryx.analytics import services
    from keryx.analytics.reports import export

    _goal(people, toot, name="Two hundred followers")
    browser = Client()
    browser.force_login(people.alice)
    page = browser.get("/").content.decode()
    assert "dashboard-goals" in page and "Two hundred followers" in page
    body = export.pdf_report(people.acme, services.period(people.acme), language="en")
    text = " ".join(" ".join(p.get_textpage().get_text_range()
                             for p in pdfium.PdfDocument(body)).split())
    assert "Goals" in text and "Two hundred followers" in text and "least-squares" in text


def test_response_time_goal_from_the_inbox(people, toot):
    from keryx.inbox.models import Conversation, InboxItem, Reply, ReplyState

    now = timezone.now()
    conversation = Conversation.objects.create(workspace=people.acme, channel=toot,
                                               remote_id="thread:1", kind="comment")
    for n, hours in enumerate((1, 3)):  # answered after 1 h and after 3 h: median 2 h
        item = InboxItem.objects.create(workspace=people.acme, channel=toot,
                                        conversation=conversation, remote_id=str(n),
                                        kind="comment", text="Ερώτηση",
                                        created_at=now - timedelta(days=2))
        Reply.objects.create(item=item, text="Απάντηση", idempotency_key=f"k{n}",
                             state=ReplyState.SENT,
                             sent_at=now - timedelta(days=2) + timedelta(hours=hours))
    goal = _goal(people, toot, metric="response_time", target=1)
    assert goal.start_value == 2.0
    assert goal.status == Status.UNKNOWN
    assert goals.goal_json(goal)["lower_is_better"] is True
    GoalReading.objects.create(goal=goal, day=today() - timedelta(days=4), value=4.0)
    goal = goals.progress(goal)
    # 4 h four days ago, 2 h today: −0.5 h a day, 1 h in two days.
    assert goal.status == Status.ON_TRACK
    assert goal.projected_date == today() + timedelta(days=2)
