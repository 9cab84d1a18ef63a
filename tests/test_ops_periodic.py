"""Token refresh with several engine processes: one refresh per channel at a time (a PostgreSQL
advisory lock across processes), and a process that waited does not spend the refresh token
another one already rotated."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from keryx.channels.models import Channel
from keryx.channels.tokens import ADVISORY_LOCK_CLASS, refresh_channel
from tests.test_oauth_refresh import channel_with, server, token_calls  # noqa: F401


@pytest.mark.django_db
def test_a_refresh_waiting_behind_another_does_not_spend_the_rotated_token(people, server):  # noqa: F811
    server.rotate_refresh = True
    channel = channel_with(people, server, expires_in=timedelta(minutes=1))
    stale = Channel.objects.get(pk=channel.pk)  # what a second process read before the first
    assert refresh_channel(channel) is True  # the first process renews and rotates
    assert refresh_channel(stale) is True  # the second: already renewed, nothing sent
    assert len(token_calls(server)) == 1
    stale.refresh_from_db()
    assert stale.credentials["refresh_token"] == channel.credentials["refresh_token"]
    assert stale.credentials["refresh_token"] in server.refresh_tokens


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_refresh_waits_for_the_lock_another_process_holds(people, server):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite runs on one machine")
    import psycopg

    channel = channel_with(people, server, expires_in=timedelta(minutes=1))
    db = connection.settings_dict
    other = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                            user=db["USER"], password=db["PASSWORD"] or None,
                            dbname=db["NAME"], autocommit=True)
    other.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_LOCK_CLASS, channel.pk])
    done = threading.Event()

    def refresh() -> None:
        try:
            refresh_channel(Channel.objects.get(pk=channel.pk))
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=refresh)
    thread.start()
    try:
        time.sleep(1.0)
        assert not done.is_set() and token_calls(server) == [], "it did not wait for the lock"
    finally:
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_LOCK_CLASS, channel.pk])
        other.close()
    thread.join(30)
    assert done.is_set() and len(token_calls(server)) == 1
