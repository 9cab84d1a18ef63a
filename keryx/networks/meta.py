"""Meta Graph API answers (Facebook, Instagram, Threads): the error body and the usage headers,
mapped to the shared taxonomy. Only parsing lives here; each provider makes its own calls.

An error answer looks like
    {"error": {"message": "...", "type": "OAuthException", "code": 190, "error_subcode": 463,
               "error_user_title": "...", "error_user_msg": "...", "is_transient": false,
               "fbtrace_id": "..."}}
and usually comes with HTTP 400 whatever the cause, so the `code` decides, not the status
(Graph API guide "Handling errors"; Threads and the Instagram API with Instagram Login answer
in the same shape).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
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
from keryx.networks.http import HttpSeam, parse_retry_after, raise_for_status
from keryx.networks.oauth2 import token_set
from keryx.networks.times import parse_iso_time

# Codes from the Graph API error-handling guide and the rate-limiting page.
AUTH_CODES = frozenset({102, 190})  # session / access token invalid or expired
PERMISSION_CODES = frozenset({10, *range(200, 300)})  # a permission (scope) is missing
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
APP_THROTTLE_CODE = 4  # "Application request limit reached"
TRANSIENT_CODES = frozenset({1, 2})
# "Unsupported get request. Object with ID ... does not exist": the post was deleted.
MISSING_OBJECT = (100, 33)  # "unknown" / "service temporarily unavailable"
# 190 subcodes that mean the user took the app's access away rather than the token ageing out.
REVOKED_SUBCODES = frozenset({458, 459, 460})
# Instagram: "the account has reached its limit of posts per 24 hours" (content publishing).
PUBLISH_LIMIT_SUBCODES = frozenset({2207042})
# Instagram: "the media is not ready for publishing" (code 9007): nothing was published, a
# later attempt can succeed.
NOT_READY_SUBCODES = frozenset({2207027})
# Without a usable header, a throttled app waits this long (the windows are a rolling hour).
DEFAULT_THROTTLE_WAIT = 15 * 60.0


def graph_error(response: httpx.Response) -> dict[str, Any]:
    """The `error` object of an answer, {} when the body has none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    return {}


def error_text(error: dict[str, Any], fallback: str = "") -> str:
    """The message meant for the user when Meta gives one, else the developer message."""
    title = str(error.get("error_user_title") or "").strip()
    user_msg = str(error.get("error_user_msg") or "").strip()
    if user_msg:
        return f"{title}: {user_msg}" if title and title not in user_msg else user_msg
    return str(error.get("message") or fallback or "The network refused the request.")


