from __future__ import annotations

import pytest
from django.db import connection

from keryx.channels.models import Channel


@pytest.mark.django_db
def test_credentials_are_encrypted_at_rest(people):
    channel = Channel.objects.create(
        workspace=people.acme, network="bluesky", name="Acme Bluesky",
        credentials={"app_password": "abcd-efgh-ijkl-mnop"},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_channel WHERE id = %s", [channel.pk])
        stored = cursor.fetchone()[0]
    assert "abcd-efgh" not in stored
    assert Channel.objects.get(pk=channel.pk).credentials == {"app_password": "abcd-efgh-ijkl-mnop"}
    assert "abcd" not in repr(channel)


def test_secret_change_makes_credentials_unreadable(settings):
    from keryx.core.crypto import decrypt_text, encrypt_text

    token = encrypt_text("secret")
    settings.SECRET_KEY = "another key entirely"
    with pytest.raises(ValueError, match="KERYX_SECRET_KEY"):
        decrypt_text(token)
