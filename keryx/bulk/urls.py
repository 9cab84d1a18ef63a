from django.urls import path

from keryx.bulk import views

app_name = "bulk"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("export/", views.export, name="export"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
    path("<int:pk>/start/", views.job_start, name="start"),
    path("<int:pk>/rejected.csv", views.job_rejected, name="rejected"),
]
