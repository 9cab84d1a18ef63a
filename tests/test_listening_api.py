"""The listening API: searches CRUD, run, results with filters and pages, irrelevant, inbox;
documented errors; another workspace's searches and results are 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keryx.listening.models import Match, Result, SavedSearch
from tests.api_support import Caller

pytestmark = pytest.mark.django_db


def _seed(search: SavedSearch, n: int) -> list[Result]:
    now = timezone.now()
    rows = []
    for i in range(n):
        result = Result.objects.create(
            workspace=search.workspace, network="mastodon", remote_id=str(i), text=f"r{i}",
            sentiment="negative" if i % 2 else "positive", language="el",
            published_at=now - timedelta(hours=i))
        Match.objects.create(search=search, result=result, published_at=result.published_at,
                             network="mastodon", sentiment=result.sentiment)
        rows.append(result)
    return rows


def test_crud_results_feedback_and_isolation(people):
    alice = Caller(people.alice)
    made = alice.post("/listening/searches", {"name": "Brand", "query": "acme OR #acme",
                                              "networks": ["rss"],
                                              "feeds": ["https://news.example/rss"]})
    assert made.status_code == 201, made.content
    search_id = made.json()["id"]
    assert alice.post("/listening/searches", {"name": "Brand", "query": "x"}).json()[
        "error"]["code"] == "duplicate_name"
    bad = alice.post("/listening/searches", {"name": "Bad", "query": "(acme"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_query"
    assert "never closed" in bad.json()["error"]["message"]
    changed = alice.patch(f"/listening/searches/{search_id}", {"languages": ["el", "en"]})
    assert changed.status_code == 200 and changed.json()["languages"] == ["el", "en"]
    rows = _seed(SavedSearch.objects.get(pk=search_id), 5)
    page = alice.get(f"/listening/searches/{search_id}/results", limit=2, offset=0).json()
    assert page["count"] == 5 and [r["remote_id"] for r in page["results"]] == ["0", "1"]
    negative = alice.get(f"/listening/searches/{search_id}/results",
                         sentiment="negative").json()
    assert negative["count"] == 2
    assert alice.post(f"/listening/results/{rows[0].pk}/irrelevant",
                      {"irrelevant": True}).status_code == 204
    assert alice.get(f"/listening/searches/{search_id}/results").json()["count"] == 4
    no_channel = alice.post(f"/listening/results/{rows[1].pk}/inbox")
    assert no_channel.status_code == 409
    assert no_channel.json()["error"]["code"] == "no_inbox_channel"
    # Globex's member sees none of it.
    bob = Caller(people.bob)
    assert bob.get(f"/listening/searches/{search_id}").status_code == 404
    assert bob.get(f"/listening/searches/{search_id}/results").status_code == 404
    assert bob.post(f"/listening/results/{rows[1].pk}/irrelevant", {}).status_code == 404
    assert bob.get("/listening/searches").json() == []
    # A viewer reads but does not change.
    charlie = Caller(people.charlie)
    assert charlie.get(f"/listening/searches/{search_id}").status_code == 200
    assert charlie.post(f"/listening/searches/{search_id}/run").status_code == 403
    ran = alice.post(f"/listening/searches/{search_id}/run")
    assert ran.status_code == 200 and "rss:https://news.example/rss" in ran.json()["errors"]
    assert alice.client.delete(f"/api/v1/listening/searches/{search_id}",
                               headers=alice._headers()).status_code == 204
    assert not SavedSearch.objects.filter(pk=search_id).exists()
