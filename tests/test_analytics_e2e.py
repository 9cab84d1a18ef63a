"""Real counts from a real server: Keryx publishes to mastodon-mock, other seeded accounts
follow, favourite, reblog and reply, and `keryx metrics collect` reads the counts back; then the
bad cases on the same server: a 403 on the status (missing scope), a count that goes down, the
status deleted on the server."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from keryx.analytics.models import CollectionJob, JobKind, JobStatus, MetricSnapshot, TrackedPost
from keryx.channels.connect import connect_mastodon_token
from keryx.publishing import services
from keryx.publishing.models import PostTarget, TargetState
from tests.support.engine import run_due

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def keryx(*args: str) -> object:
    out = io.StringIO()
    call_command(*args, "--user", "alice@example.com", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_counts_from_mastodon_mock_reach_the_figures(people, mastodon, settings):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    account = mastodon.new_account("metrics")
    for fan in ("bob", "carol"):  # two followers before the post goes out
        mastodon.api("POST", f"/api/v1/accounts/{account.id}/follow",
                     f"{fan}_token").raise_for_status()
    toot = connect_mastodon_token(people.acme, people.alice, mastodon.url,
                                  account.access_token, name="Toot")

    post = services.create_post(workspace=people.acme, author=people.alice,
                                text="Μετράμε την εμπλοκή", channels=[toot],
                                scheduled_at=timezone.now(), actor="alice")
    assert run_due() == [TargetState.PUBLISHED]
    target = PostTarget.objects.get(post=post)
    # Publishing started the measuring: the post's schedule (first reading after an hour)
    # and the channel's reading, due now for the followers at publish time.
    tracked = TrackedPost.objects.get(target=target)
    job = CollectionJob.objects.get(tracked=tracked)
    assert job.step == 0 and job.due_at == tracked.published_at + timedelta(hours=1)
    assert CollectionJob.objects.get(kind=JobKind.CHANNEL, channel=toot).due_at <= timezone.now()

    status_id = target.remote_id
    for fan in ("bob", "carol"):
        mastodon.api("POST", f"/api/v1/statuses/{status_id}/favourite",
                     f"{fan}_token").raise_for_status()
    mastodon.api("POST", f"/api/v1/statuses/{status_id}/reblog", "bob_token").raise_for_status()
    mastodon.api("POST", "/api/v1/statuses", "carol_token",
                 data={"status": f"@{account.username} μπράβο",
                       "in_reply_to_id": status_id}).raise_for_status()
    server = mastodon.status(status_id, account.access_token)
    assert (server["favourites_count"], server["reblogs_count"],
            server["replies_count"]) == (2, 1, 1)

    [report] = keryx("metrics", "collect")
    assert report == {"channel": "Toot", "network": "mastodon", "status": "ok", "message": "",
                      "followers": 2, "posts_collected": 1, "posts_gone": 0,
                      "posts_imported": 0, "errors": []}

    [row] = keryx("analytics", "posts")
    assert row["post_id"] == post.pk and row["channel"] == "Toot"
    assert row["network"] == "mastodon" and row["remote_id"] == status_id
    assert row["url"] == target.remote_url and row["followers"] == 2
    assert (row["likes"], row["comments"], row["shares"]) == (2, 1, 1)
    # Mastodon gives no saves, impressions, reach or clicks: null, not 0.
    assert [row[k] for k in ("saves", "impressions", "reach", "clicks")] == [None] * 4
    assert row["engagements"] == 4 and row["engagements_missing"] == ["saves"]
    # (2 + 1 + 1) / 2 followers × 100
    assert row["engagement_rate"] == {"by_followers": 200.0, "by_reach": None,
                                      "by_impressions": None}
    assert row["engagement_rate_formula"]["by_followers"] == (
        "(likes+comments+shares) / followers at publish time × 100")

    summary = keryx("analytics", "summary")
    assert summary["posts"] == 1
    assert (summary["followers_start"], summary["followers_end"],
            summary["follower_growth"]) == (2, 2, 0)
    assert summary["engagement_rate_by_followers"] == 200.0
    assert summary["engagement_rate_by_followers_formula"].startswith("average over posts of")

    # --- a 403 (token without read:statuses) says which permission to grant -------------------
    mastodon.fault("status", status=403, path=f"/api/v1/statuses/{status_id}", methods=["GET"],
                   body={"error": "This action is outside the authorized scopes"})
    [report] = keryx("metrics", "collect")
    assert report["status"] == "missing_permission"
    assert "read:statuses" in report["message"]
    assert report["followers"] == 2  # the account's counts were still read
    mastodon.clear_faults()

    # --- a count that goes down is kept as the network says ------------------------------------
    mastodon.api("POST", f"/api/v1/statuses/{status_id}/unfavourite",
                 "bob_token").raise_for_status()
    keryx("metrics", "collect")
    [row] = keryx("analytics", "posts")
    assert row["likes"] == 1 and row["engagements"] == 3

    # --- deleted on the server: marked gone, history kept, no longer collected ---------------
    mastodon.api("DELETE", f"/api/v1/statuses/{status_id}",
                 account.access_token).raise_for_status()
    [report] = keryx("metrics", "collect")
    assert report["posts_gone"] == 1 and report["posts_collected"] == 0
    tracked.refresh_from_db()
    assert tracked.gone_at is not None
    assert MetricSnapshot.objects.filter(tracked=tracked).count() == 2
    assert CollectionJob.objects.get(tracked=tracked).last_status == JobStatus.GONE
    assert CollectionJob.objects.get(tracked=tracked).due_at is None
    [row] = keryx("analytics", "posts")
    assert row["gone"] is True and row["likes"] == 1
    [report] = keryx("metrics", "collect")
    assert report["posts_collected"] == 0 and report["posts_gone"] == 0
