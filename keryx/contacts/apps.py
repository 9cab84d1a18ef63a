from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "keryx.contacts"
    label = "contacts"
