"""Public, signed, expiring links to uploaded media.

Some networks (Instagram, Threads, TikTok photo posts, Google Business Profile) do not accept an
upload: they download the file from a URL we give them. Those URLs must work without a login,
so they carry a signature over the media id that expires; nothing else is reachable through
them, and a tampered or expired link answers 404.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse

from keryx.publishing.models import Media

SALT = "keryx.public-media"
# Long enough for a network to fetch a scheduled post's media after a retry or two.
MAX_AGE_SECONDS = 2 * 24 * 3600


def public_media_url(media: Media) -> str:
    token = signing.TimestampSigner(salt=SALT).sign_object({"m": media.pk})
    return settings.BASE_URL + reverse("public_media", args=[token])


def public_media(request: HttpRequest, token: str) -> FileResponse:
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise Http404("This media link is invalid or has expired.") from exc
    media = Media.objects.filter(pk=data.get("m")).first()
    if media is None:
        raise Http404("No such media")
    response = FileResponse(media.file.open("rb"), content_type=media.mime_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
