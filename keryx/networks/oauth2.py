"""OAuth 2.0 authorization-code pieces every OAuth network shares: PKCE, the authorize URL and
the token endpoint call (code exchange and refresh). Pure Python, no Django.

A provider whose network follows RFC 6749 closely can implement exchange_code()/refresh() with
`token_request(...)`; one that deviates (other parameter names, tokens nested in the answer)
parses its own answer but can still use `pkce_pair()` and `endpoint()`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from keryx.networks.base import AuthExpired, BadContent, OAuth2Spec, TokenSet
from keryx.networks.http import HttpSeam, error_message, raise_for_status


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) for the S256 method (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)[:96]
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def endpoint(base: str, path: str) -> str:
    """A path joined to a base URL; an absolute URL in `path` wins (some networks keep the
    authorize page on another host than the API)."""
    if path.startswith(("https://", "http://")):
        return path
    return base.rstrip("/") + "/" + path.lstrip("/")


def authorize_url(
    spec: OAuth2Spec,
    oauth_base: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str = "",
) -> str:
    params: dict[str, str] = {
        "response_type": "code",
        spec.client_id_param: client_id,
        "redirect_uri": redirect_uri,
        "scope": spec.scope_separator.join(spec.scopes),
        "state": state,
    }
    if spec.pkce and code_challenge:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = "S256"
    params.update(spec.extra_authorize_params)
    url = endpoint(oauth_base, spec.authorize_path)
    return url + ("&" if "?" in url else "?") + urlencode(params)


def token_set(body: dict[str, Any], *, keep_refresh_token: str = "") -> TokenSet:
    """A TokenSet from a standard token response. `expires_in` (seconds) becomes an absolute
    time; a missing refresh_token keeps the one we had (networks that do not rotate it)."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise BadContent("The token endpoint answered without an access token.", raw=body)
    expires_at: datetime | None = None
    expires_in = body.get("expires_in")
    if expires_in not in (None, ""):
        try:
            expires_at = datetime.now(UTC) + timedelta(seconds=float(expires_in))
        except (TypeError, ValueError):
            expires_at = None
    scope = body.get("scope") or ""
    if isinstance(scope, list):
        scope = " ".join(str(s) for s in scope)
    return TokenSet(
        access_token=access,
        refresh_token=str(body.get("refresh_token") or keep_refresh_token or ""),
        expires_at=expires_at,
        scope=str(scope),
        raw={k: v for k, v in body.items() if k not in {"access_token", "refresh_token"}},
    )


def token_request(
    seam: HttpSeam,
    spec: OAuth2Spec,
    url: str,
    data: dict[str, str],
    *,
    client_id: str,
    client_secret: str,
    keep_refresh_token: str = "",
) -> TokenSet:
    """POST to the token endpoint with the client authenticated as the spec says.

    A refused grant (400 invalid_grant, 401) raises AuthExpired with the network's reason:
    the user has to authorize again. Token calls are safe to repeat (no side effect a retry
    could duplicate), so timeouts are Transient."""
    form = dict(data)
    auth: tuple[str, str] | None = None
    if spec.client_auth == "basic":
        auth = (client_id, client_secret)
    else:
        form["client_id"] = client_id
        if client_secret:
            form["client_secret"] = client_secret
    kwargs: dict[str, Any] = {"data": form, "headers": {"Accept": "application/json"}}
    if auth is not None:
        kwargs["auth"] = auth
    response = seam.request("POST", url, safe_to_repeat=True, check_status=False, **kwargs)
    if response.status_code in (400, 401):
        raise AuthExpired(error_message(response), status=response.status_code)
    raise_for_status(response, sent_unsafe=False)
    try:
        body = response.json()
    except ValueError as exc:
        raise BadContent("The token endpoint did not answer JSON.") from exc
    if not isinstance(body, dict):
        raise BadContent("The token endpoint answered something other than an object.")
    return token_set(body, keep_refresh_token=keep_refresh_token)


__all__ = [
    "authorize_url",
    "endpoint",
    "pkce_challenge",
    "pkce_pair",
    "token_request",
    "token_set",
]
