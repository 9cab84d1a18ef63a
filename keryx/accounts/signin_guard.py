"""Lockout of repeated failed sign-ins on every sign-in page (ours and the admin's).

A middleware rather than a view mixin so the Django admin's login, which we do not own, gets
the same rules. A POST is a failure when the page answers with the form again (200), a success
when it redirects. While an account or an address is locked, the page is not even asked: the
answer is 429 with Retry-After and a sentence saying when to try again.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from keryx.accounts import throttle


class SignInThrottleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._paths: frozenset[str] | None = None

    def sign_in_paths(self) -> frozenset[str]:
        if self._paths is None:
            self._paths = frozenset({reverse("login"), reverse("admin:login")})
        return self._paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or request.path not in self.sign_in_paths():
            return self.get_response(request)
        account = request.POST.get("username", "")
        address = throttle.client_address(request)
        by_account, by_address = throttle.signin_account_limit(), throttle.signin_address_limit()
        wait = max(throttle.retry_after(by_account, account),
                   throttle.retry_after(by_address, address))
        if wait:
            return locked_response(request, wait)
        response = self.get_response(request)
        if response.status_code in (301, 302, 303):
            throttle.clear(by_account, account)
        elif response.status_code == 200:
            wait = max(throttle.record_failure(by_account, account),
                       throttle.record_failure(by_address, address))
            if wait:
                from keryx.core import audit

                audit.record(None, "account.signin_locked", actor=account[:150],
                             summary=account[:150], address=address)
                return locked_response(request, wait)
        return response


def locked_response(request: HttpRequest, wait: int) -> HttpResponse:
    response = render(
        request, "accounts/signin_locked.html",
        {"wait_message": throttle.wait_message(wait)}, status=429,
    )
    response["Retry-After"] = str(wait)
    return response
