"""Moderation rules on new inbox items: the first active rule (by priority) whose conditions
all hold acts; in dry-run it only logs what it would have done. Every action is logged with its
rule and can be reverted from the inbox.

Conditions are read on the classifier's cleaned text (keryx.classify.text.clean: no tags, no
zero-width characters), so a word split by an invisible character still matches a keyword.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def matches(rule: ModerationRule, item: InboxItem) -> bool:
    """Whether every condition the rule sets holds for the item (unset ones are ignored)."""
    text = clean(item.text)
    checks: list[bool] = []
    if rule.keywords:
        folded = fold(text)
        checks.append(any(fold(str(k)) in folded for k in rule.keywords if str(k).strip()))
    if rule.has_link is not None:
        checks.append(bool(URL.search(text)) == rule.has_link)
    if rule.has_contact is not None:
        checks.append(bool(EMAIL.search(text) or PHONE.search(text)) == rule.has_contact)
    if rule.only_emoji is not None:
        checks.append(is_emoji_only(text) == rule.only_emoji)
    if rule.all_caps is not None:
        checks.append(_all_caps(text) == rule.all_caps)
    if rule.kinds:
        checks.append(item.kind in rule.kinds)
    if rule.channels:
        checks.append(item.channel_id in {int(c) for c in rule.channels})
    if rule.languages:
        checks.append(item.language in rule.languages)
    if rule.spam_above is not None:
        checks.append(item.spam is not None and item.spam > rule.spam_above)
    if rule.offensive_above is not None:
        checks.append(item.offensive is not None and item.offensive > rule.offensive_above)
    return bool(checks) and all(checks)


def first_match(rules: Sequence[ModerationRule], item: InboxItem) -> ModerationRule | None:
    return next((r for r in rules if matches(r, item)), None)


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
