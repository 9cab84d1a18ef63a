"""The inbox API: the stream with the page's filters in the `inbox list --json` shape, one
item with the author's history, status, assignment (the assignee is told), canned replies and
response times; every route scoped to the caller's workspace and role."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.management import call_command

from keryx.core.models import Membership, Role
from keryx.inbox import canned, services
from keryx.inbox.models import InboxItem
from keryx.networks.community import InboxItem as Remote
from keryx.networks.community import InboxKind
from tests.api_support import Caller, mastodon_channel

pytestmark = pytest.mark.django_db
_ids = iter(range(1, 10_000))


def remote(text: str, author: str = "fan", kind: str = InboxKind.COMMENT) -> Remote:
    number = next(_ids)
    return Remote(remote_id=str(number), kind=kind, text=text, author_handle=author,
                  author_name=author.title(), created_at=datetime(2026, 5, 1, tzinfo=UTC),
                  conversation_id=f"t:{number}")


@pytest.fixture
def world(people, django_user_model):
    channel = mastodon_channel(people.acme)
    dave = django_user_model.objects.create_user("dave@example.com", "dave@example.com", "pw")
    Membership.objects.create(workspace=people.acme, user=dave, role=Role.CONTRIBUTOR)
    first = services.store(channel, remote("<b>Hi</b> Καλημέρα", author="maria"))[0]
    second = services.store(channel, remote("A private question", author="maria",
                                            kind=InboxKind.MESSAGE))[0]
    other = services.store(channel, remote("Another person", author="nikos"))[0]
    return {"channel": channel, "dave": dave, "first": first, "second": second,
            "other": other}


def test_list_has_the_cli_shape_and_the_filters(people, world):
    alice = Caller(people.alice)
    response = alice.get("/inbox/items")
    assert response.status_code == 200
    rows = response.json()
    out = io.StringIO()
    call_command("inbox", "list", "--json", "--user", "alice@example.com", stdout=out)
    cli = json.loads(out.getvalue())
    assert [r["id"] for r in rows] == [r["id"] for r in cli]
    for api_row, cli_row in zip(rows, cli, strict=True):
        assert {k: v for k, v in api_row.items() if k != "assignee_id"} == {
            **cli_row, "received_at": api_row["received_at"], "created_at": api_row["created_at"]}
        assert api_row["assignee_id"] is None
    assert rows[-1]["text"] == "<b>Hi</b> Καλημέρα"  # plain text, as written
    kinds = alice.get("/inbox/items", kind="message").json()
    assert [r["id"] for r in kinds] == [world["second"].pk]
    by_channel = alice.get("/inbox/items", channel="masto").json()
    assert len(by_channel) == 3
    assert alice.get("/inbox/items", channel="nope").json()["error"]["code"] == "unknown_channel"
    assert alice.get("/inbox/items", status="later").json()["error"]["code"] == "bad_status"
    assert alice.get("/inbox/items", assignee="none").json().__len__() == 3
    assert alice.get("/inbox/items", assignee="nobody@example.com").status_code == 422


def test_item_with_the_authors_history(people, world):
    data = Caller(people.alice).get(f"/inbox/items/{world['second'].pk}").json()
    assert [h["id"] for h in data["history"]] == [world["first"].pk]
    assert data["history"][0]["text"] == "<b>Hi</b> Καλημέρα"


def test_status_and_assign(people, world, django_capture_on_commit_callbacks):
    dave_api = Caller(world["dave"])
    item = world["first"]
    done = dave_api.post(f"/inbox/items/{item.pk}/status", {"status": "done"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    bad = dave_api.post(f"/inbox/items/{item.pk}/status", {"status": "later"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_status"
    with django_capture_on_commit_callbacks(execute=True):
        assigned = Caller(people.alice).post(f"/inbox/items/{item.pk}/assign",
                                             {"user": "dave@example.com"})
    assert assigned.status_code == 200 and assigned.json()["assignee_id"] == world["dave"].pk
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["dave@example.com"]
    mine = Caller(people.alice).get("/inbox/items", status="all", assignee=world["dave"].pk)
    assert [r["id"] for r in mine.json()] == [item.pk]
    outsider = Caller(people.bob).post(f"/inbox/items/{item.pk}/assign",
                                       {"user": "bob@example.com"})
    assert outsider.status_code == 404
    not_member = Caller(people.alice).post(f"/inbox/items/{item.pk}/assign",
                                           {"user": "bob@example.com"})
    assert not_member.status_code == 422
    unassigned = Caller(people.alice).post(f"/inbox/items/{item.pk}/assign", {"user": None})
    assert unassigned.json()["assignee_id"] is None


def test_scoping_and_roles(people, world):
    item = world["first"]
    bob, viewer = Caller(people.bob), Caller(people.charlie)
    assert bob.get(f"/inbox/items/{item.pk}").status_code == 404
    assert bob.get("/inbox/items").json() == []  # his own workspace's inbox: empty
    assert bob.get("/inbox/items", workspace=people.acme.pk).status_code == 404
    for path, body in ((f"/inbox/items/{item.pk}/reply", {"text": "x"}),
                       (f"/inbox/items/{item.pk}/status", {"status": "done"}),
                       (f"/inbox/items/{item.pk}/assign", {"user": None})):
        assert bob.post(path, body).status_code == 404
        refused = viewer.post(path, body)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert InboxItem.objects.get(pk=item.pk).status == "open"
    assert viewer.get("/inbox/items").status_code == 200  # a viewer reads


def test_canned_and_response_times(people, world):
    canned.save(people.acme.pk, code="hours", text_el="9–17", text_en="9 to 5")
    assert Caller(people.charlie).get("/inbox/canned").json()[0]["code"] == "hours"
    assert Caller(people.bob).get("/inbox/canned").json() == []
    unknown = Caller(people.alice).post(f"/inbox/items/{world['first'].pk}/reply",
                                        {"canned": "nope"})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_canned"
    times = Caller(people.alice).get("/inbox/response-times", **{"from": "2026-01-01"}).json()
    assert times["items"] == 3 and times["answered"] == 0
    assert times["reply_time"]["median_seconds"] is None and times["business_hours"] is None
