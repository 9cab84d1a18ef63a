from django.urls import path

from keryx.analytics import experiment_views, views

app_name = "analytics"

urlpatterns = [
    path("", views.analytics_page, name="page"),
    path("export.csv", views.analytics_csv, name="csv"),
    path("experiments/", experiment_views.experiment_list, name="experiments"),
    path("experiments/<int:pk>/", experiment_views.experiment_detail, name="experiment"),
    path("experiments/<int:pk>/edit/", experiment_views.experiment_edit, name="experiment_edit"),
    path("experiments/<int:pk>/delete/", experiment_views.experiment_delete,
         name="experiment_delete"),
    path("targets/", experiment_views.targets, name="targets"),
]
