from django.urls import path  # noqa: F401  (routes are added by the app's modules)

app_name = "listening"

urlpatterns: list = []
