from django.apps import AppConfig


class QueuesConfig(AppConfig):
    name = "keryx.queues"
    label = "queues"
