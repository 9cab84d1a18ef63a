"""Security headers Django does not set itself: a Content-Security-Policy on every response,
and the API's 405 in its JSON error shape.

The policy allows scripts and styles from our own origin only, plus any inline <script> or
<style> element that carries this response's nonce (`{{ request.csp_nonce }}` in a template).
Inline style *attributes* stay allowed (style-src-attr): the templates use them for computed
colours and positions, and an attribute cannot run script. API and other non-HTML responses
(JSON, files, the calendar feed) get a policy that allows nothing to load at all.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from keryx.api_errors import error_body

API_PREFIX = "/api/"

HTML_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'nonce-{nonce}'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data: blob: https:; media-src 'self' blob: https:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX):
            response = _json_method_not_allowed(request, response)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy_for(response).format(
                nonce=nonce
            )
        return response


def policy_for(response: HttpResponse) -> str:
    # HTML pages, the API's Swagger page among them (its scripts are served from our static).
    content_type = response.get("Content-Type", "")
    return HTML_POLICY if content_type.startswith("text/html") else DATA_POLICY


def _json_method_not_allowed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Ninja answers a method a path lacks with Django's plain-text 405; the API's callers
    expect the JSON error shape (and the Allow header) like every other error."""
    if response.status_code != 405 or response.get("Content-Type", "").startswith(
        "application/json"
    ):
        return response
    allowed = response.get("Allow", "")
    body = error_body(
        "method_not_allowed",
        _("%(method)s is not allowed here; allowed: %(allowed)s.")
        % {"method": request.method, "allowed": allowed},
        {"allowed": [m.strip() for m in allowed.split(",") if m.strip()]},
    )
    replacement = HttpResponse(json.dumps(body), status=405, content_type="application/json")
    if allowed:
        replacement["Allow"] = allowed
    return replacement


class OversizedIdMiddleware:
    """A path id beyond the database's integer range (`/posts/99999999999999999999999/`) names
    nothing: answer the usual 404 page rather than the database driver's OverflowError as a 500.
    (The API maps it itself, in keryx.api_errors.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, OverflowError):
            raise Http404 from exception
