"""XRPC sessions: an app password opens a session (createSession, rate limited to 30 per 5
minutes) whose access and refresh JWTs are cached in the channel's credentials; an expired access
token is refreshed (refreshSession), and only a refused refresh logs in again."""

from __future__ import annotations

from typing import Any

import httpx

from keryx.networks.base import (
    AuthExpired,
    Disconnected,
    MissingPermission,
    ProviderContext,
    gettext_noop,
)
from keryx.networks.bluesky.lexicon import DEFAULT_SERVICE
from keryx.networks.common import BaseProvider
from keryx.networks.http import error_message, raise_for_status

# XRPC error names that mean "this access token is no longer good, refresh it".
STALE_TOKEN = {"ExpiredToken", "InvalidToken"}
# ... and those that mean the account itself cannot be used any more.
# The PDS's answer to a privileged method (chat.bsky.*) called with a non-privileged token.
PRIVILEGED_REFUSAL = "Bad token method"
ACCOUNT_GONE = {"AccountTakedown", "AccountDeactivated", "AccountNotFound", "RepoNotFound"}


def xrpc_error(response: httpx.Response) -> str:
    """The XRPC error name of an answer ("ExpiredToken", "RecordNotFound"), or ""."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return body.get("error", "") if isinstance(body, dict) else ""


def normalize_service(value: str) -> str:
    """A PDS address as stored: "https://" added when missing, no trailing slash."""
    service = (value or "").strip().rstrip("/") or DEFAULT_SERVICE
    if "://" not in service:
        service = "https://" + service
    if not service.startswith(("https://", "http://")):
        raise ValueError(gettext_noop("The server address must start with https://."))
    return service


class XrpcSession(BaseProvider):
    """A Bluesky account's authenticated XRPC calls on its PDS (`service`)."""

    def __init__(self, context: ProviderContext) -> None:
        super().__init__(context)
        # A copy: refreshed session tokens are written here, then saved through the context.
        self.credentials = dict(context.credentials)
        service = (
            self.credentials.get("service")
            or context.settings.get("service")
            or DEFAULT_SERVICE
        )
        self.service = str(service).rstrip("/")

    def _url(self, nsid: str) -> str:
        return f"{self.service}/xrpc/{nsid}"

    @property
    def _identifier(self) -> str:
        return str(self.credentials.get("identifier") or self.credentials.get("handle") or "")

    def _save(self, session: dict[str, Any]) -> None:
        update = {
            "access_jwt": session["accessJwt"],
            "refresh_jwt": session["refreshJwt"],
            "did": session["did"],
            "handle": session.get("handle", self.credentials.get("handle", "")),
        }
        self.credentials.update(update)
        if self.context.save_credentials is not None:
            self.context.save_credentials(update)

    def _create_session(self) -> dict[str, Any]:
        if not self._identifier or not self.credentials.get("app_password"):
            raise AuthExpired("A Bluesky handle and an app password are needed.")
        response = self.http.request(
            "POST",
            self._url("com.atproto.server.createSession"),
            json={
                "identifier": self._identifier,
                "password": self.credentials["app_password"],
            },
            # No record is written: a repeated login is harmless (only rate limited).
            safe_to_repeat=True,
            check_status=False,
        )
        if response.status_code in (400, 401):
            error = xrpc_error(response)
            if error in ACCOUNT_GONE:
                raise Disconnected(error_message(response), status=response.status_code)
            # "Invalid identifier or password", "AuthFactorTokenRequired", ...
            raise AuthExpired(error_message(response), status=response.status_code)
        raise_for_status(response, sent_unsafe=False)
        session = response.json()
        self._save(session)
        return session

    def _refresh_session(self) -> dict[str, Any]:
        refresh_jwt = self.credentials.get("refresh_jwt")
        if refresh_jwt:
            response = self.http.request(
                "POST",
                self._url("com.atproto.server.refreshSession"),
                headers={"Authorization": f"Bearer {refresh_jwt}"},
                safe_to_repeat=True,
                check_status=False,
            )
            if response.status_code < 400:
                session = response.json()
                self._save(session)
                return session
            if xrpc_error(response) in ACCOUNT_GONE:
                raise Disconnected(error_message(response), status=response.status_code)
            if response.status_code not in (400, 401):
                raise_for_status(response, sent_unsafe=False)
        # No refresh token, or it was refused (expired, revoked): log in again.
        return self._create_session()

    def _ensure_session(self) -> None:
        if not self.credentials.get("access_jwt") or not self.credentials.get("did"):
            self._refresh_session()

    @property
    def did(self) -> str:
        self._ensure_session()
        return str(self.credentials["did"])

    def _call(
        self,
        method: str,
        nsid: str,
        *,
        safe_to_repeat: bool | None = None,
        check_status: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """An authenticated XRPC call. A stale access token is refreshed once and the call sent
        again: the PDS refused the first one before acting on it, so repeating it is safe."""
        self._ensure_session()
        extra_headers = kwargs.pop("headers", {})
        for attempt in range(2):
            headers = {**extra_headers, "Authorization": f"Bearer {self.credentials['access_jwt']}"}
            response = self.http.request(
                method,
                self._url(nsid),
                headers=headers,
                safe_to_repeat=safe_to_repeat,
                check_status=False,
                **kwargs,
            )
            error = xrpc_error(response) if response.status_code in (400, 401) else ""
            if error == "InvalidToken" and PRIVILEGED_REFUSAL in response.text:
                # A good token of the wrong kind: an app password made without access to
                # direct messages (chat.bsky.*). Refreshing would not change that.
                raise MissingPermission(
                    "The app password does not allow direct messages: create one with "
                    "\"Allow access to your direct messages\" and reconnect the channel.",
                    permission=nsid, status=response.status_code)
            if error in STALE_TOKEN:
                if attempt == 0:
                    self._refresh_session()
                    continue
                raise AuthExpired(error_message(response), status=response.status_code)
            if error in ACCOUNT_GONE:
                raise Disconnected(error_message(response), status=response.status_code)
            break
        if check_status:
            raise_for_status(response, sent_unsafe=not (safe_to_repeat or method == "GET"))
        return response

    def resolve_handle(self, handle: str) -> str | None:
        response = self.http.request(
            "GET",
            self._url("com.atproto.identity.resolveHandle"),
            params={"handle": handle},
            check_status=False,
        )
        if response.status_code == 400:
            return None  # No such account: the mention stays plain text.
        raise_for_status(response, sent_unsafe=False)
        did = response.json().get("did")
        return did if isinstance(did, str) else None
