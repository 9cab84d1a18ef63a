"""The FAQ base of the off-hours assistant: importing it from CSV, editing it, and handing it to
the matcher (keryx.classify.faq) with its vectors kept in the database.

CSV (issue 15): header `faq,language,question,answer`; rows sharing a `faq` id are that
entry's question variants; the answer is taken from the first row of each `faq` and
`language` that has one. An import adds to what exists (new variants are appended, an answer
the file gives replaces the stored one): nothing already there is lost. Every bad row is
reported with its row number (the header is row 1, as a spreadsheet counts) and skipped; the
good rows are imported all the same.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from keryx.classify import faq as matcher
from keryx.classify.text import clean, fold
from keryx.inbox.models import FaqEntry, FaqQuestion, FaqVector

LANGUAGES = ("el", "en")
HEADER = ["faq", "language", "question", "answer"]
MAX_KEY = 100
MAX_QUESTION = 1000
MAX_ANSWER = 2000
MAX_ROWS = 5000


class FaqError(ValueError):
    """A FAQ entry or file that cannot be taken; the message says why."""


@dataclass(frozen=True)
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return _("row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ImportResult:
    entries_created: int = 0
    entries_updated: int = 0
    questions_added: int = 0
    answers_set: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"entries_created": self.entries_created,
                "entries_updated": self.entries_updated,
                "questions_added": self.questions_added, "answers_set": self.answers_set,
                "errors": [{"row": e.row, "message": e.message} for e in self.errors]}


class DbVectors:
    """keryx.classify.faq.VectorStore over the FaqVector table."""

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        return {key: bytes(data) for key, data in
                FaqVector.objects.filter(key__in=list(keys)).values_list("key", "data")}

    def put_many(self, items: Mapping[str, bytes]) -> None:
        FaqVector.objects.bulk_create([FaqVector(key=k, data=v) for k, v in items.items()],
                                      ignore_conflicts=True)


STORE = DbVectors()


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FaqError(_("The file is not UTF-8 text; save it as “CSV UTF-8”.")) from None


def _check_row(number: int, row: list[str]) -> tuple[str, str, str, str] | RowError:
    if len(row) != len(HEADER):
        return RowError(number, _("%(found)s columns, expected 4 (faq, language, question, "
                                  "answer).") % {"found": len(row)})
    key, language, question, answer = (clean(v) for v in row)
    language = language.lower()
    if not key:
        return RowError(number, _("the faq id is empty."))
    if len(key) > MAX_KEY:
        return RowError(number, _("the faq id is longer than %(max)s characters.")
                        % {"max": MAX_KEY})
    if language not in LANGUAGES:
        return RowError(number, _("language “%(value)s” is not el or en.")
                        % {"value": language})
    if not question and not answer:
        return RowError(number, _("neither a question nor an answer."))
    if len(question) > MAX_QUESTION:
        return RowError(number, _("the question is longer than %(max)s characters.")
                        % {"max": MAX_QUESTION})
    if len(answer) > MAX_ANSWER:
        return RowError(number, _("the answer is longer than %(max)s characters.")
                        % {"max": MAX_ANSWER})
    return key, language, question, answer


def import_csv(workspace_id: int, data: bytes | str) -> ImportResult:
    """Add the file's entries to the workspace's FAQ (see the module doc). FaqError when the
    file as a whole cannot be read (not UTF-8, no header); bad rows are in `.errors`."""
    text = _decode(data)
    lines = text.splitlines()
    first = lines[0] if lines else ""
    # Spreadsheets in Greek (and other) locales write `;`-separated "CSV".
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FaqError(_("The file is not CSV: %(error)s") % {"error": exc}) from None
    if header is None or not any(h.strip() for h in header):
        raise FaqError(_("The file is empty; the first row must be faq,language,question,"
                         "answer."))
    if [h.strip().lower() for h in header] != HEADER:
        raise FaqError(_("The first row is “%(found)s”; it must be faq,language,question,"
                         "answer.") % {"found": ",".join(header)[:200]})
    result = ImportResult()
    questions: dict[str, list[tuple[str, str]]] = {}
    answers: dict[tuple[str, str], str] = {}
    number = 1
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.errors.append(RowError(number, _("not CSV: %(error)s") % {"error": exc}))
            break
        if not any(v.strip() for v in row):
            continue  # blank lines are not errors
        if number > MAX_ROWS + 1:
            result.errors.append(RowError(number, _("more than %(max)s rows; the rest was not "
                                                    "read.") % {"max": MAX_ROWS}))
            break
        checked = _check_row(number, row)
        if isinstance(checked, RowError):
            result.errors.append(checked)
            continue
        key, language, question, answer = checked
        questions.setdefault(key, [])
        if question:
            questions[key].append((language, question))
        if answer and (key, language) not in answers:
            answers[(key, language)] = answer
    with transaction.atomic():
        for key, variants in questions.items():
            entry, created = FaqEntry.objects.get_or_create(workspace_id=workspace_id, key=key)
            if created:
                result.entries_created += 1
            else:
                result.entries_updated += 1
            known = {(q.language, fold(q.text)) for q in entry.questions.all()}
            for language, question in variants:
                if (language, fold(question)) in known:
                    continue
                known.add((language, fold(question)))
                FaqQuestion.objects.create(entry=entry, language=language, text=question)
                result.questions_added += 1
            changed = []
            for language in LANGUAGES:
                if (key, language) in answers:
                    setattr(entry, f"answer_{language}", answers[(key, language)])
                    changed.append(f"answer_{language}")
                    result.answers_set += 1
            if changed:
                entry.save(update_fields=[*changed, "updated_at"])
    return result


def save_entry(workspace_id: int, *, key: str, questions: dict[str, list[str]],
               answers: dict[str, str], entry: FaqEntry | None = None) -> FaqEntry:
    """Create or replace one entry from the web form: its id, variants and answers."""
    key = clean(key)
    if not key or len(key) > MAX_KEY:
        raise FaqError(_("Give the entry a short id (at most %(max)s characters).")
                       % {"max": MAX_KEY})
    variants = [(lang, clean(q)) for lang in LANGUAGES for q in questions.get(lang, [])
                if clean(q)]
    if not variants:
        raise FaqError(_("Give at least one question."))
    if not any(clean(answers.get(lang, "")) for lang in LANGUAGES):
        raise FaqError(_("Give an answer in Greek or English."))
    clash = FaqEntry.objects.filter(workspace_id=workspace_id, key=key)
    if entry is not None:
        clash = clash.exclude(pk=entry.pk)
    if clash.exists():
        raise FaqError(_("An entry with the id “%(key)s” exists already.") % {"key": key})
    with transaction.atomic():
        if entry is None:
            entry = FaqEntry(workspace_id=workspace_id)
        entry.key = key
        entry.answer_el = clean(answers.get("el", ""))[:MAX_ANSWER]
        entry.answer_en = clean(answers.get("en", ""))[:MAX_ANSWER]
        entry.save()
        entry.questions.all().delete()
        FaqQuestion.objects.bulk_create([FaqQuestion(entry=entry, language=lang, text=q[
            :MAX_QUESTION]) for lang, q in variants])
    return entry


def entries_for(workspace_id: int) -> list[matcher.FaqEntry]:
    """The workspace's FAQ as the matcher reads it (ids are the entries' keys)."""
    found = FaqEntry.objects.filter(workspace_id=workspace_id).prefetch_related("questions")
    return [matcher.FaqEntry(entry.key, [q.text for q in entry.questions.all()],
                             [a for a in (entry.answer_el, entry.answer_en) if a])
            for entry in found]


def embed_all(workspace_id: int) -> int:
    """Embed the workspace's FAQ texts now (kept in FaqVector), so the first message after an
    import or an edit does not pay for it. Returns the number of texts."""
    texts = [clean(t) for e in entries_for(workspace_id) for t in [*e.questions, *e.answers]]
    texts = [t for t in texts if t]
    if texts:
        matcher.vectors(texts, STORE, persist=True)
    return len(texts)
