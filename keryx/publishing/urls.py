from django.urls import path

from keryx.publishing import views

app_name = "posts"

urlpatterns = [
    path("", views.post_list, name="list"),
    path("new/", views.post_new, name="new"),
    path("<int:pk>/", views.post_detail, name="detail"),
    path("<int:pk>/cancel/", views.post_cancel, name="cancel"),
    path("<int:pk>/reschedule/", views.post_reschedule, name="reschedule"),
    path("media/<int:pk>/", views.media_file, name="media"),
    path("deliveries/<int:pk>/retry/", views.target_retry, name="retry_target"),
    path("deliveries/<int:pk>/cancel/", views.target_cancel, name="cancel_target"),
]
