from django.urls import path

from keryx.links import views

app_name = "links"

urlpatterns = [
    path("l/<str:code>", views.go, name="go"),
    path("links/", views.links_page, name="page"),
    path("links/build.json", views.build_json, name="build"),
    path("links/preview.json", views.preview_json, name="preview"),
]
