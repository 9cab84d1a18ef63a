"""`keryx moderation classify TEXT [--json]`: what the offline classifier makes of a text.

Thin on purpose: the work is in keryx.classify (no database, no workspace needed). The inbox
builds its moderation rules on the same call.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from keryx.classify import classify
from keryx.core.cliutil import to_json


class Command(BaseCommand):
    help = "Moderation tools: classify a text (language, spam, offensive language, sentiment)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("classify", help="classify one text offline")
        run.add_argument("text")
        run.add_argument("--json", action="store_true", help="print JSON only")

    def handle(self, *args: Any, **options: Any) -> None:
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
