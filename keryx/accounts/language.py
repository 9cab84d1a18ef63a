"""The interface language of a signed-in person: this request, the session and the cookie."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

SESSION_LANGUAGE_KEY = "keryx_language"


def apply_language(request: HttpRequest, response: HttpResponse, language: str) -> HttpResponse:
    """Use `language` from now on: this request, the session and the cookie LocaleMiddleware
    reads (the profile keeps it across browsers; sign-in copies it back here)."""
    if language not in dict(settings.LANGUAGES):
        return response
    translation.activate(language)
    request.session[SESSION_LANGUAGE_KEY] = language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        samesite="Lax",
    )
    return response
