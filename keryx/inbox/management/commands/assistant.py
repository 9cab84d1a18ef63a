"""`keryx assistant faq import|configure|answer` (issue 15: scripts use these; keep them stable).

    keryx assistant faq import FILE.csv
    keryx assistant configure [--on|--off] [--timezone TZ] [--hours SPEC|none] [--threshold X]
                              [--away-message-el TEXT] [--away-message-en TEXT]
                              [--holidays DATES|none] [--always|--off-hours-only]
                              [--sync-seconds N]
    keryx assistant answer TEXT [--json]     # what the assistant would reply; sends nothing

Thin: the work is in keryx.inbox.assistant and keryx.inbox.faq. Changing the assistant or its
FAQ needs the moderator's role (moderate_inbox); `answer` needs only to read the inbox.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from keryx.core.cliutil import (
    add_common_arguments,
    one_line,
    one_membership,
    require,
    resolve_actor,
    to_json,
)
from keryx.core.models import Membership
from keryx.core.permissions import Action
from keryx.inbox import assistant, faq
from keryx.inbox.models import FaqEntry


class Command(BaseCommand):
    help = "The off-hours assistant: its FAQ, business hours and away messages."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        faq_parser = sub.add_parser("faq", help="the FAQ base")
        faq_sub = faq_parser.add_subparsers(dest="faq_action", required=True)
        importing = faq_sub.add_parser("import", help="add entries from a CSV file "
                                       "(faq,language,question,answer)")
        importing.add_argument("file", help="the CSV file, or - for standard input")
        add_common_arguments(importing)
        listing = faq_sub.add_parser("list", help="list the FAQ entries")
        add_common_arguments(listing)

        conf = sub.add_parser("configure", help="switch on/off and set hours, threshold, "
                              "away messages (prints the settings)")
        onoff = conf.add_mutually_exclusive_group()
        onoff.add_argument("--on", dest="enabled", action="store_true", default=None)
        onoff.add_argument("--off", dest="enabled", action="store_false")
        always = conf.add_mutually_exclusive_group()
        always.add_argument("--always", dest="always", action="store_true", default=None,
                            help="answer during business hours too")
        always.add_argument("--off-hours-only", dest="always", action="store_false")
        conf.add_argument("--timezone", help="e.g. Europe/Athens (default: the workspace's)")
        conf.add_argument("--hours", help="e.g. 'mon-fri 09:00-17:00; sat 10:00-14:00', or "
                          "none (always away)")
        conf.add_argument("--holidays", help="dates closed, e.g. 2026-12-25,2027-01-01, or none")
        conf.add_argument("--threshold", type=float, help="FAQ match threshold")
        conf.add_argument("--away-message-el")
        conf.add_argument("--away-message-en")
        conf.add_argument("--sync-seconds", type=int,
                          help="how often an assistant channel's inbox is fetched (default 30)")
        add_common_arguments(conf)

        answering = sub.add_parser("answer", help="what the assistant would reply to TEXT "
                                   "(sends nothing)")
        answering.add_argument("text")
        add_common_arguments(answering)

    def handle(self, *args: Any, **options: Any) -> None:
        membership = one_membership(resolve_actor(options.get("user")), options.get("workspace"))
        action = options["action"]
        if action == "faq":
            action = "faq_" + options["faq_action"]
        getattr(self, "do_" + action)(membership, options)

    def _out(self, options: dict[str, Any], data: Any, text: str) -> None:
        self.stdout.write(to_json(data) if options.get("json") else text)

    def do_faq_import(self, membership: Membership, options: dict[str, Any]) -> None:
        require(membership, Action.MODERATE_INBOX)
        name = options["file"]
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s")
                               % {"file": name, "error": exc.strerror or exc}) from exc
        try:
            result = faq.import_csv(membership.workspace_id, data)
        except faq.FaqError as exc:
            raise CommandError(str(exc)) from exc
        faq.embed_all(membership.workspace_id)  # the first message must not wait for it
        summary = _("%(created)s entries added, %(updated)s updated, %(questions)s questions "
                    "added, %(answers)s answers set.") % {
            "created": result.entries_created, "updated": result.entries_updated,
            "questions": result.questions_added, "answers": result.answers_set}
        if options.get("json"):
            self.stdout.write(to_json(result.as_json()))
        else:
            self.stdout.write(summary)
        for error in result.errors:
            self.stderr.write(one_line(error))
        if result.errors:
            raise CommandError(_("%(count)s rows were refused (listed above); the others were "
                                 "imported.") % {"count": len(result.errors)})

    def do_faq_list(self, membership: Membership, options: dict[str, Any]) -> None:
        require(membership, Action.VIEW_INBOX)
        entries = FaqEntry.objects.filter(workspace=membership.workspace) \
            .prefetch_related("questions")
        data = [{"faq": e.key, "questions": [{"language": q.language, "text": q.text}
                                             for q in e.questions.all()],
                 "answer": {"el": e.answer_el, "en": e.answer_en}} for e in entries]
        self._out(options, data, "\n".join(
            f"{d['faq']}: {len(d['questions'])} questions" for d in data) or _("No entries."))

    def do_configure(self, membership: Membership, options: dict[str, Any]) -> None:
        changes = {key: options.get(name) for key, name in (
            ("enabled", "enabled"), ("always", "always"), ("tz", "timezone"),
            ("spec", "hours"), ("holidays", "holidays"), ("threshold", "threshold"),
            ("away_el", "away_message_el"), ("away_en", "away_message_en"),
            ("sync_seconds", "sync_seconds"))}
        changes = {k: v for k, v in changes.items() if v is not None}
        require(membership, Action.MODERATE_INBOX if changes else Action.VIEW_INBOX)
        try:
            config = assistant.configure(membership.workspace_id, **changes) if changes \
                else assistant.settings_for(membership.workspace_id)
        except assistant.AssistantError as exc:
            raise CommandError(str(exc)) from exc
        data = assistant.settings_json(config)
        self._out(options, data, "\n".join(f"{k}: {v}" for k, v in data.items()))

    def do_answer(self, membership: Membership, options: dict[str, Any]) -> None:
        require(membership, Action.VIEW_INBOX)
        result = assistant.answer(membership.workspace_id, options["text"])
        self._out(options, result.as_json(),
                  f"{result.action} ({result.faq or '-'}, {result.score:.3f}, "
                  f"{result.language}): {result.reply}")
