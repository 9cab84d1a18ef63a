from django.urls import path

from keryx.planner import views

app_name = "planner"

urlpatterns = [
    path("", views.month_view, name="month"),
    path("week/", views.week_view, name="week"),
    path("list/", views.list_view, name="list"),
    path("posts/<int:pk>/move/", views.move, name="move"),
    path("tags/", views.tags, name="tags"),
    path("campaigns/new/", views.campaign_edit, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_edit, name="campaign_edit"),
    path("labels/new/", views.label_edit, name="label_new"),
    path("labels/<int:pk>/", views.label_edit, name="label_edit"),
    path("feed/", views.feed_settings, name="feed_settings"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
]
