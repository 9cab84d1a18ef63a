"""The `keryx` command: a thin front over Django management commands.

`keryx init`, `keryx serve`, `keryx channels …`, `keryx post …` are management commands in the
apps; any other Django command (migrate, createsuperuser, …) works too. Errors print one line on
stderr and exit non-zero.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keryx.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(
            "usage: keryx COMMAND [options]\n\n"
            "commands: init, serve, web, worker, scheduler, backup, restore, channels,\n"
            "          networks, post, posts, validate, import, export, tokens, moderation,\n"
            "          inbox, assistant, competitors, secrets, goals, budgets, spend\n"
            "          (and every Django management command)\n"
            "run `keryx COMMAND --help` for a command's options."
        )
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["keryx", *args])


if __name__ == "__main__":
    main()
