from django.urls import path

from keryx.approvals import views

app_name = "approvals"

urlpatterns = [
    path("approvals/", views.inbox, name="inbox"),
    path("approvals/settings/", views.policy_settings, name="settings"),
    path("approvals/posts/<int:pk>/approve/", views.approve, name="approve"),
    path("approvals/posts/<int:pk>/reject/", views.reject, name="reject"),
    path("approvals/posts/<int:pk>/submit/", views.submit, name="submit"),
    path("approvals/posts/<int:pk>/edit/", views.edit, name="edit"),
    path("approvals/posts/<int:pk>/comments/", views.comment, name="comment"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("audit/", views.audit_log, name="audit"),
]
