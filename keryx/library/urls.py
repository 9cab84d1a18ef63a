from django.urls import path

from keryx.library import public, views

app_name = "library"

urlpatterns = [
    path("", views.library, name="index"),
    path("upload/", views.upload, name="upload"),
    path("guide/", views.guide, name="guide"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/adapted/<str:network>/", views.adapted_file, name="adapted"),
    path("public/<str:token>/", public.public_adapted, name="public"),
]
