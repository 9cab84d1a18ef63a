"""Hashtags: per-network advice, saved groups, suggestions from the workspace's own posts, and
moving the closing hashtags of a caption into the first comment.

Hard limits stay with the providers' validate() (Instagram refuses more than 30); this module
adds the softer advice the composer shows as warnings, from what each network declares
(Capabilities.hashtags_recommended / hashtags_max).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import regex
from django.utils.translation import gettext as _

from keryx.contacts.models import HashtagGroup
from keryx.core.models import Workspace
from keryx.networks import registry
from keryx.networks.base import Problem
from keryx.networks.text import find_hashtags

# How far back suggestions look: recent habits matter, and the query stays bounded.
HISTORY_POSTS = 500


def tags_in(text: str) -> list[str]:
    return [span.value for span in find_hashtags(text)]


def advice(text: str, network: str) -> list[Problem]:
    """Warnings (not refusals) about the number of hashtags on this network."""
    count = len(tags_in(text))
    declared = registry.capabilities(network)
    if declared is None:
        return []
    limit, hard = declared.hashtags_recommended, declared.hashtags_max
    if limit is None or count <= limit or (hard is not None and count > hard):
        return []  # over the hard limit the provider's own error says it
    return [Problem(
        "many_hashtags",
        _("%(count)d hashtags: %(network)s recommends at most %(limit)d.")
        % {"count": count, "network": registry.display_name(network), "limit": limit},
        params={"count": count, "limit": limit, "severity": "warning"},
    )]


def normalise_group(tags: str) -> str:
    """"athens, #Greece  travel" -> "#athens #Greece #travel" (duplicates dropped, any case)."""
    seen: dict[str, str] = {}
    for word in regex.split(r"[\s,;]+", tags or ""):
        word = word.strip().lstrip("#＃")
        if word and regex.fullmatch(r"[\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*", word):
            seen.setdefault(word.casefold(), word)
    return " ".join(f"#{w}" for w in seen.values())


def save_group(workspace: Workspace, name: str, tags: str,
               group: HashtagGroup | None = None) -> HashtagGroup:
    normalised = normalise_group(tags)
    name = " ".join((name or "").split())[:80]
    if not name or not normalised:
        raise ValueError(_("A group needs a name and at least one hashtag."))
    if group is None:
        group, _created = HashtagGroup.objects.update_or_create(
            workspace=workspace, name=name, defaults={"tags": normalised}
        )
        return group
    group.name, group.tags = name, normalised
    group.save()
    return group


@dataclass(frozen=True)
class Suggestion:
    tag: str
    uses: int


def suggestions(workspace: Workspace | int, *, prefix: str = "", limit: int = 10
                ) -> list[Suggestion]:
    """The workspace's hashtags by how often its recent posts used them (most first), matching
    `prefix` if given. Tags differing only in case count together, shown as most often written.
    (Once analytics exist, engagement can weigh in here.)"""
    from keryx.publishing.models import Post

    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    texts = Post.objects.filter(workspace_id=workspace_id).order_by("-created_at").values_list(
        "text", flat=True
    )[:HISTORY_POSTS]
    uses: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    wanted = prefix.lstrip("#＃").casefold()
    for text in texts:
        for tag in tags_in(text):
            key = tag.casefold()
            if wanted and not key.startswith(wanted):
                continue
            uses[key] += 1
            spellings.setdefault(key, Counter())[tag] += 1
    ranked = sorted(uses.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [Suggestion(spellings[key].most_common(1)[0][0], count) for key, count in ranked]


# A closing run of hashtags: the last lines (or the end of the last line) hold only tags.
_TRAILING = regex.compile(
    r"(?:(?:^|\s+)[#＃][\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)+\s*\Z"
)


def split_closing_tags(text: str) -> tuple[str, str]:
    """(caption without its closing hashtags, those hashtags space-separated). Hashtags inside
    sentences stay where they are: moving them would break the sentence."""
    match = _TRAILING.search(text)
    if not match or not match.group(0).strip():
        return text, ""
    body = text[: match.start()].rstrip()
    if not body:
        return text, ""  # a caption of hashtags only keeps them: it would be empty otherwise
    tags = " ".join(match.group(0).split())
    return body, tags
