from django.urls import path

from keryx.analytics import competitor_views, views

app_name = "analytics"

urlpatterns = [
    path("", views.analytics_page, name="page"),
    path("export.csv", views.analytics_csv, name="csv"),
    path("competitors/", competitor_views.competitors_page, name="competitors"),
    path("competitors/add/", competitor_views.competitor_add, name="competitor_add"),
    path("competitors/<int:pk>/remove/", competitor_views.competitor_remove,
         name="competitor_remove"),
    path("competitors/<int:pk>/refresh/", competitor_views.competitor_refresh,
         name="competitor_refresh"),
]
