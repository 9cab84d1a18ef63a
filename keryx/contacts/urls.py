from django.urls import path

from keryx.contacts import views

app_name = "contacts"

urlpatterns = [
    path("", views.contacts_page, name="list"),
    path("hashtags/", views.hashtags_page, name="hashtags"),
    path("check.json", views.check_json, name="check"),
]
