from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "keryx.inbox"
    label = "inbox"
