from django.urls import path

from keryx.channels import views

app_name = "channels"

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("connect/", views.connect_index, name="connect"),
    path("connect/bluesky/", views.connect_bluesky, name="connect_bluesky"),
    path("connect/mastodon/", views.connect_mastodon, name="connect_mastodon"),
    path("connect/<str:network>/", views.connect_network, name="connect_network"),
    path("oauth/mastodon/callback/", views.mastodon_callback, name="mastodon_callback"),
    path("oauth/<str:network>/callback/", views.oauth_callback, name="oauth_callback"),
    path("<int:channel_id>/reconnect/", views.reconnect, name="reconnect"),
    path("<int:channel_id>/rename/", views.rename, name="rename"),
    path("<int:channel_id>/delete/", views.delete, name="delete"),
]
