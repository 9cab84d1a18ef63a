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
    path("items/<int:pk>/", views.item, name="item"),
    path("items/<int:pk>/unhide/", views.unhide, name="unhide"),
    path("items/<int:pk>/decide/", views.decide, name="decide"),
    path("items/<int:pk>/block/", views.block, name="block"),
    path("rules/blocked/", views.blocked, name="blocked"),
    path("rules/blocked/<int:pk>/delete/", views.unblock, name="unblock"),
    path("response-times/", views.response_times, name="times"),
    path("canned/", views.canned_list, name="canned"),
    path("canned/<int:pk>/", views.canned_list, name="canned_edit"),
    path("canned/<int:pk>/delete/", views.canned_delete, name="canned_delete"),
    path("assistant/", assistant_views.page, name="assistant"),
    path("assistant/faq/new/", assistant_views.entry, name="faq_new"),
    path("assistant/faq/import/", assistant_views.import_faq, name="faq_import"),
    path("assistant/faq/<int:pk>/", assistant_views.entry, name="faq_edit"),
    path("assistant/faq/<int:pk>/delete/", assistant_views.delete_entry, name="faq_delete"),
]
