"""Keryx short links: /l/<code> redirects and counts clicks."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from keryx.links import services
from keryx.links.models import ClickDay, ShortLink


def test_the_same_destination_gives_the_same_code_in_a_workspace(people):
    a = services.shorten(people.acme, "https://example.com/x")
    b = services.shorten(people.acme, "https://example.com/x")
    c = services.shorten(people.globex, "https://example.com/x")
    assert a.pk == b.pk and a.pk != c.pk and a.code != c.code
    assert len(a.code) == services.CODE_LENGTH and a.code.isalnum()


def test_a_click_redirects_and_counts(client, people, settings):
    settings.BASE_URL = "https://k.example"
    link = services.shorten(people.acme, "https://example.com/landing?utm_source=x")
    assert services.short_url(link) == f"https://k.example/l/{link.code}"
    for _ in range(3):
        response = client.get(f"/l/{link.code}")
        assert response.status_code == 302
        assert response["Location"] == "https://example.com/landing?utm_source=x"
        assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    link.refresh_from_db()
    assert link.clicks == 3 and link.last_clicked_at is not None
    today = timezone.now().date()
    assert ClickDay.objects.get(link=link, day=today).clicks == 3


def test_a_head_request_is_answered_but_not_counted(client, people):
    link = services.shorten(people.acme, "https://example.com/")
    response = client.head(f"/l/{link.code}")
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.clicks == 0 and not ClickDay.objects.exists()


def test_unknown_codes_and_other_methods(client, people):
    link = services.shorten(people.acme, "https://example.com/")
    assert client.get("/l/nope123").status_code == 404
    assert client.post(f"/l/{link.code}").status_code == 405
    link.refresh_from_db()
    assert link.clicks == 0


def test_clicks_on_another_day_go_to_their_own_row(people):
    link = services.shorten(people.acme, "https://example.com/")
    ClickDay.objects.create(link=link, day=date(2020, 1, 1), clicks=5)
    services.follow(link.code)
    assert sorted(ClickDay.objects.filter(link=link).values_list("clicks", flat=True)) == [1, 5]


@pytest.mark.django_db(transaction=True)
def test_concurrent_clicks_are_never_lost(people):
    """Clicks arrive at once from several threads: every one is counted (guarded updates)."""
    import threading

    link = services.shorten(people.acme, "https://example.com/")
    errors: list[BaseException] = []

    def click() -> None:
        from django.db import connections
        try:
            for _ in range(10):
                services.follow(link.code)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    link = ShortLink.objects.get(pk=link.pk)
    assert link.clicks == 40
    assert sum(ClickDay.objects.filter(link=link).values_list("clicks", flat=True)) == 40


def test_the_links_page_shows_only_this_workspaces_links(client, people):
    mine = services.shorten(people.acme, "https://acme.example/")
    theirs = services.shorten(people.globex, "https://globex.example/")
    client.force_login(people.alice)
    page = client.get("/links/").content.decode()
    assert mine.code in page and theirs.code not in page
