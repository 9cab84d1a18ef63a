"""The assistant's page (linked from the inbox, not the navigation): its settings, the FAQ
with add/edit/delete, the CSV import, and "what would it answer?". Thin: the work is in
keryx.inbox.assistant and keryx.inbox.faq."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.core.permissions import Action, can, require
from keryx.core.web import workspace_view
from keryx.inbox import assistant, faq
from keryx.inbox.assistant_forms import FaqEntryForm, ImportForm, SettingsForm, TryForm
from keryx.inbox.models import FaqEntry


def _entry(request: HttpRequest, pk: int) -> FaqEntry:
    entry = FaqEntry.objects.filter(pk=pk, workspace=request.membership.workspace).first()
    if entry is None:
        raise Http404("No such FAQ entry")
    return entry


@workspace_view(Action.VIEW_INBOX)
def page(request: HttpRequest) -> HttpResponse:
    workspace_id = request.membership.workspace_id
    config = assistant.settings_for(workspace_id)
    initial = {"enabled": config.enabled, "always": config.always,
               "timezone": config.timezone, "hours": config.hours,
               "holidays": ", ".join(config.holidays),
               "threshold": assistant.threshold_of(config),
               "away_message_el": config.away_message_el,
               "away_message_en": config.away_message_en}
    form = SettingsForm(initial=initial)
    tried = None
    try_form = TryForm(request.GET if "text" in request.GET else None)
    if request.method == "POST":
        require(request.membership, Action.MODERATE_INBOX)
        form = SettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                assistant.configure(
                    workspace_id, enabled=data["enabled"], always=data["always"],
                    tz=data["timezone"], spec=data["hours"], holidays=data["holidays"],
                    threshold=data["threshold"], away_el=data["away_message_el"],
                    away_en=data["away_message_en"])
            except assistant.AssistantError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved."))
                return redirect("inbox:assistant")
    elif try_form.is_valid():
        tried = assistant.answer(workspace_id, try_form.cleaned_data["text"], config=config)
    entries = FaqEntry.objects.filter(workspace_id=workspace_id).prefetch_related("questions")
    return render(request, "inbox/assistant.html", {
        "form": form, "config": config, "entries": entries, "import_form": ImportForm(),
        "try_form": try_form, "tried": tried,
        "may_edit": can(request.membership, Action.MODERATE_INBOX)})


@workspace_view(Action.MODERATE_INBOX)
def entry(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    found = _entry(request, pk) if pk is not None else None
    form = FaqEntryForm(request.POST or None,
                        initial=FaqEntryForm.initial_for(found) if found else None)
    if request.method == "POST" and form.is_valid():
        try:
            faq.save_entry(request.membership.workspace_id, key=form.cleaned_data["key"],
                           questions={lang: form.lines(f"questions_{lang}")
                                      for lang in faq.LANGUAGES},
                           answers={lang: form.cleaned_data[f"answer_{lang}"]
                                    for lang in faq.LANGUAGES}, entry=found)
        except faq.FaqError as exc:
            form.add_error(None, str(exc))
        else:
            faq.embed_all(request.membership.workspace_id)
            messages.success(request, _("FAQ entry saved."))
            return redirect("inbox:assistant")
    return render(request, "inbox/faq_entry.html", {"form": form, "entry": found})


@require_POST
@workspace_view(Action.MODERATE_INBOX)
def delete_entry(request: HttpRequest, pk: int) -> HttpResponse:
    _entry(request, pk).delete()
    messages.success(request, _("FAQ entry deleted."))
    return redirect("inbox:assistant")


@require_POST
@workspace_view(Action.MODERATE_INBOX)
def import_faq(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV file first."))
        return redirect("inbox:assistant")
    try:
        result = faq.import_csv(request.membership.workspace_id, form.cleaned_data["file"].read())
    except faq.FaqError as exc:
        messages.error(request, str(exc))
        return redirect("inbox:assistant")
    faq.embed_all(request.membership.workspace_id)
    messages.success(request, _("%(created)s entries added, %(updated)s updated, %(questions)s "
                                "questions added.") % {
        "created": result.entries_created, "updated": result.entries_updated,
        "questions": result.questions_added})
    for error in result.errors[:20]:
        messages.error(request, str(error))
    if len(result.errors) > 20:
        messages.error(request, _("…and %(count)s more rows refused.")
                       % {"count": len(result.errors) - 20})
    return redirect("inbox:assistant")
