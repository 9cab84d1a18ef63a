from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from keryx.core.services import ensure_first_admin


class Command(BaseCommand):
    help = "Prepare the database and create the first admin and workspace (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--admin-email", default="admin@example.com")
        parser.add_argument("--admin-password", default=None)
        parser.add_argument(
            "--language", default=None,
            help="The admin's UI language (en, el); the first workspace is named in it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        user, password = ensure_first_admin(
            options["admin_email"], options["admin_password"], language=options["language"]
        )
        if password:
            self.stdout.write(
                f"Created the first admin. Sign in at the web UI with\n"
                f"  e-mail:   {user.email}\n  password: {password}\n"
                "This password is shown only once."
            )
        else:
            self.stdout.write("Database is up to date; the admin already exists.")
