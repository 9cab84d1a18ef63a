from django.urls import path

from keryx.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.analytics_page, name="page"),
    path("export.csv", views.analytics_csv, name="csv"),
]
