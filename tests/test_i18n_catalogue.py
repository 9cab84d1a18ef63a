"""The Greek catalogue is complete, faithful to its placeholders, compiled, and up to date.

A string wrapped for translation but never translated shows English in the middle of a Greek
page; a .mo left behind by its .po shows yesterday's wording. Both fail here with the fix spelled
out. The .po is read by the small parser below (polib is not a dependency), the .mo by the
standard library's gettext, and the sources are re-scanned by Django's own makemessages.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

SOURCE = Path(settings.BASE_DIR)
PO = SOURCE / "locale" / "el" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
FIX = (
    "run `../.venv/bin/python ../manage.py makemessages -l el` from inside keryx/, translate "
    "every empty or fuzzy entry in keryx/locale/el/LC_MESSAGES/django.po "
    "(see the Greek glossary), then `../.venv/bin/python ../manage.py compilemessages -l el`"
)
# %(name)s, %(n).1f, %d, %s, a doubled %% from a template, and {name} / {{ name }} for JS/templates.
PLACEHOLDER = re.compile(r"%\(\w+\)[-+ #0]*\d*(?:\.\d+)?[sdfr]|%%|%[sd]|\{\{.*?\}\}|\{\w*\}")
DIRECTIVE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> str:
        """The key gettext uses in a compiled catalogue."""
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    def __str__(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header included (msgid ""). Obsolete (#~) ones are marked."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current, target
        if current is not None and (current.msgid or current.msgstr):
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if current is None:
            current = Entry(line=number)
        if line.startswith("#~"):
            current.obsolete = True
            continue
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = DIRECTIVE.match(line)
        if match:
            directive, index, literal = match.groups()
            text = ast.literal_eval(literal)
            if directive.startswith("msgstr"):
                target = ("msgstr", int(index or 0))
                current.msgstr[target[1]] = text
            else:
                target = (directive, 0)
                setattr(current, directive, text)
        elif line.startswith('"') and target is not None:
            text = ast.literal_eval(line)
            if target[0] == "msgstr":
                current.msgstr[target[1]] += text
            else:
                setattr(current, target[0], (getattr(current, target[0]) or "") + text)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def live_entries(path: Path) -> list[Entry]:
    return [e for e in parse_po(path) if not e.obsolete and e.msgid]


def problems(entries: list[Entry]) -> list[str]:
    found = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy {entry}")
        elif not entry.msgstr or not all(entry.msgstr.values()):
            found.append(f"untranslated {entry}")
    return found


def test_every_entry_is_translated_and_none_is_fuzzy() -> None:
    entries = live_entries(PO)
    assert len(entries) > 300, "the Greek catalogue lost most of its entries"
    bad = problems(entries)
    assert not bad, f"{len(bad)} Greek entries need work; {FIX}:\n" + "\n".join(bad)


def test_translations_keep_placeholders_and_use_the_greek_question_mark() -> None:
    bad = []
    for entry in live_entries(PO):
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        plural = sorted(PLACEHOLDER.findall(entry.msgid_plural or ""))
        for text in entry.msgstr.values():
            got = sorted(PLACEHOLDER.findall(text))
            if got != wanted and got != plural and not (entry.msgid_plural and set(got) <= set(
                    wanted + plural)):
                bad.append(f"placeholders {wanted} became {got}: {entry}")
            if "?" in text:
                bad.append(f"Greek asks with «;», not «?»: {entry} -> {text!r}")
            if entry.msgid.rstrip().endswith("?") and not text.rstrip().endswith(";"):
                bad.append(f"a question lost its «;»: {entry} -> {text!r}")
    assert not bad, "\n".join(bad)


def _catalogue(mo: Path) -> dict:
    with mo.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def test_compiled_catalogue_matches_the_po(tmp_path: Path) -> None:
    """Compiles the .po afresh and compares message by message with the committed .mo.

    Compared by content, not bytes or file times: a fresh clone gives both files the same
    arbitrary mtime, and another gettext version may lay out an identical catalogue differently.
    """
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt not found: install gettext (Django's compilemessages needs it too)"
    fresh = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check-format", "-o", str(fresh), str(PO)], check=True,
                   capture_output=True, text=True)
    committed, expected = _catalogue(MO), _catalogue(fresh)
    stale = sorted(str(k) for k in expected.keys() - committed.keys())
    gone = sorted(str(k) for k in committed.keys() - expected.keys())
    changed = sorted(str(k) for k in expected.keys() & committed.keys()
                     if expected[k] != committed[k])
    assert not (stale or gone or changed), (
        f"django.mo is older than / different from django.po; {FIX}.\n"
        f"missing from .mo: {stale[:20]}\nonly in .mo: {gone[:20]}\ndiffering: {changed[:20]}"
    )


def test_django_serves_the_greek_catalogue() -> None:
    with translation.override("el"):
        assert translation.gettext("Dashboard") == "Πίνακας ελέγχου"
        assert translation.gettext("Media library") == "Βιβλιοθήκη πολυμέσων"
        one = translation.ngettext("%(n)s post waits for your approval",
                                   "%(n)s posts wait for your approval", 1) % {"n": 1}
        many = translation.ngettext("%(n)s post waits for your approval",
                                    "%(n)s posts wait for your approval", 3) % {"n": 3}
    assert one == "1 ανάρτηση περιμένει την έγκρισή σας"
    assert many == "3 αναρτήσεις περιμένουν την έγκρισή σας"


def test_sources_hold_no_string_missing_from_the_catalogue(tmp_path: Path, monkeypatch) -> None:
    """Re-runs makemessages on a copy of the sources: a newly wrapped string fails here even if
    nobody ran makemessages, and a changed one shows up as fuzzy."""
    copy = tmp_path / "keryx"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns(
        "__pycache__", "*.pyc", "*.mo", "static", "node_modules", ".*"))
    locale = copy / "locale"
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[locale]):
        call_command("makemessages", locale=["el"], verbosity=0)
    bad = problems(live_entries(locale / "el" / "LC_MESSAGES" / "django.po"))
    assert not bad, (
        f"{len(bad)} strings in the sources have no Greek translation yet; {FIX}:\n"
        + "\n".join(bad)
    )
