"""`keryx metrics collect` and the periodic collector through real providers (X, Reddit) at the
HTTP seam (respx, answers shaped after the official references as in
tests/networks/test_metrics_networks.py): what lands in the analytics tables, the OAuth token
refreshed once before collecting (not once per post), the app-wide budget shared by every
process, and a 429 on the app's own limit putting every channel of the network off."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
import respx
from django.core.management import call_command
from django.utils import timezone

from keryx.analytics import collect, ratelimit
from keryx.analytics.models import (
    AppBudget,
    ChannelSnapshot,
    CollectionJob,
    JobKind,
    JobStatus,
    MetricSnapshot,
    TrackedPost,
)
from keryx.analytics.tracking import ensure_tracked
from keryx.channels.models import Channel
from keryx.networks.base import RateBudget
from keryx.publishing.models import Post, PostTarget, TargetState

X_API = "https://x.keryx.test"
REDDIT_API = "https://reddit.keryx.test"


@pytest.fixture
def endpoints(settings) -> Iterator[None]:
    """The deployment's endpoints for X and Reddit (KERYX_X_API_BASE, ...), on test hosts."""
    config = {**settings.KERYX_NETWORK_CONFIG}
    config["x"] = {"api_base": X_API, "oauth_base": X_API, "client_id": "x-app",
                   "client_secret": "x-secret"}
    config["reddit"] = {"api_base": REDDIT_API, "oauth_base": REDDIT_API,
                        "client_id": "r-app", "client_secret": "r-secret"}
    settings.KERYX_NETWORK_CONFIG = config
    settings.ALLOWED_PRIVATE_HOSTS = [*settings.ALLOWED_PRIVATE_HOSTS, "x.keryx.test",
                                      "reddit.keryx.test"]
    ratelimit.reset_process_reservations()
    yield
    ratelimit.reset_process_reservations()


def published(channel: Channel, remote_id: str, at: datetime) -> PostTarget:
    post = Post.objects.create(workspace=channel.workspace, text="hi", scheduled_at=at)
    target = PostTarget.objects.create(
        post=post, channel=channel, workspace=channel.workspace, state=TargetState.PUBLISHED,
        remote_id=remote_id, remote_url=f"https://net.example/{remote_id}", published_at=at)
    ensure_tracked([target], now=at)
    return target


def x_post(post_id: str, likes: int) -> dict:
    # GET /2/tweets/:id (X API v2 PostPublicMetrics / non_public_metrics).
    return {"data": {"id": post_id, "text": "t", "public_metrics": {
        "retweet_count": 2, "reply_count": 1, "like_count": likes, "quote_count": 0,
        "bookmark_count": 1, "impression_count": 500},
        "non_public_metrics": {"impression_count": 500, "url_link_clicks": 9}}}


