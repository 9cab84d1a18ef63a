from django.urls import path

from keryx.core import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
