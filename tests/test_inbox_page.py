"""The inbox stream page (issue 15, performance): a constant number of queries whatever the
page holds, keyset pages through "Older" with nothing skipped or shown twice, and each row's
action forms (built once per page in keryx/inbox/rows.py) escaped, translated and posting."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from keryx.inbox import services
from keryx.inbox.models import CannedReply, InboxItem, ModerationLog, Reply, ReplyState, Status
from keryx.inbox.views import PAGE
from keryx.networks.community import InboxItem as Remote
from keryx.networks.community import InboxKind
from tests.api_support import mastodon_channel

pytestmark = pytest.mark.django_db
_ids = iter(range(1, 100_000))


def store(channel, text: str, author: str = "fan", thread: str | None = None) -> InboxItem:
    number = next(_ids)
    return services.store(channel, Remote(
        remote_id=str(number), kind=InboxKind.COMMENT, text=text, author_handle=author,
        author_name=author.title(), created_at=datetime(2026, 5, 1, tzinfo=UTC),
        conversation_id=thread or f"thread:{number}"))[0]


def furnish(item: InboxItem, people, n: int) -> None:
    """Everything a row can show: labels, an assignee, a failed reply (a draft), a sent one, a
    moderation entry and a note on its conversation."""
    services.set_labels(item, [f"l{n}", "vip"])
    services.assign(item, people.alice)
    Reply.objects.create(item=item, text=f"draft {n}", idempotency_key=f"d{item.pk}",
                         state=ReplyState.FAILED)
    Reply.objects.create(item=item, text=f"sent {n}", idempotency_key=f"s{item.pk}",
                         state=ReplyState.SENT)
    ModerationLog.objects.create(item=item, rule_name=f"rule {n}", action="label")
    services.add_note(item.conversation, people.alice, f"note {n}")


def queries(client: Client, url: str, expect: str) -> int:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert expect in response.content.decode()
    return len(captured)


def test_query_count_does_not_grow_with_items(people):
    channel = mastodon_channel(people.acme)
    other = mastodon_channel(people.acme, name="second")
    CannedReply.objects.create(workspace=people.acme, code="thanks", text_en="Thanks!")
    client = Client()
    client.force_login(people.alice)
    for n in range(3):
        furnish(store(channel, f"item {n}", author=f"a{n}"), people, n)
    few = queries(client, reverse("inbox:list"), "draft 2")
    for n in range(3, 30):
        furnish(store(other if n % 2 else channel, f"item {n}", author=f"a{n % 7}"), people, n)
    page = reverse("inbox:list")
    many = queries(client, page, "draft 29")
    assert many == few, f"{few} queries for 3 items but {many} for 30"
    # the same with every status and a filter
    assert queries(client, page + "?status=all&language=", "note 29") == few


def test_older_pages_show_every_item_once_even_with_equal_times(people):
    channel = mastodon_channel(people.acme)
    items = [store(channel, f"item-{n}-end") for n in range(PAGE + 7)]
    # Half of them arrived in the same instant: the page boundary falls inside the tie.
    InboxItem.objects.filter(pk__in=[i.pk for i in items[:PAGE]]).update(
        received_at=datetime(2026, 5, 2, tzinfo=UTC))
    client = Client()
    client.force_login(people.alice)
    seen: list[int] = []
    url = reverse("inbox:list") + "?status=open&kind="
    for _ in range(5):
        page = client.get(url).content.decode()
        seen += [int(n) for n in re.findall(r'id="item-(\d+)"', page)]
        older = re.search(r'class="pager"><a class="button" href="\?([^"]+)"', page)
        if not older:
            break
        assert "status=open" in older.group(1)  # the filters are kept
        url = reverse("inbox:list") + "?" + older.group(1).replace("&amp;", "&")
    assert sorted(seen) == sorted(i.pk for i in items)
    assert len(seen) == len(set(seen))
    expected = list(InboxItem.objects.filter(workspace=people.acme).values_list("pk", flat=True))
    assert seen == expected  # the stream's order, newest first


def test_before_of_another_workspace_is_ignored(people):
    mine = store(mastodon_channel(people.acme), "mine")
    theirs = store(mastodon_channel(people.globex), "theirs")
    InboxItem.objects.filter(pk=theirs.pk).update(received_at=datetime(2000, 1, 1, tzinfo=UTC))
    client = Client()
    client.force_login(people.alice)
    page = client.get(reverse("inbox:list") + f"?before={theirs.pk}").content.decode()
    assert f'id="item-{mine.pk}"' in page and "theirs" not in page
    bad = client.get(reverse("inbox:list") + "?before=x%3C").content.decode()
    assert f'id="item-{mine.pk}"' in bad


def test_row_forms_escape_translate_and_post(people, django_user_model):
    channel = mastodon_channel(people.acme)
    item = store(channel, "<script>alert(1)</script> Καλημέρα")
    services.set_labels(item, ['<img src=x onerror="1">'])
    Reply.objects.create(item=item, text="</textarea><b>draft</b>", idempotency_key="k1",
                         state=ReplyState.FAILED)
    CannedReply.objects.create(workspace=people.acme, code="hi", title="<i>Hello</i>",
                               text_en="Hi")
    client = Client()
    client.force_login(people.alice)
    page = client.get(reverse("inbox:list")).content.decode()
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;1&quot;&gt;" in page
    assert "&lt;/textarea&gt;&lt;b&gt;draft&lt;/b&gt;</textarea>" in page
    assert "/hi · &lt;i&gt;Hello&lt;/i&gt;</option>" in page
    assert '<option value="open" selected>' in page
    assert f'<option value="{people.alice.pk}">alice@example.com</option>' in page
    for name in ("reply", "triage", "hide", "decide", "block"):
        assert reverse(f"inbox:{name}", args=[item.pk]) in page
    assert page.count('name="csrfmiddlewaretoken"') >= 6

    # The triage form as rendered posts what the view expects.
    form = re.search(r'<form method="post" action="[^"]+" class="triage">(.*?)</form>', page,
                     re.S).group(1)
    assert 'name="status"' in form and 'name="assignee"' in form and 'name="labels"' in form
    client.post(reverse("inbox:triage", args=[item.pk]),
                {"status": "done", "assignee": str(people.alice.pk), "labels": "a, b"})
    item.refresh_from_db()
    assert (item.status, item.assignee_id, item.labels) == (Status.DONE, people.alice.pk,
                                                            ["a", "b"])

    with translation.override("en"):  # puts back the language the middleware switched to
        greek = client.get(reverse("inbox:list") + "?status=all",
                           HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "Καλημέρα" in greek
    assert ">Send reply<" not in greek and ">Save<" not in greek

    viewer = Client()
    viewer.force_login(people.charlie)
    seen = viewer.get(reverse("inbox:list") + "?status=all").content.decode()
    assert "Καλημέρα" in seen
    assert reverse("inbox:reply", args=[item.pk]) not in seen
    assert reverse("inbox:triage", args=[item.pk]) not in seen
