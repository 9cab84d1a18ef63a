"""Signed, expiring public links to adapted files, for networks that fetch media by URL
(Instagram, Threads, …). Same scheme as publishing.public_media, with its own salt so a
link to one kind of file can never be replayed as the other."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse

from keryx.library.models import AdaptedFile
from keryx.publishing.public_media import MAX_AGE_SECONDS

SALT = "keryx.public-adapted-media"


def public_adapted_url(adapted: AdaptedFile) -> str:
    token = signing.TimestampSigner(salt=SALT).sign_object({"a": adapted.pk})
    return settings.BASE_URL + reverse("library:public", args=[token])


def public_adapted(request: HttpRequest, token: str) -> FileResponse:
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise Http404("This media link is invalid or has expired.") from exc
    adapted = AdaptedFile.objects.filter(pk=data.get("a")).first()
    if adapted is None:
        raise Http404("No such media")
    response = FileResponse(adapted.file.open("rb"), content_type=adapted.mime_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
