from django.urls import path

from keryx.inbox import assistant_views, views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="list"),
    path("items/<int:pk>/reply/", views.reply, name="reply"),
    path("items/<int:pk>/triage/", views.triage, name="triage"),
    path("items/<int:pk>/hide/", views.hide, name="hide"),
    path("conversations/<int:pk>/note/", views.note, name="note"),
    path("rules/", views.rules, name="rules"),
    path("rules/log/<int:pk>/revert/", views.revert, name="revert"),
    path("assistant/", assistant_views.page, name="assistant"),
    path("assistant/faq/new/", assistant_views.entry, name="faq_new"),
    path("assistant/faq/import/", assistant_views.import_faq, name="faq_import"),
    path("assistant/faq/<int:pk>/", assistant_views.entry, name="faq_edit"),
    path("assistant/faq/<int:pk>/delete/", assistant_views.delete_entry, name="faq_delete"),
]