def parse_graph_time(value: Any) -> datetime | None:
    """A Graph API time ("2026-01-01T12:00:00+0000", an offset without a colon) or any ISO
    8601 time, as an aware datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return parse_iso_time(value)


def _header_json(headers: httpx.Headers, name: str) -> Any:
    value = headers.get(name)
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def usage(headers: httpx.Headers) -> dict[str, float]:
    """The highest usage percentage per header (x-app-usage, x-business-use-case-usage,
    x-ad-account-usage) and the longest `estimated_time_to_regain_access` (minutes)."""
    result: dict[str, float] = {}
    app = _header_json(headers, "x-app-usage")
    if isinstance(app, dict):
        result["app"] = max((float(v) for v in app.values() if _number(v)), default=0.0)
    buc = _header_json(headers, "x-business-use-case-usage")
    if isinstance(buc, dict):
        peak, regain = 0.0, 0.0
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else [entries]:
                if not isinstance(entry, dict):
                    continue
                for key in ("call_count", "total_cputime", "total_time"):
                    if _number(entry.get(key)):
                        peak = max(peak, float(entry[key]))
                if _number(entry.get("estimated_time_to_regain_access")):
                    regain = max(regain, float(entry["estimated_time_to_regain_access"]))
        result["business"] = peak
        if regain:
            result["regain_minutes"] = regain
    ads = _header_json(headers, "x-ad-account-usage")
    if isinstance(ads, dict) and _number(ads.get("acc_id_util_pct")):
        result["ad_account"] = float(ads["acc_id_util_pct"])
    return result


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def retry_after(headers: httpx.Headers) -> float:
    """Seconds to wait after a throttle: Retry-After, else the business-use-case estimate,
    else a default that lets the rolling one-hour window move on."""
    seconds = parse_retry_after(headers)
    if seconds is not None:
        return seconds
    regain = usage(headers).get("regain_minutes")
    if regain:
        return regain * 60.0
    return DEFAULT_THROTTLE_WAIT


def near_limit(headers: httpx.Headers, threshold: float = 95.0) -> bool:
    """True when any usage header says the app is about to be throttled."""
    return any(v >= threshold for k, v in usage(headers).items() if k != "regain_minutes")


def raise_for_graph(response: httpx.Response, *, sent_unsafe: bool) -> None:
    """Map a Graph API error answer to the taxonomy; 2xx/3xx return quietly."""
    status = response.status_code
    if status < 400:
        return
    error = graph_error(response)
    if not error:
        raise_for_status(response, sent_unsafe=sent_unsafe)
        return
    message = error_text(error, f"HTTP {status}")
    code = error.get("code")
    subcode = error.get("error_subcode")
    kw = {"status": status, "raw": {"error": error}}
    if code in AUTH_CODES:
        if subcode in REVOKED_SUBCODES:
            raise AuthExpired(f"The app's access was removed: {message}", **kw)
        raise AuthExpired(message, **kw)
    if code in PERMISSION_CODES:
        raise AuthExpired(f"A permission is missing; reconnect and allow it: {message}", **kw)
    if code in THROTTLE_CODES or status == 429 or subcode in PUBLISH_LIMIT_SUBCODES:
        # Code 4 is the application's own limit (every user of the app waits); the others
        # are one user's, Page's or account's.
        raise RateLimited(message, retry_after=retry_after(response.headers),
                          scope="app" if code == APP_THROTTLE_CODE else "channel", **kw)
    if (code in TRANSIENT_CODES or error.get("is_transient") is True or status >= 500
            or subcode in NOT_READY_SUBCODES):
        if status >= 500 and status not in (502, 503, 504) and sent_unsafe:
            raise OutcomeUnknown(f"The network answered {status}: {message}", **kw)
        raise Transient(message, **kw)
    if status == 404 or code == 803:
        raise Disconnected(message, **kw)
    raise BadContent(message, **kw)


def wait_for_container(
    fetch: Callable[[], dict[str, Any]],
    *,
    network: str,
    status_field: str,
    reason_field: str,
    timeout: float,
    sleep: Callable[[float], None],
    reason_on_timeout: bool = False,
) -> None:
    """Poll a media container (Instagram, Threads) until FINISHED or PUBLISHED.

    `fetch()` reads the container; its `status_field` holds the state and `reason_field` the
    network's explanation. ERROR is BadContent (the media itself is refused), EXPIRED is
    Transient (a new container can succeed), and so is a wait longer than `timeout` seconds:
    nothing was published yet, so a later attempt is safe. The pause doubles up to 15 s."""
    deadline = time.monotonic() + timeout
    delay = 1.0
    while True:
        body = fetch()
        status = str(body.get(status_field) or "")
        if status in ("FINISHED", "PUBLISHED"):
            return
        reason = str(body.get(reason_field) or status)
        if status == "ERROR":
            raise BadContent(f"{network} could not process the media: {reason}", raw=body)
        if status == "EXPIRED":
            raise Transient(f"The {network} container expired before publishing ({reason}).",
                            raw=body)
        if time.monotonic() >= deadline:
            state = status or "unknown"
            if reason_on_timeout:
                state = f"{state}: {reason}"
            raise Transient(
                f"{network} is still processing the media after {timeout:.0f} s "
                f"(status {state}); try again later.", raw=body)
        sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 15.0)


def json_body(response: httpx.Response, network: str) -> dict[str, Any]:
    """The answer's JSON object (a list comes back as {"data": [...]}); anything that is not
    JSON is Transient, as a proxy or an outage page would be."""
    try:
        body = response.json()
    except ValueError as exc:
        raise Transient(
            f"{network} answered {response.status_code} with something that is not JSON."
        ) from exc
    return body if isinstance(body, dict) else {"data": body}


def raise_token_error(response: httpx.Response) -> None:
    """A refused token call (400/401 with a reason) is AuthExpired: the user must connect
    again. Besides the Graph shape, api.instagram.com answers
    {"error_type": ..., "code": 400, "error_message": ...}."""
    if response.status_code < 400:
        return
    error = graph_error(response)
    if not error:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if isinstance(body, dict) and body.get("error_message"):
            error = {"message": body["error_message"], "code": body.get("code")}
    if response.status_code in (400, 401) and error:
        raise AuthExpired(error_text(error), status=response.status_code)
    raise_for_graph(response, sent_unsafe=False)


def _long_lived_call(seam: HttpSeam, url: str, params: dict[str, str],
                     network: str) -> TokenSet:
    response = seam.request("GET", url, params=params, check_status=False)
    raise_token_error(response)
    return token_set(json_body(response, network))


def _kept_as_refresh(tokens: TokenSet, raw: dict[str, Any]) -> TokenSet:
    # The long-lived token is what buys the next one, so it is the refresh token too.
    return TokenSet(access_token=tokens.access_token, refresh_token=tokens.access_token,
                    expires_at=tokens.expires_at, scope=tokens.scope, raw=raw)


def exchange_long_lived(
    seam: HttpSeam,
    *,
    token_url: str,
    api: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    grant_type: str,
    network: str,
) -> TokenSet:
    """Instagram Login and Threads: the code buys a short-lived token (1 h), traded at once
    (GET {api}/access_token with `grant_type`) for a long-lived one (60 days)."""
    response = seam.request(
        "POST", token_url, safe_to_repeat=True, check_status=False,
        data={"client_id": client_id, "client_secret": client_secret,
              "grant_type": "authorization_code", "redirect_uri": redirect_uri, "code": code})
    raise_token_error(response)
    short = json_body(response, network)
    # Older answers wrap the token in {"data": [{...}]}.
    if isinstance(short.get("data"), list) and short["data"]:
        short = short["data"][0]
    long = _long_lived_call(seam, api + "/access_token", {
        "grant_type": grant_type, "client_secret": client_secret,
        "access_token": str(short.get("access_token") or "")}, network)
    raw = dict(long.raw)
    if short.get("user_id"):
        raw["user_id"] = str(short["user_id"])
    return _kept_as_refresh(long, raw)


def refresh_long_lived(seam: HttpSeam, *, api: str, token: str, grant_type: str,
                       network: str) -> TokenSet:
    """A long-lived token at least a day old and not yet expired buys a new 60-day one."""
    tokens = _long_lived_call(seam, api + "/refresh_access_token", {
        "grant_type": grant_type, "access_token": token}, network)
    return _kept_as_refresh(tokens, tokens.raw)


__all__ = [
    "error_text",
    "exchange_long_lived",
    "graph_error",
    "json_body",
    "near_limit",
    "parse_graph_time",
    "raise_for_graph",
    "raise_token_error",
    "refresh_long_lived",
    "retry_after",
    "usage",
    "wait_for_container",
]


# Reading counts (analytics): Graph errors that mean "deleted" or "permission missing".


def _codes(exc: Exception) -> tuple[Any, Any]:
    raw = getattr(exc, "raw", None)
    error = raw.get("error") if isinstance(raw, dict) else None
    if not isinstance(error, dict):
        return None, None
    return error.get("code"), error.get("error_subcode")


def object_gone(exc: Exception) -> bool:
    """A read refused because the object no longer exists (code 100 subcode 33, 803)."""
    code, subcode = _codes(exc)
    return (code, subcode) == MISSING_OBJECT or code == 803


def permission_missing(exc: Exception) -> bool:
    """A read refused for a missing permission (code 10 or 200-299), except Instagram's
    "(#10) Not enough viewers for the media to show insights", which is no refusal."""
    code, _subcode = _codes(exc)
    if code not in PERMISSION_CODES:
        return False
    return "not enough viewers" not in str(getattr(exc, "message", "")).lower()


def too_few_viewers(exc: Exception) -> bool:
    code, _subcode = _codes(exc)
    return code == 10 and "not enough viewers" in str(getattr(exc, "message", "")).lower()

