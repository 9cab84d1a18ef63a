"""Moderation rules on new inbox items: the first active rule (by priority) whose conditions
all hold acts; in dry-run it only logs what it would have done. Every action is logged with its
rule and can be reverted from the inbox.

Conditions are read on the classifier's cleaned text (keryx.classify.text.clean: no tags, no
zero-width characters), so a word split by an invisible character still matches a keyword.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.utils import timezone

from keryx.classify.signals import EMAIL, PHONE, URL
from keryx.classify.text import clean, fold, is_emoji_only, letters
from keryx.inbox.models import InboxItem, ModerationLog, ModerationRule, RuleAction, Status
from keryx.networks.base import ProviderError

# At least this many letters before "all caps" means shouting rather than "OK".
ALL_CAPS_MIN_LETTERS = 5

# Hides the item on the network; set by keryx.inbox.services (which holds the provider seam).
Hider = Callable[[InboxItem, bool], None]


def _all_caps(text: str) -> bool:
    found = [ch for ch in letters(text) if ch.lower() != ch.upper()]
    return len(found) >= ALL_CAPS_MIN_LETTERS and all(ch.isupper() for ch in found)


@lru_cache(maxsize=1024)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled alternation of the folded keywords (a substring search for any of them),
    built once per keyword list instead of folding every keyword for every item."""
    folded = [fold(k) for k in keywords if k.strip()]
    return re.compile("|".join(re.escape(k) for k in folded)) if folded else None


def matches(rule: ModerationRule, item: InboxItem, text: str | None = None) -> bool:
    """Whether every condition the rule sets holds for the item (unset ones are ignored).
    `text` is the item's cleaned text when the caller has it already (first_match).

    The cheap conditions on the item's fields are tried before those on its text; all must
    hold, so the first that fails decides."""
    conditions = 0
    if rule.kinds:
        conditions += 1
        if item.kind not in rule.kinds:
            return False
    if rule.channels:
        conditions += 1
        if item.channel_id not in {int(c) for c in rule.channels}:
            return False
    if rule.languages:
        conditions += 1
        if item.language not in rule.languages:
            return False
    if rule.spam_above is not None:
        conditions += 1
        if not (item.spam is not None and item.spam > rule.spam_above):
            return False
    if rule.offensive_above is not None:
        conditions += 1
        if not (item.offensive is not None and item.offensive > rule.offensive_above):
            return False
    if text is None:
        text = clean(item.text)
    if rule.keywords:
        conditions += 1
        pattern = _keyword_pattern(tuple(str(k) for k in rule.keywords))
        if pattern is None or not pattern.search(fold(text)):
            return False
    if rule.has_link is not None:
        conditions += 1
        if bool(URL.search(text)) != rule.has_link:
            return False
    if rule.has_contact is not None:
        conditions += 1
        if bool(EMAIL.search(text) or PHONE.search(text)) != rule.has_contact:
            return False
    if rule.only_emoji is not None:
        conditions += 1
        if is_emoji_only(text) != rule.only_emoji:
            return False
    if rule.all_caps is not None:
        conditions += 1
        if _all_caps(text) != rule.all_caps:
            return False
    return conditions > 0


def first_match(rules: Sequence[ModerationRule], item: InboxItem) -> ModerationRule | None:
    text = clean(item.text)  # once per item, not once per rule
    return next((r for r in rules if matches(r, item, text)), None)


def active_rules(workspace_id: int) -> list[ModerationRule]:
    return list(ModerationRule.objects.filter(workspace_id=workspace_id, active=True))


def apply(item: InboxItem, rule: ModerationRule, hide: Hider) -> ModerationLog:
    """Do the rule's action (or only log it, in dry-run). A network that refuses hiding leaves
    the item visible; the log says why."""
    log = ModerationLog(item=item, rule=rule, rule_name=rule.name, action=rule.action,
                        label=rule.label if rule.action == RuleAction.LABEL else "",
                        dry_run=rule.dry_run)
    if rule.dry_run:
        log.save()
        return log
    changes: dict[str, Any] = {}
    if rule.action == RuleAction.HIDE:
        try:
            hide(item, True)
            changes["hidden"] = True
        except ProviderError as exc:
            log.message = exc.message
    elif rule.action == RuleAction.FLAG:
        changes["flagged"] = True
    elif rule.action == RuleAction.LABEL and rule.label:
        if rule.label not in item.labels:
            changes["labels"] = [*item.labels, rule.label]
    elif rule.action == RuleAction.DONE:
        changes["status"] = Status.DONE
    log.applied = bool(changes)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(item, name, value)
        if changes:
            item.save(update_fields=list(changes))
        log.save()
    return log


def moderate(item: InboxItem, hide: Hider, rules: Sequence[ModerationRule] | None = None
             ) -> ModerationLog | None:
    rules = active_rules(item.workspace_id) if rules is None else rules
    rule = first_match(rules, item)
    return apply(item, rule, hide) if rule else None


def revert(log: ModerationLog, user: Any, hide: Hider) -> None:
    """Undo what a rule did (unhide, unflag, remove the label, reopen)."""
    if log.reverted_at or not log.applied:
        return
    item = log.item
    if log.action == RuleAction.HIDE:
        hide(item, False)
        item.hidden = False
    elif log.action == RuleAction.FLAG:
        item.flagged = False
    elif log.action == RuleAction.LABEL:
        item.labels = [label for label in item.labels if label != log.label]
    elif log.action == RuleAction.DONE:
        item.status = Status.OPEN
    with transaction.atomic():
        item.save(update_fields=["hidden", "flagged", "labels", "status"])
        log.reverted_at = timezone.now()
        log.reverted_by = user
        log.save(update_fields=["reverted_at", "reverted_by"])
