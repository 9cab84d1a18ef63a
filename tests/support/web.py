"""Django test clients signed in as someone."""

from __future__ import annotations

from typing import Any

from django.test import Client


def signed_in(user: Any, *, client: Client | None = None, password: str | None = None) -> Client:
    """`client` (a new one by default) signed in as `user`. With `password` the sign-in goes
    through the real login (authentication backend included); without, straight to a session."""
    client = Client() if client is None else client
    if password is None:
        client.force_login(user)
    else:
        assert client.login(username=user.username, password=password)
    return client
