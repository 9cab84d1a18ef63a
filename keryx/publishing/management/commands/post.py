"""`keryx post TEXT --to NAME[,NAME...] [--at ISO-8601|now] [--media PATH [--alt TEXT]]...`

Schedules (or publishes now) one post. A time without an offset is wall-clock time in the
workspace's time zone. Each --alt describes the --media just before it. Prints the post id and
each channel's state; with --json, the post as JSON and nothing else."""

from __future__ import annotations

import argparse
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from keryx.core.cliutil import (
    add_common_arguments,
    one_line,
    one_membership,
    require,
    resolve_actor,
    to_json,
)
from keryx.core.permissions import Action
from keryx.publishing import inputs, services
from keryx.publishing.management.render import post_summary
from keryx.publishing.models import Media
from keryx.publishing.schemas import post_json


class MediaAction(argparse.Action):
    """--media PATH: one more attachment, in order."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None
                 ) -> None:
        items = list(getattr(namespace, "media", None) or [])
        items.append({"path": values, "alt": ""})
        namespace.media = items


class AltAction(argparse.Action):
    """--alt TEXT: the alt text of the --media given just before it."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None
                 ) -> None:
        items = list(getattr(namespace, "media", None) or [])
        if not items:
            parser.error(_("--alt describes the --media before it; give --media first."))
        if items[-1]["alt"]:
            parser.error(_("Two --alt for one --media (%(path)s).") % {"path": items[-1]["path"]})
        items[-1] = {**items[-1], "alt": values}
        namespace.media = items


class Command(BaseCommand):
    help = _("Schedule a post to one or more channels, or publish it now.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", help=_("the post's text"))
        parser.add_argument("--to", required=True, metavar="NAME[,NAME...]",
                            help=_("channel names (or ids), comma-separated"))
        parser.add_argument("--at", default="now", metavar="ISO-8601|now",
                            help=_("when; without an offset it is the workspace's local time"))
        parser.add_argument("--media", action=MediaAction, metavar="PATH", default=[],
                            help=_("attach an image (repeatable)"))
        parser.add_argument("--alt", action=AltAction, metavar="TEXT",
                            help=_("alt text for the preceding --media"))
        parser.add_argument("--content-warning", default="", metavar="CW")
        parser.add_argument("--draft", action="store_true", help=_("save without scheduling"))
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        membership = one_membership(user, options["workspace"])
        require(membership, Action.CREATE_DRAFT if options["draft"] else Action.CREATE_POST)
        workspace = membership.workspace
        media_args = options["media"] or []
        if media_args:
            require(membership, Action.UPLOAD_MEDIA)
        for item in media_args:
            if not os.path.isfile(item["path"]):
                raise CommandError(_("No such file: %(path)s") % {"path": item["path"]})
        try:
            channels = inputs.resolve_channels(workspace, options["to"].split(","))
            when = inputs.resolve_when(options["at"], workspace)
            # One transaction: a rejected post leaves no uploaded media rows behind.
            with transaction.atomic():
                media = [self._upload(workspace, user, item) for item in media_args]
                post = services.create_post(
                    workspace=workspace,
                    author=user,
                    text=options["text"],
                    content_warning=options["content_warning"],
                    channels=channels,
                    media=media,
                    scheduled_at=when,
                    draft=options["draft"],
                    actor=user.email or user.get_username(),
                )
        except (inputs.InputError, services.PostRejected, services.MediaRejected) as exc:
            raise CommandError(one_line(exc)) from exc
        data = post_json(post)
        if options["json"]:
            self.stdout.write(to_json(data))
        else:
            self.stdout.write("\n".join(post_summary(data, workspace.timezone)))

    @staticmethod
    def _upload(workspace: Any, user: Any, item: dict[str, str]) -> Media:
        with open(item["path"], "rb") as handle:
            return services.save_media(
                workspace=workspace, user=user, file=handle,
                filename=os.path.basename(item["path"]), alt_text=item["alt"],
            )
