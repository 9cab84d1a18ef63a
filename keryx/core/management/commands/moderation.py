"""`keryx moderation classify TEXT [--json]`: what the offline classifier makes of a text.
`keryx moderation retrain [--json]`: retrain the workspace's spam head from its moderators'
decisions (keryx.inbox.spamhead).

Thin on purpose: the work is in keryx.classify (no database, no workspace needed). The inbox
builds its moderation rules on the same call.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from keryx.classify import classify
from keryx.core.cliutil import (
    add_common_arguments,
    one_membership,
    require,
    resolve_actor,
    to_json,
)
from keryx.core.permissions import Action
from keryx.inbox import spamhead


class Command(BaseCommand):
    help = "Moderation tools: classify a text (language, spam, offensive language, sentiment)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("classify", help="classify one text offline")
        run.add_argument("text")
        run.add_argument("--json", action="store_true", help="print JSON only")
        retrain = sub.add_parser("retrain", help="retrain the workspace's spam head from the "
                                                 "moderators' decisions")
        add_common_arguments(retrain)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "retrain":
            self.retrain(options)
            return
        result = classify(options["text"])
        data = {
            "language": result.language,
            "spam": result.spam,
            "offensive": result.offensive,
            "sentiment": result.sentiment,
            "language_confidence": result.language_confidence,
            "sentiment_scores": result.sentiment_scores,
            "signals": result.signals,
        }
        if options["json"]:
            self.stdout.write(to_json(data))
            return
        self.stdout.write(
            f"language:  {result.language} ({result.language_confidence:.2f}"
            f"{', ' + result.language_note if result.language_note else ''})\n"
            f"spam:      {result.spam:.2f}\n"
            f"offensive: {result.offensive:.2f}\n"
            f"sentiment: {result.sentiment}\n"
            f"signals:   {', '.join(result.signals) or '-'}"
        )

    def retrain(self, options: dict[str, Any]) -> None:
        membership = one_membership(resolve_actor(options.get("user")), options.get("workspace"))
        require(membership, Action.MODERATE_INBOX)
        try:
            result = spamhead.retrain(membership.workspace_id)
        except spamhead.RetrainError as exc:
            raise CommandError(str(exc)) from exc
        if options.get("json"):
            self.stdout.write(to_json(result.as_dict()))
            return
        self.stdout.write(_("Spam head retrained on %(n)s decisions (%(spam)s spam, %(ham)s not "
                            "spam); right on them before %(before).0f%%, after %(after).0f%%.")
                          % {"n": result.examples, "spam": result.spam, "ham": result.not_spam,
                             "before": result.accuracy_before * 100,
                             "after": result.accuracy_after * 100})
