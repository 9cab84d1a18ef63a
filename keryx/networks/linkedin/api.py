"""LinkedIn's REST API: versioned headers, its error answers mapped to the taxonomy, the
author posts are made as, and the token endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from keryx.networks import oauth2
from keryx.networks.base import (
    AuthExpired,
    BadContent,
    Disconnected,
    RateLimited,
    TokenSet,
    Transient,
)
from keryx.networks.common import BaseProvider
from keryx.networks.http import error_message, parse_retry_after, raise_for_status

# Monthly versions are supported for about a year; a channel may override it in its settings.
LINKEDIN_VERSION = "202605"


def seconds_to_utc_midnight(now: datetime | None = None) -> float:
    """LinkedIn's daily application and member limits reset at midnight UTC."""
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


def check(response: httpx.Response, *, sent_unsafe: bool) -> None:
    """LinkedIn's error answers ({"status", "serviceErrorCode", "code", "message"}) mapped to
    the taxonomy with LinkedIn's own message."""
    status = response.status_code
    if status < 400:
        return
    message = error_message(response)
    if status == 429:
        wait = parse_retry_after(response.headers)
        raise RateLimited(message, retry_after=seconds_to_utc_midnight() if wait is None
                          else wait, status=status)
    if status == 401:
        raise AuthExpired(message, status=status)
    if status == 403:
        # Missing scope (w_organization_social, ...) or the member lacks the page role: the
        # fix is to reconnect with the permission or the role granted.
        raise AuthExpired(f"LinkedIn refused the request ({message}); reconnect the channel "
                          "with the needed permission and page role.", status=status)
    if status == 422:
        raise BadContent(message, status=status)
    raise_for_status(response, sent_unsafe=sent_unsafe)


def millis(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, UTC) if isinstance(value, (int, float)) else None


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


class LinkedInApi(BaseProvider):
    """Calls to LinkedIn's API as this channel's member or page."""

    def _headers(self) -> dict[str, str]:
        token = self.access_token()
        return {
            "Authorization": f"Bearer {token}",
            "LinkedIn-Version": str(self.settings.get("linkedin_version") or LINKEDIN_VERSION),
            "X-Restli-Protocol-Version": "2.0.0",
            "Accept": "application/json",
        }

    def _call(self, method: str, url: str, *, safe_to_repeat: bool | None = None,
              **kwargs: Any) -> httpx.Response:
        if not url.startswith(("https://", "http://")):
            url = self.api + url
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        if safe_to_repeat is None:
            safe_to_repeat = method.upper() == "GET"
        response = self.http.request(method, url, headers=headers, check_status=False,
                                     safe_to_repeat=safe_to_repeat, **kwargs)
        check(response, sent_unsafe=not safe_to_repeat)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise Transient(f"LinkedIn answered {response.status_code} without JSON.") from exc

    @property
    def author(self) -> str:
        org = self.settings.get("organization_id")
        if org:
            return f"urn:li:organization:{org}"
        if self.settings.get("author"):
            return str(self.settings["author"])
        if self.settings.get("person_id"):
            return f"urn:li:person:{self.settings['person_id']}"
        raise Disconnected("This LinkedIn channel does not know its member; connect it again.")

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier and self.oauth.pkce:
            data["code_verifier"] = code_verifier
        return oauth2.token_request(
            self.http, self.oauth, oauth2.endpoint(self.oauth_base, self.oauth.token_path), data,
            client_id=self.context.client_id, client_secret=self.context.client_secret)

    def refresh(self) -> TokenSet:
        refresh_token = self.credentials.get("refresh_token")
        if not refresh_token:
            raise AuthExpired(
                "LinkedIn gives refresh tokens only to apps approved for them; this "
                "connection lasts 60 days and must then be connected again.")
        return oauth2.token_request(
            self.http, self.oauth, oauth2.endpoint(self.oauth_base, self.oauth.token_path),
            {"grant_type": "refresh_token", "refresh_token": str(refresh_token)},
            client_id=self.context.client_id, client_secret=self.context.client_secret,
            keep_refresh_token=str(refresh_token))
