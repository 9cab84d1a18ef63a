from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "keryx.channels"
    label = "channels"
