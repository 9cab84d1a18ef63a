"""Bulk import and export pages. Thin: reading, validating and scheduling are in services."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.bulk import services
from keryx.bulk.forms import ExportForm, ImportForm
from keryx.bulk.models import ImportJob, ImportStatus, RowStatus
from keryx.bulk.parsing import MAX_BYTES
from keryx.core.permissions import Action
from keryx.core.timeutil import localize
from keryx.core.web import workspace_view


def _job(request: HttpRequest, pk: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=pk, workspace=request.membership.workspace).first()
    if job is None:
        raise Http404("No such import")
    return job


@workspace_view(Action.IMPORT_POSTS)
def upload(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    form = ImportForm(request.POST or None, request.FILES or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            form.add_error("file", _("The file is larger than 20 MB."))
        else:
            options = services.ImportOptions(
                format=form.cleaned_data["format"],
                date_format=form.cleaned_data["date_format"],
                channels=list(form.cleaned_data["channels"]), filename=upload.name,
            )
            try:
                with transaction.atomic():
                    job = services.preview(workspace=workspace, user=request.user,
                                           data=upload.read(), options=options)
            except services.FileRejected as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("bulk:job", pk=job.pk)
    jobs = ImportJob.objects.filter(workspace=workspace)[:10]
    return render(request, "bulk/upload.html", {"form": form, "jobs": jobs},
                  status=400 if request.method == "POST" else 200)


@workspace_view(Action.IMPORT_POSTS)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    show = request.GET.get("show", "all")
    rows = job.rows.all()
    if show == "rejected":
        rows = rows.filter(status=RowStatus.REJECTED)
    page = Paginator(rows.order_by("line"), 100).get_page(request.GET.get("page"))
    return render(request, "bulk/job.html", {
        "job": job, "page": page, "show": show,
        "running": job.status == ImportStatus.RUNNING,
    })


@workspace_view(Action.IMPORT_POSTS)
def job_progress(request: HttpRequest, pk: int) -> JsonResponse:
    job = _job(request, pk)
    return JsonResponse({
        "status": job.status, "processed": job.processed, "valid": job.valid,
        "scheduled": job.scheduled, "rejected": job.rejected,
        "percent": round(100 * job.processed / job.valid) if job.valid else 100,
    })


@require_POST
@workspace_view(Action.IMPORT_POSTS)
def job_start(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if not job.valid:
        messages.error(request, _("No valid rows to schedule."))
    elif services.start_import(job):
        messages.success(request, _("Scheduling %(count)s rows…") % {"count": job.valid})
    return redirect("bulk:job", pk=job.pk)


@workspace_view(Action.IMPORT_POSTS)
def job_rejected(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    response = HttpResponse(services.rejected_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejected-rows-{job.pk}.csv"'
    return response


@workspace_view()
def export(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    form = ExportForm(request.GET or None, workspace=workspace)
    if request.GET and form.is_valid():
        data = form.cleaned_data
        tz = workspace.timezone
        start = localize(datetime.combine(data["start"], time()), tz) if data["start"] else None
        end = (localize(datetime.combine(data["end"] + timedelta(days=1), time()), tz)
               if data["end"] else None)
        text = services.export_csv(workspace, start=start, end=end,
                                   channels=list(data["channels"]) or None)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="keryx-posts.csv"'
        return response
    return render(request, "bulk/export.html", {"form": form})
