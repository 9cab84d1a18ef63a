"""The import pages: upload, preview with every row's result, go-ahead, progress, rejected rows
download, export; scoping and query counts."""

from __future__ import annotations

import csv
import io

from django.utils import timezone

from keryx.bulk import services
from keryx.bulk.models import ImportJob, ImportStatus
from keryx.publishing.models import PostTarget
from tests.ui_helpers import mastodon_channel

YEAR = timezone.now().year + 1


def _upload(client, text: str, **fields):
    data = {"format": "keryx", "date_format": "dd/mm/yyyy", **fields,
            "file": io.BytesIO(text.encode())}
    data["file"].name = "posts.csv"
    return client.post("/import/", data)


def test_upload_preview_schedule_and_download_rejected(people, client, settings,
                                                       django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    mastodon_channel(people.acme, "Masto")
    client.force_login(people.alice)
    text = ("channels;text;time\n"
            f"Masto;Good row;{YEAR}-05-04 12:00\n"
            f"Nowhere;Bad row;{YEAR}-05-04 13:00\n")
    response = _upload(client, text)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "2 rows: 1 valid, 1 rejected." in page
    assert "Unknown channel: Nowhere." in page
    assert "Schedule 1 valid row" in page
    assert not PostTarget.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/import/{job.pk}/start/").status_code == 302
    job.refresh_from_db()
    assert (job.status, job.scheduled) == (ImportStatus.DONE, 1)
    assert PostTarget.objects.get().post.text == "Good row"
    progress = client.get(f"/import/{job.pk}/progress/").json()
    assert progress == {"status": "done", "processed": 1, "valid": 1, "scheduled": 1,
                        "rejected": 1, "percent": 100}
    rejected = client.get(f"/import/{job.pk}/rejected.csv")
    assert rejected["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(rejected.content.decode())))
    assert rows[1][:2] == ["3", "Unknown channel: Nowhere."]


def test_whole_file_error_is_shown_on_the_form(people, client):
    mastodon_channel(people.acme, "Masto")
    client.force_login(people.alice)
    response = _upload(client, "text,when\nhello,now\n")
    assert response.status_code == 400
    assert "missing: time" in response.content.decode()
    hoot = _upload(client, f"01/07/{YEAR} 09:00,hi\n", format="hootsuite")
    assert "Choose the channels" in hoot.content.decode()
    assert not ImportJob.objects.exists()


def test_other_workspaces_and_viewers_cannot(people, client):
    channel = mastodon_channel(people.acme, "Masto")
    job = services.preview(workspace=people.acme, user=people.alice,
                           data=f"01/07/{YEAR} 09:00,hi\n".encode(),
                           options=services.ImportOptions(format="hootsuite",
                                                          channels=[channel]))
    client.force_login(people.bob)
    assert client.get(f"/import/{job.pk}/").status_code == 404
    assert client.get(f"/import/{job.pk}/rejected.csv").status_code == 404
    client.force_login(people.charlie)
    assert client.get("/import/").status_code == 403


def test_job_page_queries_do_not_grow_with_rows(people, client, django_assert_max_num_queries):
    mastodon_channel(people.acme, "Masto")
    text = "channels,text,time\n" + "".join(
        f"Masto,row {i},{YEAR}-05-04 12:{i:02d}\n" for i in range(60))
    job = services.preview(workspace=people.acme, user=people.alice, data=text.encode(),
                           options=services.ImportOptions())
    services.run_import(job.pk)
    client.force_login(people.alice)
    with django_assert_max_num_queries(12):
        page = client.get(f"/import/{job.pk}/")
    assert page.content.decode().count("Open post") == 60


def test_export_page_downloads_csv(people, client):
    channel = mastodon_channel(people.acme, "Masto")
    services.run_import(services.preview(
        workspace=people.acme, user=people.alice,
        data=f"channels,text,time\nMasto,exported,{YEAR}-05-04 12:00\n".encode(),
        options=services.ImportOptions()).pk)
    client.force_login(people.alice)
    response = client.get("/import/export/", {"start": f"{YEAR}-05-04", "end": f"{YEAR}-05-04",
                                              "channels": [channel.pk]})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][:3] == ["Masto", "exported", f"{YEAR}-05-04T12:00+03:00"]
    outside = client.get("/import/export/", {"start": f"{YEAR}-05-05"})
    assert len(list(csv.reader(io.StringIO(outside.content.decode())))) == 1