def collect_json(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("metrics", "collect", "--user", "alice@example.com", *args, "--json",
                 stdout=out)
    return json.loads(out.getvalue())


def test_x_end_to_end_with_one_token_refresh(people, endpoints):
    now = timezone.now()
    channel = Channel.objects.create(
        workspace=people.acme, network="x", name="Acme on X",
        credentials={"access_token": "old", "refresh_token": "r1",
                     "expires_at": (now - timedelta(minutes=5)).isoformat()},
        settings={"user_id": "2244994945", "username": "acme"})
    published(channel, "111", now - timedelta(hours=3))
    published(channel, "112", now - timedelta(hours=2))
    with respx.mock(assert_all_called=True) as router:
        token = router.post(f"{X_API}/2/oauth2/token").respond(json={
            "token_type": "bearer", "expires_in": 7200, "access_token": "new",
            "scope": "tweet.read users.read offline.access", "refresh_token": "r2"})
        router.get(f"{X_API}/2/users/me").respond(json={"data": {
            "id": "2244994945", "username": "acme", "name": "Acme",
            "public_metrics": {"followers_count": 800, "following_count": 20,
                               "tweet_count": 41, "listed_count": 3}}})
        router.get(f"{X_API}/2/users/2244994945/tweets").respond(json={"data": [
            {"id": "113", "text": "Posted in the X app",
             "created_at": (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")},
            {"id": "111", "text": "hi",
             "created_at": (now - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")}],
            "meta": {"result_count": 2}})
        reads = {pid: router.get(f"{X_API}/2/tweets/{pid}").respond(json=x_post(pid, likes))
                 for pid, likes in (("111", 31), ("112", 7), ("113", 4))}
        [report] = collect_json()
    assert token.call_count == 1  # refreshed once for the channel, not once per post
    for route in (*reads.values(),):
        assert route.calls.last.request.headers["authorization"] == "Bearer new"
    channel.refresh_from_db()
    assert (channel.credentials["access_token"], channel.credentials["refresh_token"]) == (
        "new", "r2")
    assert report["status"] == "ok" and report["followers"] == 800
    assert (report["posts_collected"], report["posts_imported"]) == (3, 1)

    snap = ChannelSnapshot.objects.get(channel=channel)
    assert (snap.followers, snap.following, snap.posts) == (800, 20, 41)
    first = MetricSnapshot.objects.get(tracked__remote_id="111")
    assert (first.likes, first.comments, first.shares, first.quotes, first.saves,
            first.impressions, first.clicks) == (31, 1, 2, 0, 1, 500, 9)
    # X gives no reach, and this post has no video: unknown, stored as null, never 0.
    assert (first.reach, first.video_views) == (None, None)
    imported = TrackedPost.objects.get(channel=channel, remote_id="113")
    assert imported.imported and imported.target is None
    assert imported.remote_url == "https://x.com/acme/status/113"
    assert MetricSnapshot.objects.get(tracked=imported).likes == 4


def reddit_channel(people, name: str, username: str) -> Channel:
    return Channel.objects.create(
        workspace=people.acme, network="reddit", name=name,
        credentials={"access_token": f"tok-{username}", "refresh_token": "r"},
        settings={"username": username, "subreddit": "selfhosted"})


def reddit_listing(name: str, score: int, comments: int) -> dict:
    # GET /api/info (reddit.com/dev/api: a Listing of t3 things).
    return {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {
        "name": name, "score": score, "ups": score, "num_comments": comments,
        "num_crossposts": 0, "author": "acme", "removed_by_category": None}}]}}


def test_reddit_end_to_end_and_a_deleted_post(people, endpoints):
    now = timezone.now()
    channel = reddit_channel(people, "Acme on Reddit", "acme")
    published(channel, "t3_live", now - timedelta(hours=5))
    published(channel, "t3_gone", now - timedelta(hours=4))

    def info(request: httpx.Request) -> httpx.Response:
        if request.url.params["id"] == "t3_live":
            return httpx.Response(200, json=reddit_listing("t3_live", 42, 7))
        return httpx.Response(200, json={"kind": "Listing", "data": {"children": [
            {"kind": "t3", "data": {"name": "t3_gone", "score": 1, "num_comments": 0,
                                    "author": "[deleted]",
                                    "removed_by_category": "deleted"}}]}})

    with respx.mock(assert_all_called=True) as router:
        router.get(f"{REDDIT_API}/api/v1/me").respond(json={
            "name": "acme", "total_karma": 10, "subreddit": {"subscribers": 321}})
        router.get(f"{REDDIT_API}/user/acme/submitted").respond(json={
            "kind": "Listing", "data": {"after": None, "children": []}})
        router.get(f"{REDDIT_API}/api/info").mock(side_effect=info)
        [report] = collect_json("--channel", "Acme on Reddit")
    assert (report["followers"], report["posts_collected"], report["posts_gone"]) == (321, 1, 1)
    live = MetricSnapshot.objects.get(tracked__remote_id="t3_live")
    assert (live.likes, live.comments, live.shares) == (42, 7, 0)
    assert (live.saves, live.impressions, live.reach, live.clicks) == (None, None, None, None)
    gone = TrackedPost.objects.get(remote_id="t3_gone")
    assert gone.gone_at is not None and "deleted" in gone.gone_reason
    assert CollectionJob.objects.get(tracked=gone).due_at is None


def test_a_429_on_the_apps_limit_puts_every_channel_of_the_network_off(people, endpoints):
    """Reddit counts 100 requests a minute per OAuth client: its 429 is the whole app's.
    The first channel's refusal pauses the network; the second channel makes no request
    and its jobs wait until the reset too (here through the periodic collector)."""
    now = timezone.now()
    first = reddit_channel(people, "First", "first")
    second = reddit_channel(people, "Second", "second")
    published(first, "t3_a", now - timedelta(hours=3))
    published(second, "t3_b", now - timedelta(hours=3))
    CollectionJob.objects.filter(kind=JobKind.CHANNEL).update(due_at=None)  # posts only
    with respx.mock() as router:
        info = router.get(f"{REDDIT_API}/api/info").respond(
            429, json={"message": "Too Many Requests", "error": 429},
            headers={"x-ratelimit-remaining": "0", "x-ratelimit-used": "100",
                     "x-ratelimit-reset": "300"})
        collect.collect_due(now=now)
    assert info.call_count == 1
    jobs = CollectionJob.objects.filter(kind=JobKind.POST)
    assert {j.last_status for j in jobs} == {JobStatus.RATE_LIMITED}
    for job in jobs:
        assert now + timedelta(seconds=290) <= job.due_at <= now + timedelta(seconds=310)
    paused, reason = ratelimit.paused_for("reddit")
    assert 280 < paused <= 300 and "Too Many Requests" in reason
    # `keryx metrics collect` respects the pause as well: no request while it lasts.
    with respx.mock(assert_all_called=False) as router:
        info = router.get(f"{REDDIT_API}/api/info").respond(json=reddit_listing("t3_a", 1, 0))
        reports = collect_json("--channel", "First")
    assert info.call_count == 0 and reports[0]["status"] == "rate_limited"


def test_the_app_budget_is_shared_by_every_process(people, endpoints):
    budget = RateBudget(3, 60.0)
    clock = [60.0 * 20_000 + 20]  # 20 s into a 60-second window
    assert [ratelimit.take("demo", budget, clock=lambda: clock[0]) for _ in range(3)] == [0.0] * 3
    # Another process (its own reservations) finds the budget spent in the database.
    ratelimit.reset_process_reservations()
    assert ratelimit.take("demo", budget, clock=lambda: clock[0]) == pytest.approx(40.0)
    assert AppBudget.objects.get(network="demo").used == 3
    clock[0] += 40.0  # the next window
    assert ratelimit.take("demo", budget, clock=lambda: clock[0]) == 0.0
    assert AppBudget.objects.get(network="demo").used == 1


def test_a_spent_budget_puts_the_readings_off_instead_of_calling(people, endpoints, settings):
    """KERYX_ANALYTICS_APP_BUDGETS gives an app its own figures: here one request an hour.
    The second reading is not sent: its job waits for the next window."""
    settings.KERYX_ANALYTICS_APP_BUDGETS = {"reddit": (1, 3600)}
    now = timezone.now()
    channel = reddit_channel(people, "Acme", "acme")
    published(channel, "t3_a", now - timedelta(hours=3))
    published(channel, "t3_b", now - timedelta(hours=3))
    CollectionJob.objects.filter(kind=JobKind.CHANNEL).update(due_at=None)
    with respx.mock() as router:
        info = router.get(f"{REDDIT_API}/api/info").respond(json=reddit_listing("t3_a", 5, 1))
        assert collect.collect_due(now=now) == 1
    assert info.call_count == 1
    waiting = CollectionJob.objects.get(tracked__remote_id="t3_b")
    assert waiting.last_status == JobStatus.RATE_LIMITED
    assert "budget for the Reddit app" in waiting.last_message
    assert waiting.due_at > now + timedelta(seconds=1)


def test_declared_rate_budgets_of_app_wide_networks() -> None:
    """The per-app budgets the collector applies by default, from the networks' references."""
    from keryx.networks.registry import get_provider_class

    def budget(network: str) -> tuple[int, float] | None:
        found = ratelimit.budget_for(network, get_provider_class(network).capabilities)
        return (found.requests, found.per_seconds) if found else None

    assert budget("reddit") == (100, 60.0)
    assert budget("youtube") == (10000, 86400.0)
    assert budget("tiktok") == (600, 60.0)
    assert budget("x") is None  # X's read limits are per user token


def test_figures_given_say_what_a_network_does_not_give() -> None:
    reddit = collect.figures_given("reddit")
    assert reddit is not None
    assert "likes" in reddit["post"] and "impressions" not in reddit["post"]
    assert reddit["channel"] == {"followers"}
    assert collect.figures_given("telegram") is None  # no metrics at all
    assert collect.figures_given("no-such-network") is None


def test_a_refused_token_refresh_skips_the_channel_without_reading(people, endpoints):
    now = timezone.now()
    channel = Channel.objects.create(
        workspace=people.acme, network="x", name="Expired",
        credentials={"access_token": "old", "refresh_token": "revoked",
                     "expires_at": (now - timedelta(hours=1)).isoformat()},
        settings={"user_id": "1", "username": "acme"})
    published(channel, "111", now - timedelta(hours=3))
    with respx.mock(assert_all_called=False) as router:
        token = router.post(f"{X_API}/2/oauth2/token").respond(400, json={
            "error": "invalid_request",
            "error_description": "Value passed for the token was invalid."})
        reads = router.get(url__startswith=f"{X_API}/2/").respond(json={})
        [report] = collect_json()
    assert token.call_count == 1 and reads.call_count == 0
    channel.refresh_from_db()
    assert channel.status == "needs_reconnect"
    assert report["status"] == "skipped" and "token was invalid" in report["message"]


def test_a_missing_permission_is_recorded_with_the_one_to_grant(people, endpoints, settings):
    """A Facebook Page connected before Keryx asked for read_insights: the post's insights
    are refused (Graph code 10) and the job says which permission to grant."""
    settings.KERYX_NETWORK_CONFIG = {**settings.KERYX_NETWORK_CONFIG, "facebook": {
        "api_base": "https://fb.keryx.test/v23.0"}}
    settings.ALLOWED_PRIVATE_HOSTS = [*settings.ALLOWED_PRIVATE_HOSTS, "fb.keryx.test"]
    now = timezone.now()
    channel = Channel.objects.create(
        workspace=people.acme, network="facebook", name="Acme Page",
        credentials={"access_token": "page-token"}, settings={"page_id": "104"})
    published(channel, "104_1", now - timedelta(hours=3))
    base = "https://fb.keryx.test/v23.0"
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{base}/104").respond(json={"followers_count": 51, "id": "104"})
        router.get(f"{base}/104/published_posts").respond(json={"data": []})
        router.get(f"{base}/104_1").respond(json={
            "reactions": {"data": [], "summary": {"total_count": 2}},
            "comments": {"data": [], "summary": {"total_count": 0}}, "id": "104_1"})
        router.get(f"{base}/104_1/insights").respond(400, json={"error": {
            "message": "(#10) Requires read_insights permission", "type": "OAuthException",
            "code": 10, "fbtrace_id": "A"}})
        [report] = collect_json()
    assert report["status"] == "missing_permission"
    assert "read_insights" in report["errors"][0]
    assert ChannelSnapshot.objects.get(channel=channel).followers == 51
    channel.refresh_from_db()
    assert channel.status == "active"  # a missing permission is not a lost connection


def test_a_token_with_no_request_left_is_not_sent_another(people, endpoints):
    """An answer saying X-Ratelimit-Remaining: 0 (Reddit sends "0.0") means the next request
    would be refused with 429: the collector does not send it, and the channel's other
    readings wait until the reset the answer gave."""
    now = timezone.now()
    channel = reddit_channel(people, "Acme", "acme")
    published(channel, "t3_a", now - timedelta(hours=3))
    published(channel, "t3_b", now - timedelta(hours=3))
    CollectionJob.objects.filter(kind=JobKind.CHANNEL).update(due_at=None)
    with respx.mock() as router:
        info = router.get(f"{REDDIT_API}/api/info").respond(
            json=reddit_listing("t3_a", 5, 1),
            headers={"x-ratelimit-remaining": "0.0", "x-ratelimit-used": "100",
                     "x-ratelimit-reset": "240"})
        assert collect.collect_due(now=now) == 1
    assert info.call_count == 1
    waiting = CollectionJob.objects.get(tracked__remote_id="t3_b")
    assert waiting.last_status == JobStatus.RATE_LIMITED
    assert "no request left" in waiting.last_message
    assert now + timedelta(seconds=230) <= waiting.due_at <= now + timedelta(seconds=250)
