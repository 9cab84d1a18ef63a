"""Helpers for the API and CLI tests: a JSON client that sends a personal token, channels that
validate without any network (a Mastodon channel whose limits are already known), images."""

from __future__ import annotations

import io
import json
from typing import Any

from django.test import Client

from keryx.accounts.models import ApiToken
from keryx.channels.models import Channel
from keryx.core.models import Workspace

API = "/api/v1"


class Caller:
    """Django's test client, through the real URLconf and ninja, as one token holder."""

    def __init__(self, user: Any) -> None:
        self.user = user
        _token, self.token = ApiToken.issue(user, "tests")
        self.client = Client()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(API + path, params, headers=self._headers())

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            API + path, json.dumps(body if body is not None else {}),
            content_type="application/json", headers=self._headers(),
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            API + path, json.dumps(body), content_type="application/json",
            headers=self._headers(),
        )

    def raw(self, method: str, path: str, data: Any, content_type: str) -> Any:
        return getattr(self.client, method)(
            API + path, data, content_type=content_type, headers=self._headers()
        )

    def upload(self, workspace_id: int, name: str, content: bytes, alt_text: str = "") -> Any:
        upload = io.BytesIO(content)
        upload.name = name
        return self.client.post(
            API + "/media",
            {"workspace": str(workspace_id), "alt_text": alt_text, "file": upload},
            headers=self._headers(),
        )


def mastodon_channel(workspace: Workspace, name: str = "masto", **settings: Any) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="mastodon",
        name=name,
        handle=f"{name}@mastodon.example",
        credentials={"access_token": f"secret-{name}-token"},
        settings={"instance": "https://mastodon.example", "max_characters": 500, **settings},
    )


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]
