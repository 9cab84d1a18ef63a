from django.urls import path

from keryx.queues import views

app_name = "queues"

urlpatterns = [
    path("", views.queue_list, name="list"),
    path("channels/<int:pk>/schedule/", views.schedule_edit, name="schedule"),
    path("channels/<int:pk>/slots/add/", views.slot_add, name="slot_add"),
    path("channels/<int:pk>/<str:action>/", views.queue_action, name="action"),
    path("evergreen/<int:post_pk>/", views.evergreen_edit, name="evergreen"),
]
