"""`keryx backup FILE`: the database (online) and the media in one archive (keryx.core.backup)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keryx.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Write the database and the uploaded media to one archive (.tar.gz), while running."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the archive to write, e.g. keryx-2026-12-04.tar.gz")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = backup(options["file"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        key = ("with the secret key: keep the archive as secret as the key"
               if summary.secret_key else
               "without the secret key (set by KERYX_SECRET_KEY[_FILE]: keep it yourself)")
        self.stdout.write(f"{options['file']}: {summary.engine} database, "
                          f"{summary.media_files} media file(s), {key}; "
                          f"{summary.size} bytes.")
