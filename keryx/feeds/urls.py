from django.urls import path

from keryx.feeds import views

app_name = "feeds"

urlpatterns = [
    path("", views.feed_list, name="list"),
    path("<int:pk>/refresh/", views.source_refresh, name="refresh"),
    path("<int:pk>/delete/", views.source_delete, name="delete"),
    path("items/<int:pk>/draft/", views.item_draft, name="draft"),
    path("items/<int:pk>/dismiss/", views.item_dismiss, name="dismiss"),
]
