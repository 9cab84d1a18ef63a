from django.apps import AppConfig


class PlannerConfig(AppConfig):
    name = "keryx.planner"
    label = "planner"
