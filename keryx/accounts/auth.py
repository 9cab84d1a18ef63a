"""API authentication: `Authorization: Bearer kx_…` personal tokens, or the browser session
(with CSRF checked on unsafe methods) so the UI's own scripts can call the API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from keryx.accounts import throttle
from keryx.accounts.models import ApiToken, TokenScope, hash_token
from keryx.api_errors import ApiError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # Wrong tokens are counted per address; a locked address is refused before the lookup,
        # with the right token too, so guessing gains nothing while the lock lasts.
        limit, address = throttle.api_token_limit(), throttle.client_address(request)
        wait = throttle.retry_after(limit, address)
        if wait:
            raise _rate_limited(wait)
        try:
            api_token = ApiToken.objects.select_related("user").get(
                token_hash=hash_token(token), revoked_at__isnull=True
            )
        except ApiToken.DoesNotExist:
            wait = throttle.record_failure(limit, address)
            if wait:
                raise _rate_limited(wait) from None
            return None
        if not api_token.user.is_active:
            return None
        now = timezone.now()
        if api_token.expires_at is not None and api_token.expires_at <= now:
            return None  # 401, as for a revoked token
        if api_token.scope == TokenScope.READ and request.method not in SAFE_METHODS:
            raise ApiError(
                403, "token_read_only",
                _("This token is read-only: it may not change anything. Create a token "
                  "with the publish scope."),
            )
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        return api_token.user


def _rate_limited(wait: int) -> ApiError:
    return ApiError(
        429, "rate_limited",
        _("Too many wrong tokens from this address. %(when)s")
        % {"when": throttle.wait_message(wait)},
        headers={"Retry-After": str(wait)},
    )
