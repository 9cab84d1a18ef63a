"""`keryx assistant faq import|configure|answer`: the CSV's ugly rows (each refused with its row
number, the good ones kept, nothing already there lost), the settings and their bad values,
and the JSON shapes scripts read."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from keryx.classify import faq as matcher
from keryx.classify.faq import DEFAULT_THRESHOLD
from keryx.core.cliutil import PERMISSION_DENIED_EXIT
from keryx.inbox import assistant, faq
from keryx.inbox.models import AssistantSettings, FaqEntry, FaqVector

pytestmark = pytest.mark.django_db

GOOD = (
    "faq,language,question,answer\n"
    "shipping,en,How much does shipping cost?,\"Shipping costs 3.50 €, free over 40 €.\"\n"
    "shipping,en,Is delivery free?,A later answer that must not win\n"
    "shipping,el,Πόσο κοστίζουν τα μεταφορικά;,\"Τα μεταφορικά κοστίζουν 3,50 €.\"\n"
    "hours,en,When are you open?,\n"
    "hours,en,What are your opening hours?,\"Monday to Friday, 09:00–17:00.\"\n"
)


def run(*args: str, user: str = "alice@example.com") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("assistant", *args, "--user", user, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, text: str | bytes, name: str = "faq.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


def test_import_groups_variants_and_takes_the_first_answer(people, tmp_path):
    matcher.vectors(["Is delivery free?"])  # known in memory only: must still reach the DB
    out, _err = run("faq", "import", write(tmp_path, GOOD), "--json")
    assert json.loads(out) == {"entries_created": 2, "entries_updated": 0,
                               "questions_added": 5, "answers_set": 3, "errors": []}
    shipping = FaqEntry.objects.get(workspace=people.acme, key="shipping")
    assert shipping.answer_en == "Shipping costs 3.50 €, free over 40 €."
    assert shipping.answer_el == "Τα μεταφορικά κοστίζουν 3,50 €."
    assert [q.text for q in shipping.questions.all()] == [
        "How much does shipping cost?", "Is delivery free?", "Πόσο κοστίζουν τα μεταφορικά;"]
    hours = FaqEntry.objects.get(workspace=people.acme, key="hours")
    assert hours.answer_en == "Monday to Friday, 09:00–17:00." and hours.answer_el == ""
    # Embedded at import (5 questions, 3 answers), so the first message does not wait for it.
    assert FaqVector.objects.count() == 8
    # Importing again adds nothing twice; a new variant is appended, the rest is kept.
    again = GOOD + "hours,el,Τι ώρες είστε ανοιχτά;,\n"
    out, _err = run("faq", "import", write(tmp_path, again), "--json")
    report = json.loads(out)
    assert report["entries_created"] == 0 and report["questions_added"] == 1
    assert FaqEntry.objects.get(key="hours").questions.count() == 3
    listed = json.loads(run("faq", "list", "--json")[0])
    assert {e["faq"] for e in listed} == {"shipping", "hours"}


def test_ugly_rows_are_refused_with_their_row_numbers_and_the_rest_is_imported(people,
                                                                               tmp_path):
    run("faq", "import", write(tmp_path, GOOD))  # already there: must survive the bad file
    ugly = (
        "\ufefffaq,language,question,answer\n"  # a spreadsheet's byte-order mark
        "returns,en,How do I return something?,Within 30 days with the receipt.\n"  # row 2
        "returns,de,Wie kann ich zurückgeben?,Innerhalb 30 Tagen\n"  # row 3: language
        ",en,No id here?,Answer\n"  # row 4: no faq id
        "returns,en\n"  # row 5: too few columns
        "\n"  # blank: skipped, not an error (row 6)
        "returns,el,,\n"  # row 7: nothing in it
        "returns,el,\u200b\u200b,\u200b\n"  # row 8: only zero-width characters
        "returns,el,\"Πώς κάνω\nεπιστροφή;\",Μέσα σε 30 ημέρες.\n"  # row 9, a quoted newline
        "returns,en,Too many,columns,here\n"  # row 10
        f"returns,en,{'x' * 1001},\n"  # row 11: too long
        "shipping,EN,Do you ship on Saturdays?,\n"  # row 12: fine (case of the language)
    )
    with pytest.raises(CommandError, match="7 rows were refused"):
        run("faq", "import", write(tmp_path, ugly))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("assistant", "faq", "import", write(tmp_path, ugly), "--user",
                     "alice@example.com", stdout=out, stderr=err)
    assert err.getvalue().splitlines() == [
        "row 3: language “de” is not el or en.",
        "row 4: the faq id is empty.",
        "row 5: 2 columns, expected 4 (faq, language, question, answer).",
        "row 7: neither a question nor an answer.",
        "row 8: neither a question nor an answer.",
        "row 10: 5 columns, expected 4 (faq, language, question, answer).",
        "row 11: the question is longer than 1000 characters.",
    ]
    returns = FaqEntry.objects.get(key="returns")
    assert returns.answer_en == "Within 30 days with the receipt."
    assert returns.answer_el == "Μέσα σε 30 ημέρες."
    assert sorted(q.text for q in returns.questions.all()) == [
        "How do I return something?", "Πώς κάνω επιστροφή;"]
    # What was imported before is all still there.
    shipping = FaqEntry.objects.get(key="shipping")
    assert shipping.answer_en == "Shipping costs 3.50 €, free over 40 €."
    assert shipping.questions.filter(text="Do you ship on Saturdays?").exists()
    assert shipping.questions.count() == 4


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The file is empty"),
    (b"question,answer\nHi,Hello\n", "The first row is “question,answer”"),
    ("faq,language,question,answer\nx,el,Γεια;,Γεια\n".encode("cp1253"), "not UTF-8"),
])
def test_unreadable_files_say_why(people, tmp_path, content, message):
    with pytest.raises(CommandError, match=message):
        run("faq", "import", write(tmp_path, content))
    assert not FaqEntry.objects.exists()


def test_semicolon_separated_file_from_a_greek_spreadsheet(people, tmp_path):
    # The spreadsheet quotes a field with the separator in it (the Greek question mark is `;`).
    text = "faq;language;question;answer\nhours;el;\"Τι ώρα ανοίγετε;\";Στις 9, 10 το Σάββατο.\n"
    run("faq", "import", write(tmp_path, text))
    entry = FaqEntry.objects.get(key="hours")
    assert entry.answer_el == "Στις 9, 10 το Σάββατο."
    assert entry.questions.get().text == "Τι ώρα ανοίγετε;"


def test_missing_file(people):
    with pytest.raises(CommandError, match="Cannot read /nonexistent/faq.csv"):
        run("faq", "import", "/nonexistent/faq.csv")


def test_configure_prints_and_checks_everything(people):
    data = json.loads(run("configure", "--json")[0])
    assert data == {"enabled": False, "always": False, "timezone": "Europe/Athens",
                    "hours": "mon-fri 09:00-17:00", "holidays": [],
                    "threshold": DEFAULT_THRESHOLD,
                    "away_message_el": AssistantSettings._meta.get_field(
                        "away_message_el").default,
                    "away_message_en": AssistantSettings._meta.get_field(
                        "away_message_en").default,
                    "sync_seconds": 30, "faq_entries": 0}
    data = json.loads(run("configure", "--on", "--timezone", "Europe/London", "--hours",
                          "mon-fri 09:00-17:00; sat 10:00-14:00", "--threshold", "0.5",
                          "--away-message-el", "Λείπουμε!", "--away-message-en", "Away!",
                          "--holidays", "2026-12-25,2027-01-01", "--json")[0])
    assert data["enabled"] and data["timezone"] == "Europe/London"
    assert data["hours"] == "mon-fri 09:00-17:00; sat 10:00-14:00"
    assert data["threshold"] == 0.5 and data["holidays"] == ["2026-12-25", "2027-01-01"]
    assert data["away_message_el"] == "Λείπουμε!" and data["away_message_en"] == "Away!"
    assert json.loads(run("configure", "--hours", "none", "--json")[0])["hours"] == "none"
    assert not json.loads(run("configure", "--off", "--json")[0])["enabled"]


@pytest.mark.parametrize(("args", "message"), [
    (["--hours", "mon-fri 9-5"], "“9” in “mon-fri 9-5” is not a time like 09:00"),
    (["--hours", "weekdays 09:00-17:00"], "“weekdays” in “weekdays 09:00-17:00” is not a day"),
    (["--timezone", "Athens"], "“Athens” is not a time zone"),
    (["--threshold", "0"], "The threshold must be a number above 0"),
    (["--away-message-el", "   "], "The away message \\(el\\) is empty"),
    (["--holidays", "christmas"], "“christmas” is not a date"),
    (["--sync-seconds", "1"], "more often than every 10 seconds"),
])
def test_configure_refuses_bad_values_and_changes_nothing(people, args, message):
    run("configure", "--hours", "mon 10:00-11:00")
    with pytest.raises(CommandError, match=message):
        run("configure", "--on", *args)
    config = AssistantSettings.objects.get(workspace=people.acme)
    assert not config.enabled and config.hours == "mon 10:00-11:00"


def test_a_viewer_cannot_change_the_assistant(people, tmp_path):
    with pytest.raises(CommandError) as refused:
        run("configure", "--on", user="charlie@example.com")
    assert refused.value.returncode == PERMISSION_DENIED_EXIT
    with pytest.raises(CommandError) as refused:
        run("faq", "import", write(tmp_path, GOOD), user="charlie@example.com")
    assert refused.value.returncode == PERMISSION_DENIED_EXIT
    assert json.loads(run("configure", "--json", user="charlie@example.com")[0])


def test_answer_json_shape_answer_and_away(people, tmp_path):
    run("faq", "import", write(tmp_path, GOOD))
    got = json.loads(run("answer", "Πόσα είναι τα μεταφορικά για Πάτρα;", "--json")[0])
    assert set(got) == {"faq", "score", "language", "action", "reply"}
    assert got["faq"] == "shipping" and got["action"] == "answer" and got["language"] == "el"
    assert got["reply"] == "Τα μεταφορικά κοστίζουν 3,50 €."
    assert isinstance(got["score"], float) and got["score"] >= DEFAULT_THRESHOLD
    away = json.loads(run("answer", "I saw a dolphin at the beach today", "--json")[0])
    assert away["faq"] is None and away["action"] == "away" and away["language"] == "en"
    assert away["reply"] == assistant.settings_for(people.acme.pk).away_message_en
    assert away["score"] < DEFAULT_THRESHOLD
    # An English question whose entry has no English answer gets the Greek one, not nothing.
    faq.save_entry(people.acme.pk, key="parking", questions={"el": ["Έχετε πάρκινγκ;"]},
                   answers={"el": "Ναι, στην οδό Αιόλου."})
    text = run("answer", "Is there parking near the shop?")[0]
    assert text.startswith(("answer (parking", "away (-"))
