"""The API's one error format, and the handlers that turn exceptions into it.

Every error the API answers with has the body

    {"error": {"code": "not_found", "message": "No such post", "details": ...}}

`code` is stable (scripts branch on it), `message` is for people, `details` is optional and
structured (per-field or per-channel problems). Endpoints raise ApiError, or the usual Django
exceptions (Http404, PermissionDenied, ValidationError), and the handlers below map them.
This module sits below every app's api.py, so routers can import it without a cycle.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the caller can act on: an HTTP status, a stable code, a message, details."""

    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def _pydantic_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ninja's validation errors, reduced to what a caller needs (no echoed input)."""
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "payload")]
        out.append({"field": ".".join(loc), "code": err.get("type", "invalid"),
                    "message": err.get("msg", "")})
    return out


_HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
               429: "rate_limited"}


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, code: str, message: str,
                details: Any = None) -> HttpResponse:
        return api.create_response(request, error_body(code, message, details), status=status)

    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        response = respond(request, exc.status, exc.code, exc.message, exc.details)
        for name, value in exc.headers.items():
            response[name] = value
        return response

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(
            request, 401, "unauthorized",
            _("Authentication required: send 'Authorization: Bearer <token>' or sign in."),
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if exc.status_code == 400 and isinstance(cause, json.JSONDecodeError):
            return respond(
                request, 400, "invalid_json",
                _("Request body is not valid JSON: %(reason)s") % {"reason": str(cause)},
            )
        if exc.status_code == 400:
            return respond(request, 400, "bad_request", str(exc))
        if exc.status_code == 403 and "CSRF" in str(exc):
            return respond(request, 403, "csrf_failed",
                           _("CSRF check failed: send the X-CSRFToken header."))
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return respond(request, exc.status_code, code, str(exc))

    @api.exception_handler(NinjaValidationError)
    def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, 422, "validation_error", _("The request is not valid."),
                       _pydantic_errors(exc.errors))

    @api.exception_handler(DjangoValidationError)
    def _django_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            details = [{"field": field, "code": "invalid", "message": str(msg)}
                       for field, messages in exc.message_dict.items() for msg in messages]
        else:
            details = [{"field": "", "code": "invalid", "message": str(m)} for m in exc.messages]
        return respond(request, 422, "validation_error",
                       "; ".join(d["message"] for d in details) or _("The request is not valid."),
                       details)

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # The message of a scoped lookup ("No such post") never says whose it is.
        message = str(exc) or _("Not found.")
        return respond(request, 404, "not_found", message)

    @api.exception_handler(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, "forbidden",
                       str(exc) or _("Your role does not allow this."))

    @api.exception_handler(MultiPartParserError)
    def _bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        # e.g. "Content-Type: multipart/form-data" without a boundary: the body cannot be read.
        return respond(request, 400, "invalid_body",
                       _("The request body cannot be read: %(reason)s") % {"reason": str(exc)})

    @api.exception_handler(OverflowError)
    def _huge_number(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # An id beyond the database's integer range names nothing that exists.
        return respond(request, 404, "not_found", _("Not found."))

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return respond(request, 500, "internal_error", _("Something went wrong on our side."))
