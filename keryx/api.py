"""The REST API root: /api/v1/. Each app contributes a router from its own api.py.

Authentication, tried in order:
1. `Authorization: Bearer kx_…` personal tokens (keryx.accounts.auth.ApiTokenAuth);
2. the browser session, with CSRF checked on unsafe methods, so the UI's own scripts can call it.

Errors all have one shape, {"error": {"code", "message", "details"}} (keryx.api_errors).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import SessionAuth

from keryx.accounts.auth import ApiTokenAuth
from keryx.api_errors import error_body, install_error_handlers
from keryx.api_openapi import document_errors


class BrowserSessionAuth(SessionAuth):
    """The signed-in browser session, CSRF-checked on unsafe methods.

    Ninja's SessionAuth checks CSRF before it knows whether there is a session at all, so a
    script with a wrong token would be told "CSRF failed" instead of "unauthenticated". Here a
    request that carries a bearer token, or has no signed-in session, simply does not match.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)


class KeryxAPI(NinjaAPI):
    """Ninja's API, with the error answers added to each operation of the OpenAPI schema."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return document_errors(super().get_openapi_schema(**kwargs))


api = KeryxAPI(
    title="Keryx API",
    version="1",
    description=(
        "Schedule and publish posts, manage channels and workspaces. "
        "Authenticate with `Authorization: Bearer <token>` (create one with "
        "`keryx tokens create --name NAME`). Errors: "
        '`{"error": {"code": "...", "message": "...", "details": ...}}`.'
    ),
    auth=[ApiTokenAuth(), BrowserSessionAuth(csrf=True)],
    urls_namespace="api",
)
install_error_handlers(api)


def _install_publishing_handlers() -> None:
    from keryx.publishing.schemas import problem_details
    from keryx.publishing.services import MediaRejected, PostRejected

    @api.exception_handler(PostRejected)
    def _rejected(request: HttpRequest, exc: PostRejected) -> HttpResponse:
        return api.create_response(
            request,
            error_body("post_rejected", str(exc), problem_details(exc.problems)),
            status=422,
        )

    @api.exception_handler(MediaRejected)
    def _media_rejected(request: HttpRequest, exc: MediaRejected) -> HttpResponse:
        return api.create_response(request, error_body("media_rejected", str(exc)), status=422)


_install_publishing_handlers()


def _mount_routers() -> None:
    from keryx.analytics.api import router as analytics_router
    from keryx.analytics.competitors_api import router as competitors_router
    from keryx.channels.api import router as channels_router
    from keryx.core.api import router as core_router
    from keryx.inbox.api import router as inbox_router
    from keryx.listening.alerts_api import router as listening_alerts_router
    from keryx.listening.api import router as listening_router
    from keryx.publishing.api import router as publishing_router
    from keryx.strategy.api import router as strategy_router

    api.add_router("/", core_router)
    api.add_router("/channels", channels_router)
    api.add_router("/", publishing_router)
    api.add_router("/analytics/competitors", competitors_router)
    api.add_router("/analytics", analytics_router)
    api.add_router("/inbox", inbox_router)
    api.add_router("/strategy", strategy_router)
    api.add_router("/listening", listening_router)
    api.add_router("/listening", listening_alerts_router)


_mount_routers()
