from django.urls import path

from keryx.analytics import competitor_views, experiment_views, views
from keryx.analytics.reports import views as reports

app_name = "analytics"

urlpatterns = [
    path("", views.analytics_page, name="page"),
    path("export.csv", views.analytics_csv, name="csv"),
    path("competitors/", competitor_views.competitors_page, name="competitors"),
    path("competitors/add/", competitor_views.competitor_add, name="competitor_add"),
    path("competitors/<int:pk>/remove/", competitor_views.competitor_remove,
         name="competitor_remove"),
    path("competitors/<int:pk>/refresh/", competitor_views.competitor_refresh,
         name="competitor_refresh"),
    path("report.pdf", views.analytics_pdf, name="pdf"),
    # Reports: scheduled (e-mailed) reports, share links, the logo (keryx.analytics.reports).
    path("reports/", reports.reports_page, name="reports"),
    path("reports/scheduled/new/", reports.report_new, name="report_new"),
    path("reports/scheduled/<int:pk>/", reports.report_edit, name="report_edit"),
    path("reports/scheduled/<int:pk>/send/", reports.report_send_now, name="report_send_now"),
    path("reports/scheduled/<int:pk>/delete/", reports.report_delete, name="report_delete"),
    path("reports/links/new/", reports.share_new, name="share_new"),
    path("reports/links/<int:pk>/revoke/", reports.share_revoke, name="share_revoke"),
    path("reports/logo/", reports.logo_upload, name="logo"),
    path("shared/<str:token>/", reports.shared_report, name="shared"),
    path("shared/<str:token>/report.pdf", reports.shared_pdf, name="shared_pdf"),
    path("experiments/", experiment_views.experiment_list, name="experiments"),
    path("experiments/<int:pk>/", experiment_views.experiment_detail, name="experiment"),
    path("experiments/<int:pk>/edit/", experiment_views.experiment_edit, name="experiment_edit"),
    path("experiments/<int:pk>/delete/", experiment_views.experiment_delete,
         name="experiment_delete"),
    path("targets/", experiment_views.targets, name="targets"),
]
