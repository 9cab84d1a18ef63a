"""The REST API root: /api/v1/. Each app contributes a router from its own api.py."""

from ninja import NinjaAPI

from keryx.accounts.auth import ApiTokenAuth

api = NinjaAPI(
    title="Keryx API",
    version="1",
    description="Schedule and publish posts, manage channels and workspaces.",
    auth=ApiTokenAuth(),
    urls_namespace="api",
)


def _mount_routers() -> None:
    from keryx.channels.api import router as channels_router
    from keryx.core.api import router as core_router
    from keryx.publishing.api import router as publishing_router

    api.add_router("/", core_router)
    api.add_router("/channels", channels_router)
    api.add_router("/", publishing_router)


_mount_routers()
