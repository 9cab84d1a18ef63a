from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "keryx.listening"
    label = "listening"
