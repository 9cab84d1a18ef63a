from django.urls import path  # noqa: F401  (routes are added by the app's modules)

from keryx.strategy import views as plan_views

app_name = "strategy"

urlpatterns: list = []

# Strategy, goals and results (helper "strategy"; keep these lines together).
urlpatterns += [
    path("", plan_views.strategy_page, name="page"),
    path("edit/", plan_views.strategy_edit, name="edit"),
    path("strategy.pdf", plan_views.strategy_pdf, name="pdf"),
    path("goals/", plan_views.goals_page, name="goals"),
    path("goals/<int:pk>/refresh/", plan_views.goal_refresh, name="goal_refresh"),
    path("goals/<int:pk>/delete/", plan_views.goal_delete, name="goal_delete"),
    path("results/", plan_views.results_page, name="results"),
    path("results.pdf", plan_views.results_pdf, name="results_pdf"),
]
