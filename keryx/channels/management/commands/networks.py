"""`keryx networks list` and `keryx networks matrix [--write|--check]` (docs/networks.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from keryx.networks import matrix, registry

# BASE_DIR is the keryx package; the docs sit beside it in the repository.
DOC = Path(settings.BASE_DIR).parent / "docs" / "networks.md"


class Command(BaseCommand):
    help = "The networks Keryx can publish to, and their capability matrix."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="network identifiers and names")
        table = sub.add_parser("matrix", help="print docs/networks.md")
        table.add_argument("--write", action="store_true", help="write docs/networks.md")
        table.add_argument("--check", action="store_true",
                           help="exit non-zero when docs/networks.md is stale")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for name in sorted(registry.PROVIDERS):
                cls = registry.get_provider_class(name)
                self.stdout.write(f"{name:<16} {cls.display_name}")
            return
        text = matrix.render()
        if options["check"]:
            current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
            if current != text:
                raise CommandError(f"{DOC} is stale: run `keryx networks matrix --write`.")
            return
        if options["write"]:
            DOC.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {DOC}")
            return
        self.stdout.write(text, ending="")
