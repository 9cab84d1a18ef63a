from django.urls import path

from keryx.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="list"),
    path("items/<int:pk>/reply/", views.reply, name="reply"),
    path("items/<int:pk>/triage/", views.triage, name="triage"),
    path("items/<int:pk>/hide/", views.hide, name="hide"),
    path("conversations/<int:pk>/note/", views.note, name="note"),
    path("rules/", views.rules, name="rules"),
    path("rules/log/<int:pk>/revert/", views.revert, name="revert"),
]
