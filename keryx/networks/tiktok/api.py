"""TikTok's API: its {"error": {"code", ...}} envelope mapped to the taxonomy, authenticated
calls, and the token endpoint (code exchange and refresh)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from keryx.networks.base import (
    AuthExpired,
    BadContent,
    Disconnected,
    OutcomeUnknown,
    RateLimited,
    TokenSet,
    Transient,
)
from keryx.networks.common import BaseProvider
from keryx.networks.http import error_message, parse_retry_after, raise_for_status

# error.code -> taxonomy (https://developers.tiktok.com/doc/tiktok-api-v2-error-handling and
# the per-endpoint error tables of the Content Posting API).
AUTH_CODES = {"access_token_invalid", "scope_not_authorized", "scope_permission_missed"}
RATE_CODES = {
    "rate_limit_exceeded", "spam_risk_too_many_posts", "spam_risk_too_many_pending_share",
    "reached_active_user_cap",
}
GONE_CODES = {"spam_risk_user_banned_from_posting", "user_has_no_permission"}
CONTENT_CODES = {
    "invalid_params", "privacy_level_option_mismatch", "url_ownership_unverified",
    "unaudited_client_can_only_post_to_private_accounts", "file_format_check_failed",
    "duration_check_failed", "frame_rate_check_failed", "picture_size_check_failed",
    "video_pull_failed", "photo_pull_failed", "invalid_file_upload", "spam_risk_text",
}
# A daily cap without a published figure: wait an hour before trying again.
DAILY_CAP_WAIT = 3600.0


def raise_api_error(response: httpx.Response, body: Any, *, safe: bool) -> None:
    """Map TikTok's {"error": {"code", "message", "log_id"}} envelope to the taxonomy."""
    error = body.get("error") if isinstance(body, dict) else None
    code = str(error.get("code") or "") if isinstance(error, dict) else ""
    if code == "ok" and response.status_code < 400:
        return
    if not code:
        raise_for_status(response, sent_unsafe=not safe)
        return
    message = str(error.get("message") or "") or code
    text = f"TikTok: {message} ({code})" if message != code else f"TikTok: {code}"
    status = response.status_code
    if code in AUTH_CODES:
        raise AuthExpired(text, status=status, raw=body)
    if code in RATE_CODES:
        wait = parse_retry_after(response.headers)
        if wait is None:
            wait = 60.0 if code == "rate_limit_exceeded" else DAILY_CAP_WAIT
        # rate_limit_exceeded counts the app's (client key's) calls; the caps are the user's.
        raise RateLimited(text, retry_after=wait, status=status, raw=body,
                          scope="app" if code == "rate_limit_exceeded" else "channel")
    if code in GONE_CODES:
        raise Disconnected(text, status=status, raw=body)
    if code in CONTENT_CODES or 400 <= status < 500:
        raise BadContent(text, status=status, raw=body)
    if status in (502, 503, 504) or safe:
        raise Transient(text, status=status, raw=body)
    raise OutcomeUnknown(text, status=status, raw=body)


def raise_failed(reason: str, data: dict[str, Any]) -> None:
    text = f"TikTok could not publish the post: {reason}"
    if reason in RATE_CODES:
        raise RateLimited(text, retry_after=DAILY_CAP_WAIT, raw=data)
    if reason in AUTH_CODES or reason == "auth_removed":
        raise AuthExpired(text, raw=data)
    if reason in {"internal", "internal_error", "publish_cancelled"}:
        # Nothing was published: TikTok says it failed, so another attempt is safe.
        raise Transient(text, raw=data)
    raise BadContent(text, raw=data)


class TikTokApi(BaseProvider):
    """Calls to TikTok's API as this channel's creator."""

    def _headers(self) -> dict[str, str]:
        token = self.access_token()
        return {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json; charset=UTF-8",
        }

    def _api(self, path: str, *, json: Any = None, params: dict[str, str] | None = None,
             method: str = "POST", safe: bool | None = None) -> dict[str, Any]:
        if safe is None:
            safe = method == "GET"
        response = self.http.request(
            method, self.api + path, headers=self._headers(), json=json, params=params,
            safe_to_repeat=safe, check_status=False,
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise_for_status(response, sent_unsafe=not safe)
            raise Transient(
                f"TikTok answered {response.status_code} with something not JSON."
            ) from exc
        raise_api_error(response, body, safe=safe)
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}

    def _token(self, form: dict[str, str]) -> TokenSet:
        form = {"client_key": self.context.client_id,
                "client_secret": self.context.client_secret, **form}
        response = self.http.request(
            "POST", self.api + self.oauth.token_path, data=form, safe_to_repeat=True,
            headers={"Content-Type": "application/x-www-form-urlencoded"}, check_status=False,
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or not body.get("access_token"):
            message = f"TikTok: {error_message(response)}"
            if response.status_code == 429:
                raise RateLimited(message, retry_after=parse_retry_after(response.headers) or 60.0)
            if response.status_code >= 500:
                raise Transient(message, status=response.status_code)
            if body.get("error") in {"invalid_grant", "invalid_client", "access_denied"} or (
                form.get("grant_type") == "refresh_token"
            ):
                raise AuthExpired(message, status=response.status_code, raw=body)
            raise BadContent(message, status=response.status_code, raw=body)
        expires_in = body.get("expires_in")
        raw = {k: body[k] for k in ("open_id", "refresh_expires_in", "token_type") if k in body}
        return TokenSet(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or form.get("refresh_token") or ""),
            expires_at=datetime.now(UTC) + timedelta(seconds=int(expires_in))
            if expires_in else None,
            scope=str(body.get("scope") or ""),
            raw=raw,
        )

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str = "") -> TokenSet:
        form = {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return self._token(form)

    def refresh(self) -> TokenSet:
        refresh_token = self.credentials.get("refresh_token")
        if not refresh_token:
            raise AuthExpired("No refresh token stored for this TikTok channel; reconnect it.")
        tokens = self._token({"grant_type": "refresh_token", "refresh_token": str(refresh_token)})
        self.credentials.update(tokens.as_credentials())
        return tokens
