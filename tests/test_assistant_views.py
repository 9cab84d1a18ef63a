"""The assistant's page, linked from the inbox: settings (a bad SPEC says why), FAQ entries
added, edited and deleted, the CSV upload with its refused rows, escaping, roles; and the
periodic loop ticking often enough for the 30 s inbox period without running the other jobs
more often."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from keryx.inbox.models import AssistantSettings, FaqEntry
from keryx.queues import periodic

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_linked_from_the_inbox_and_settings_saved(people):
    alice = client_for(people.alice)
    assert reverse("inbox:assistant") in alice.get(reverse("inbox:list")).content.decode()
    page = alice.get(reverse("inbox:assistant"))
    assert page.status_code == 200 and "mon-fri 09:00-17:00" in page.content.decode()
    form = {"enabled": "on", "timezone": "", "hours": "mon-fri 9-17", "holidays": "",
            "threshold": "0.5", "away_message_el": "Λείπουμε", "away_message_en": "Away"}
    refused = alice.post(reverse("inbox:assistant"), form)
    assert "“9” in “mon-fri 9-17” is not a time like 09:00" in refused.content.decode()
    assert not AssistantSettings.objects.get(workspace=people.acme).enabled
    form["hours"] = "mon-fri 09:00-17:00; sat 10:00-14:00"
    form["holidays"] = "2026-12-25 2027-01-01"
    assert alice.post(reverse("inbox:assistant"), form).status_code == 302
    config = AssistantSettings.objects.get(workspace=people.acme)
    assert config.enabled and config.threshold == 0.5
    assert config.holidays == ["2026-12-25", "2027-01-01"]
    assert config.hours == "mon-fri 09:00-17:00; sat 10:00-14:00"


def test_faq_entries_added_edited_deleted_and_escaped(people):
    alice = client_for(people.alice)
    response = alice.post(reverse("inbox:faq_new"), {
        "key": "hours", "questions_el": "Τι ώρες είστε ανοιχτά;\n\n",
        "questions_en": "When are you open?\n<b>Opening hours?</b>",
        "answer_el": "Δευτέρα με Παρασκευή 9–5.", "answer_en": "Orders < 40 € & more: 9–5."})
    assert response.status_code == 302
    entry = FaqEntry.objects.get(workspace=people.acme, key="hours")
    assert entry.questions.count() == 3
    page = alice.get(reverse("inbox:assistant")).content.decode()
    assert "Orders &lt; 40 € &amp; more: 9–5." in page  # escaped where it is shown
    assert "<b>Opening" not in page and "en · Opening hours?" in page  # stored as plain text
    edit = alice.get(reverse("inbox:faq_edit", args=[entry.pk])).content.decode()
    assert "When are you open?" in edit
    alice.post(reverse("inbox:faq_edit", args=[entry.pk]), {
        "key": "opening", "questions_el": "", "questions_en": "When do you open?",
        "answer_el": "", "answer_en": "At nine."})
    entry.refresh_from_db()
    assert entry.key == "opening" and [q.text for q in entry.questions.all()] == [
        "When do you open?"]
    no_answer = alice.post(reverse("inbox:faq_new"), {
        "key": "x", "questions_el": "", "questions_en": "Why?", "answer_el": "",
        "answer_en": ""})
    assert "Give an answer in Greek or English." in no_answer.content.decode()
    alice.post(reverse("inbox:faq_delete", args=[entry.pk]))
    assert not FaqEntry.objects.exists()


def test_csv_upload_reports_refused_rows_and_keeps_the_rest(people):
    alice = client_for(people.alice)
    data = (b"faq,language,question,answer\n"
            b"hours,en,When are you open?,At nine.\n"
            b"hours,fr,Quand ouvrez-vous?,A neuf heures\n")
    response = alice.post(reverse("inbox:faq_import"),
                          {"file": SimpleUploadedFile("faq.csv", data)}, follow=True)
    page = response.content.decode()
    assert "row 3: language “fr” is not el or en." in page
    assert FaqEntry.objects.get(key="hours").answer_en == "At nine."


def test_a_viewer_sees_but_cannot_change(people):
    charlie = client_for(people.charlie)
    assert charlie.get(reverse("inbox:assistant")).status_code == 200
    assert charlie.post(reverse("inbox:assistant"), {"hours": "none"}).status_code == 403
    assert charlie.get(reverse("inbox:faq_new")).status_code == 403


def test_the_loop_runs_the_inbox_every_tick_and_the_rest_once_a_minute():
    assert periodic.TICK_SECONDS <= 10
    first = periodic.due_jobs({}, 1000.0)
    assert first == {"evergreen", "feeds", "metrics", "inbox", "competitors", "reports",
                     "goals", "listening", "partners"}
    last = dict.fromkeys(first, 1000.0)
    assert periodic.due_jobs(last, 1000.0 + periodic.TICK_SECONDS) == {"inbox"}
    assert periodic.due_jobs(last, 1059.0) == {"inbox"}
    assert periodic.due_jobs(last, 1060.0) == first
