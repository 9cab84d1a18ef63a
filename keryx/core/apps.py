from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "keryx.core"
    label = "core"
