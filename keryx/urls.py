from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from keryx.api import api
from keryx.library.public import public_media
from keryx.publishing.health import healthz
from keryx.publishing.metrics import metrics

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("m/<str:token>/", public_media, name="public_media"),
    path("", include("keryx.accounts.urls")),
    path("", include("keryx.core.urls")),
    path("channels/", include("keryx.channels.urls")),
    path("posts/", include("keryx.publishing.urls")),
    path("", include("keryx.approvals.urls")),
    path("calendar/", include("keryx.planner.urls")),
    path("queues/", include("keryx.queues.urls")),
    path("import/", include("keryx.bulk.urls")),
    path("feeds/", include("keryx.feeds.urls")),
    path("inbox/", include("keryx.inbox.urls")),
    path("library/", include("keryx.library.urls")),
    path("", include("keryx.links.urls")),  # /l/<code> short links and /links/
    path("contacts/", include("keryx.contacts.urls")),
    path("analytics/", include("keryx.analytics.urls")),
    path("listening/", include("keryx.listening.urls")),
    path("strategy/", include("keryx.strategy.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
