"""`keryx restore FILE`: put back what `keryx backup` wrote; see keryx.core.backup."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keryx.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore the database and the media from a `keryx backup` archive."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="an archive written by `keryx backup`")
        parser.add_argument("--force", action="store_true",
                            help="replace a database that already holds Keryx data")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = restore(options["file"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored the {summary.engine} database and "
                          f"{summary.media_files} media file(s)"
                          f"{' and the secret key' if summary.secret_key else ''}. "
                          f"Run `keryx migrate` if this version is newer than the backup's.")
