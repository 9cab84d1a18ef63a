from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "keryx.approvals"
    label = "approvals"
