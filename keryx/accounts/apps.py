from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "keryx.accounts"
    label = "accounts"
