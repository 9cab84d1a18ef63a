"""Pages for posting-frequency experiments and channel targets (benchmarks), linked from the
analytics page. Thin: forms parse, keryx.analytics.experiments and .benchmarks decide."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.analytics import benchmarks, experiments
from keryx.analytics.forms import ExperimentForm, TargetsForm
from keryx.analytics.models import Experiment
from keryx.core.permissions import Action, can, require
from keryx.core.web import workspace_view


def _experiment(request: HttpRequest, pk: int) -> Experiment:
    try:
        return experiments.get_experiment(request.membership.workspace, pk)
    except LookupError as exc:
        raise Http404(str(exc)) from exc


def _save(request: HttpRequest, form: ExperimentForm,
          instance: Experiment | None = None) -> Experiment | None:
    if not form.is_valid():
        return None
    try:
        return experiments.save_experiment(request.membership.workspace, form.to_input(),
                                           user=request.user, instance=instance)
    except experiments.ExperimentError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None


@workspace_view(Action.VIEW_ANALYTICS)
def experiment_list(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    may_edit = can(request.membership, Action.MANAGE_ANALYTICS)
    form = ExperimentForm(workspace, request.POST or None)
    if request.method == "POST":
        require(request.membership, Action.MANAGE_ANALYTICS)
        saved = _save(request, form)
        if saved is not None:
            messages.success(request, _("Experiment saved."))
            return redirect("analytics:experiment", saved.pk)
    return render(request, "analytics/experiments.html", {
        "experiments": [experiments.summary_row(e) for e in experiments.experiments_of(workspace)],
        "form": form, "may_edit": may_edit,
    }, status=400 if request.method == "POST" else 200)


@workspace_view(Action.VIEW_ANALYTICS)
def experiment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    experiment = _experiment(request, pk)
    result = experiments.evaluate(experiment)
    return render(request, "analytics/experiment.html", {
        "experiment": experiment, "result": result,
        "comparisons": [result["per_post"], result["per_week"]],
        "may_edit": can(request.membership, Action.MANAGE_ANALYTICS),
    })


@workspace_view(Action.MANAGE_ANALYTICS)
def experiment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    experiment = _experiment(request, pk)
    workspace = request.membership.workspace
    if request.method == "POST":
        form = ExperimentForm(workspace, request.POST)
        if _save(request, form, experiment) is not None:
            messages.success(request, _("Experiment saved."))
            return redirect("analytics:experiment", experiment.pk)
    else:
        form = ExperimentForm(workspace, initial=ExperimentForm.initial_of(experiment))
    return render(request, "analytics/experiment_edit.html",
                  {"experiment": experiment, "form": form},
                  status=400 if request.method == "POST" else 200)


@require_POST
@workspace_view(Action.MANAGE_ANALYTICS)
def experiment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    experiment = _experiment(request, pk)
    experiment.delete()
    messages.success(request, _("Experiment deleted."))
    return redirect("analytics:experiments")


@workspace_view(Action.MANAGE_ANALYTICS)
def targets(request: HttpRequest) -> HttpResponse:
    workspace = request.membership.workspace
    form = TargetsForm(workspace, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            for channel in form.channels:
                benchmarks.set_targets(
                    workspace, channel, engagement_rate=data[f"rate_{channel.pk}"],
                    posts_per_week=data[f"posts_{channel.pk}"],
                    followers_per_month=data[f"followers_{channel.pk}"])
        except benchmarks.BenchmarkError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Targets saved."))
            return redirect("analytics:page")
    return render(request, "analytics/targets.html", {"form": form},
                  status=400 if request.method == "POST" else 200)
