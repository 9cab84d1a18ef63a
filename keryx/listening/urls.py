from django.urls import path

from keryx.listening import views

app_name = "listening"

urlpatterns: list = [
    path("", views.search_list, name="list"),
    path("searches/<int:search_id>/", views.search_page, name="search"),
    path("searches/<int:search_id>/edit/", views.search_edit, name="edit"),
    path("searches/<int:search_id>/delete/", views.search_delete, name="delete"),
    path("searches/<int:search_id>/run/", views.search_run, name="run"),
    path("searches/<int:search_id>/results.csv", views.search_csv, name="csv"),
    path("results/<int:result_id>/irrelevant/", views.result_irrelevant, name="irrelevant"),
    path("results/<int:result_id>/inbox/", views.result_inbox, name="inbox"),
]
