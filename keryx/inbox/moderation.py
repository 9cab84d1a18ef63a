"""Moderation rules on new inbox items: the first active rule (by priority) whose conditions
all hold acts; in dry-run it only logs what it would have done. Every action is logged with its
rule and can be reverted from the inbox.

Conditions are read on the classifier's cleaned text (keryx.classify.text.clean: no tags, no
zero-width characters), so a word split by an invisible character still matches a keyword.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.utils import timezone

from keryx.classify.signals import EMAIL, PHONE, URL
from keryx.classify.text import clean, fold, is_emoji_only, letters
from keryx.inbox.models import REVERSIBLE_ACTIONS as REVERSIBLE
from keryx.inbox.models import (
    BlockedAuthor,
    CannedReply,
    InboxItem,
    ModerationLog,
    ModerationRule,
    RuleAction,
    Status,
)
from keryx.networks.base import NotSupported, ProviderError

# At least this many letters before "all caps" means shouting rather than "OK".
ALL_CAPS_MIN_LETTERS = 5

# Hides the item on the network; set by keryx.inbox.services (which holds the provider seam).
Hider = Callable[[InboxItem, bool], None]

# A handle as networks write it in text: @name, @name@instance, @name.bsky.social.
MENTION = re.compile(r"@[\w.-]+(?:@[\w.-]+)?", re.UNICODE)
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)

# What a rule can still do beyond hiding, given by keryx.inbox.services (which holds the
# network and the notifications): delete on the network (raises ProviderError where it
# cannot), assign to a member (and tell them), reply with a canned answer (once, after the
# item is committed; the log is updated with the outcome).
Deleter = Callable[[InboxItem], None]
Assigner = Callable[[InboxItem, Any, str], None]
CannedSender = Callable[[InboxItem, CannedReply, ModerationLog], None]


@dataclass(frozen=True)
class Effects:
    hide: Hider
    delete: Deleter | None = None
    assign: Assigner | None = None
    reply: CannedSender | None = None


@dataclass(frozen=True)
class AuthorFacts:
    """What the author conditions need, looked up once per item."""

    new: bool
    blocked: bool


def words(text: str) -> int:
    """Words in the text: runs of letters or digits; @handles and links count as one each."""
    return len(WORD.findall(URL.sub(" x ", MENTION.sub(" x ", text))))


def only_mentions(text: str) -> bool:
    """The text is nothing but @handles (and spaces or punctuation)."""
    if not MENTION.search(text):
        return False
    rest = MENTION.sub(" ", text)
    return not any(ch.isalnum() for ch in rest)


def author_key(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def author_facts(item: InboxItem) -> AuthorFacts:
    """Whether this is the first item from its author in the workspace (on that network), and
    whether the workspace blocks them."""
    network = item.channel.network
    key = author_key(item.author_handle)
    if not key:
        return AuthorFacts(new=False, blocked=False)
    earlier = InboxItem.objects.filter(
        workspace_id=item.workspace_id, channel__network=network,
        author_key=key).exclude(pk=item.pk)
    if item.pk:
        earlier = earlier.filter(pk__lt=item.pk)
    blocked = BlockedAuthor.objects.filter(workspace_id=item.workspace_id, network=network,
                                           handle=key).exists()
    return AuthorFacts(new=not earlier.exists(), blocked=blocked)


def needs_author(rule: ModerationRule) -> bool:
    return rule.new_author is not None or rule.blocked_author is not None


def _all_caps(text: str) -> bool:
    found = [ch for ch in letters(text) if ch.lower() != ch.upper()]
    return len(found) >= ALL_CAPS_MIN_LETTERS and all(ch.isupper() for ch in found)


@lru_cache(maxsize=1024)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled alternation of the folded keywords (a substring search for any of them),
    built once per keyword list instead of folding every keyword for every item."""
    folded = [fold(k) for k in keywords if k.strip()]
    return re.compile("|".join(re.escape(k) for k in folded)) if folded else None


def matches(rule: ModerationRule, item: InboxItem, author: AuthorFacts | None = None, *,
            text: str | None = None) -> bool:
    """Whether every condition the rule sets holds for the item (unset ones are ignored).
    `author` is looked up when a rule asks about the author and the caller did not give it;
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
    if rule.only_mentions is not None:
        conditions += 1
        if only_mentions(text) != rule.only_mentions:
            return False
    if rule.min_words is not None or rule.max_words is not None:
        conditions += 1
        count = words(text)
        if not ((rule.min_words is None or count >= rule.min_words)
                and (rule.max_words is None or count <= rule.max_words)):
            return False
    if needs_author(rule):
        facts = author if author is not None else author_facts(item)
        if rule.new_author is not None:
            conditions += 1
            if facts.new != rule.new_author:
                return False
        if rule.blocked_author is not None:
            conditions += 1
            if facts.blocked != rule.blocked_author:
                return False
    return conditions > 0


def first_match(rules: Sequence[ModerationRule], item: InboxItem) -> ModerationRule | None:
    text = clean(item.text)  # once per item, not once per rule
    author = author_facts(item) if any(needs_author(r) for r in rules) else None
    return next((r for r in rules if matches(r, item, author, text=text)), None)


def active_rules(workspace_id: int) -> list[ModerationRule]:
    return list(ModerationRule.objects.filter(workspace_id=workspace_id, active=True))


def apply(item: InboxItem, rule: ModerationRule, hide: Hider,
          effects: Effects | None = None) -> ModerationLog:
    """Do the rule's action (or only log it, in dry-run). A network that refuses hiding or
    deleting leaves the item visible; the log says why. An action whose effect was not given
    is logged as not applied, with that reason."""
    effects = effects or Effects(hide=hide)
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
    elif rule.action == RuleAction.DELETE:
        try:
            if effects.delete is None:
                raise NotSupported("Deleting is not available here.")
            effects.delete(item)
            changes.update(hidden=True, deleted_remotely=True)
        except ProviderError as exc:
            log.message = exc.message
    elif rule.action == RuleAction.ASSIGN:
        if rule.assign_to_id and effects.assign is not None:
            effects.assign(item, rule.assign_to, rule.name)
            log.applied = True
        else:
            log.message = "The rule names nobody to assign to."
    elif rule.action == RuleAction.REPLY:
        if rule.canned_id is None or effects.reply is None:
            log.message = "The rule has no canned answer to send."
    log.applied = log.applied or bool(changes)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(item, name, value)
        if changes:
            item.save(update_fields=list(changes))
        log.save()
    if rule.action == RuleAction.REPLY and rule.canned_id and effects.reply is not None:
        effects.reply(item, rule.canned, log)
    return log


def moderate(item: InboxItem, hide: Hider, rules: Sequence[ModerationRule] | None = None,
             effects: Effects | None = None) -> ModerationLog | None:
    rules = active_rules(item.workspace_id) if rules is None else rules
    rule = first_match(rules, item)
    return apply(item, rule, hide, effects) if rule else None


def revert(log: ModerationLog, user: Any, hide: Hider) -> None:
    """Undo what a rule did (unhide, unflag, remove the label, reopen)."""
    if log.reverted_at or not log.applied or log.action not in REVERSIBLE:
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
    elif log.action == RuleAction.ASSIGN:
        item.assignee = None
    with transaction.atomic():
        item.save(update_fields=["hidden", "flagged", "labels", "status", "assignee"])
        log.reverted_at = timezone.now()
        log.reverted_by = user
        log.save(update_fields=["reverted_at", "reverted_by"])
