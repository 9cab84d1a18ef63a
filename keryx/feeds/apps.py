from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "keryx.feeds"
    label = "feeds"
