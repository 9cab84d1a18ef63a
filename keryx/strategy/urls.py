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

# Budgets, spend and cost per result (helper "budgets").
from keryx.strategy import budget_views  # noqa: E402

urlpatterns += [
    path("budgets/", budget_views.budgets_page, name="budgets"),
    path("budgets/add/", budget_views.budget_add, name="budget_add"),
    path("budgets/<int:pk>/edit/", budget_views.budget_edit, name="budget_edit"),
    path("budgets/<int:pk>/delete/", budget_views.budget_delete, name="budget_delete"),
    path("budgets/spend/add/", budget_views.spend_add, name="spend_add"),
    path("budgets/spend/<int:pk>/delete/", budget_views.spend_delete, name="spend_delete"),
    path("budgets/spend/upload/", budget_views.spend_upload, name="spend_upload"),
    path("budgets/imports/<int:pk>/", budget_views.spend_import_result, name="spend_import"),
]

# Partners and influencers (helper "partners").
from keryx.strategy import partner_views  # noqa: E402

urlpatterns += [
    path("partners/", partner_views.partners_page, name="partners"),
    path("partners/add/", partner_views.partner_add, name="partner_add"),
    path("partners/<int:pk>/", partner_views.partner_detail, name="partner"),
    path("partners/<int:pk>/edit/", partner_views.partner_edit, name="partner_edit"),
    path("partners/<int:pk>/move/", partner_views.partner_move, name="partner_move"),
    path("partners/<int:pk>/note/", partner_views.partner_note, name="partner_note"),
]
