from django.urls import path

from keryx.core import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("workspaces/", views.workspaces, name="workspaces"),
    path("workspaces/new/", views.workspace_create, name="workspace_create"),
    path("workspaces/settings/", views.workspace_settings, name="workspace_settings"),
    path(
        "workspaces/<int:workspace_id>/switch/", views.workspace_switch, name="workspace_switch"
    ),
]
