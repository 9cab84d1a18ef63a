"""Connecting a Mastodon account: registering Keryx as an OAuth client on the user's server,
the authorize URL and the code exchange (each server is its own authorization server)."""

from __future__ import annotations

from urllib.parse import urlencode

from keryx.networks.base import BadContent
from keryx.networks.http import HttpSeam
from keryx.networks.mastodon.server import json_body, normalize_instance_url

OAUTH_SCOPES = "read write"


class MastodonApp:
    """The OAuth steps, callable on the provider class before any channel exists."""

    normalize_instance = staticmethod(normalize_instance_url)

    @classmethod
    def register_app(
        cls,
        instance: str,
        redirect_uri: str,
        *,
        client_name: str = "Keryx",
        website: str = "",
        timeout: float = 30.0,
        allow_private: tuple[str, ...] = (),
    ) -> dict[str, str]:
        """Register Keryx as an OAuth client on the server: {"client_id", "client_secret"}."""
        http = HttpSeam(timeout=timeout, allow_private=allow_private)
        data = {"client_name": client_name, "redirect_uris": redirect_uri, "scopes": OAUTH_SCOPES}
        if website:
            data["website"] = website
        # Registering twice only leaves an unused app on the server: safe to repeat.
        response = http.request(
            "POST", instance.rstrip("/") + "/api/v1/apps", data=data, safe_to_repeat=True
        )
        body = json_body(response)
        if not body.get("client_id") or not body.get("client_secret"):
            raise BadContent("The server did not return OAuth client credentials.")
        return {"client_id": body["client_id"], "client_secret": body["client_secret"]}

    @staticmethod
    def authorize_url(instance: str, client_id: str, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": OAUTH_SCOPES,
                "state": state,
            }
        )
        return f"{instance.rstrip('/')}/oauth/authorize?{query}"

    @classmethod
    def exchange_code(
        cls,
        instance: str,
        client: dict[str, str],
        redirect_uri: str,
        code: str,
        *,
        timeout: float = 30.0,
        allow_private: tuple[str, ...] = (),
    ) -> dict[str, str]:
        """Trade an authorization code for credentials: {"access_token"}."""
        http = HttpSeam(timeout=timeout, allow_private=allow_private)
        response = http.request(
            "POST",
            instance.rstrip("/") + "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
                "redirect_uri": redirect_uri,
                "scope": OAUTH_SCOPES,
            },
            # A code works once; a repeated exchange fails cleanly rather than doing harm.
            safe_to_repeat=True,
        )
        token = json_body(response).get("access_token")
        if not token:
            raise BadContent("The server did not return an access token.")
        return {"access_token": str(token)}
