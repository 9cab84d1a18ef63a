"""Plain-text output of `keryx post` and `keryx posts`: the same facts as --json, for people.

Works on the JSON form of a post (publishing.schemas.post_json) so both outputs never drift."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from keryx.core.timeutil import get_zone


def local(value: str | None, tz_name: str) -> str:
    """An ISO 8601 UTC time as wall-clock time in the workspace's zone."""
    if not value:
        return "-"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(get_zone(tz_name)).strftime("%Y-%m-%d %H:%M %Z")


def excerpt(text: str, width: int = 48) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def post_summary(post: dict[str, Any], tz_name: str) -> list[str]:
    """What `keryx post` prints: the id, when, and each channel's state."""
    when = local(post["scheduled_at"], tz_name) if post["scheduled_at"] else _("not scheduled")
    lines = [_("Post %(id)s: %(state)s, %(when)s")
             % {"id": post["id"], "state": post["state"], "when": when}]
    lines += [f"  {t['channel']['name']:<20} {t['state']}" for t in post["targets"]]
    return lines


def post_detail(post: dict[str, Any], tz_name: str) -> list[str]:
    """What `keryx posts show` prints: per channel state, remote id, url, time, error; history."""
    lines = [
        _("Post %(id)s (%(state)s)") % {"id": post["id"], "state": post["state"]},
        _("  scheduled: %(when)s") % {"when": local(post["scheduled_at"], tz_name)},
        _("  text: %(text)s") % {"text": excerpt(post["text"], 200)},
    ]
    if post["content_warning"]:
        lines.append(_("  content warning: %(cw)s") % {"cw": post["content_warning"]})
    for media in post["media"]:
        lines.append(_("  media %(id)s: %(mime)s, alt: %(alt)s")
                     % {"id": media["id"], "mime": media["mime"], "alt": media["alt_text"] or "-"})
    for target in post["targets"]:
        channel = target["channel"]
        lines.append(f"  {channel['name']} ({channel['network']}): {target['state']}")
        if target["remote_id"]:
            lines.append(_("    remote id: %(id)s") % {"id": target["remote_id"]})
        if target["url"]:
            lines.append(_("    url: %(url)s") % {"url": target["url"]})
        if target["published_at"]:
            lines.append(_("    published: %(when)s")
                         % {"when": local(target["published_at"], tz_name)})
        if target["error"]:
            lines.append(_("    error: %(code)s: %(message)s") % target["error"])
        if target["attempts"]:
            lines.append(_("    attempts: %(n)s") % {"n": target["attempts"]})
        for event in target.get("history") or []:
            arrow = f"{event['from_state'] or '-'} -> {event['to_state']}"
            note = f" ({event['message']})" if event["message"] else ""
            lines.append(f"    {local(event['at'], tz_name)}  {arrow}  {event['actor']}{note}")
    return lines


def post_row(post: dict[str, Any], tz_name: str) -> str:
    channels = ",".join(t["channel"]["name"] for t in post["targets"])
    return (f"{post['id']:>6}  {post['state']:<10}  {local(post['scheduled_at'], tz_name):<22}"
            f"  {channels:<24}  {excerpt(post['text'])}")
