from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "keryx.publishing"
    label = "publishing"
