from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "keryx.strategy"
    label = "strategy"
