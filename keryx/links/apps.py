from django.apps import AppConfig


class LinksConfig(AppConfig):
    name = "keryx.links"
    label = "links"
