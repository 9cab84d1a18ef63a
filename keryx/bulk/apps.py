from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "keryx.bulk"
    label = "bulk"
