"""Public, signed, expiring links to media files: an upload (/m/<token>/) or one of its adapted
versions (/library/public/<token>/).

Some networks (Instagram, Threads, TikTok photo posts, Google Business Profile) do not accept an
upload: they download the file from a URL we give them. Those URLs must work without a login,
so they carry a signature over the file's id that expires; nothing else is reachable through
them, and a tampered or expired link answers 404. Each kind of file signs with its own salt, so
a link to one can never be replayed as the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db.models import Model
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse

from keryx.library.models import AdaptedFile
from keryx.publishing.models import Media

# Long enough for a network to fetch a scheduled post's media after a retry or two.
MAX_AGE_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True)
class LinkKind:
    salt: str
    key: str  # the id's key in the signed object
    route: str  # the URL name that serves it
    model: type[Model]


# The salts, keys and routes are those of links already handed to networks: keep them.
UPLOAD = LinkKind(salt="keryx.public-media", key="m", route="public_media", model=Media)
ADAPTED = LinkKind(salt="keryx.public-adapted-media", key="a", route="library:public",
                   model=AdaptedFile)


def signed_url(kind: LinkKind, pk: int) -> str:
    """An absolute URL serving the file `pk` of this kind for MAX_AGE_SECONDS."""
    token = signing.TimestampSigner(salt=kind.salt).sign_object({kind.key: pk})
    return settings.BASE_URL + reverse(kind.route, args=[token])


def serve(kind: LinkKind, token: str) -> FileResponse:
    """The file a valid token names, as a download nothing can run; else 404."""
    try:
        data = signing.TimestampSigner(salt=kind.salt).unsign_object(
            token, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise Http404("This media link is invalid or has expired.") from exc
    row = kind.model.objects.filter(pk=data.get(kind.key)).first()
    if row is None:
        raise Http404("No such media")
    response = FileResponse(row.file.open("rb"), content_type=row.mime_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def public_media_url(media: Media) -> str:
    return signed_url(UPLOAD, media.pk)


def public_adapted_url(adapted: AdaptedFile) -> str:
    return signed_url(ADAPTED, adapted.pk)


def public_media(request: HttpRequest, token: str) -> FileResponse:
    return serve(UPLOAD, token)


def public_adapted(request: HttpRequest, token: str) -> FileResponse:
    return serve(ADAPTED, token)
