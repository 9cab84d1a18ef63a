"""Moderation rules on new inbox items: items/s through keryx.inbox.moderation.first_match on one
core (issue 15: 5,000 new items a second).

    python bench/inbox_rules.py [--items 20000] [--repeat 3]

A realistic rule set of 10 rules with mixed conditions (keywords in Greek and English, link,
e-mail/phone, only emoji, all caps, kind, channel, language, spam and offensive score) runs
over items that are already classified (spam/offensive/language set, as keryx.inbox.services
.store does before moderating): the classifier is not part of this figure, nor the database
(the rules are evaluated on unsaved model instances; `apply` and its log row are not timed).
Most items match no rule, so every rule is tried for them: the costly case. Also checks that
the verdicts are the same as a straightforward reference evaluation of the conditions.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keryx.settings")

import django  # noqa: E402

django.setup()

from keryx.inbox import moderation  # noqa: E402
from keryx.inbox.models import InboxItem, ModerationRule  # noqa: E402

TARGET = 5000.0

TEXTS = [
    "Are you open on Sunday? We'd like to book a table for four.",
    "Πότε ανοίγετε την Κυριακή; Θέλουμε τραπέζι για τέσσερις.",
    "Τέλειο φαγητό, ευχαριστούμε πολύ! 😍",
    "Great service, thank you so much!",
    "BUY CHEAP FOLLOWERS NOW visit followers-cheap.xyz",
    "Κερδίστε δωρεάν iPhone!!! Στείλτε μήνυμα στο 6912345678",
    "Contact me at deals@promo-mail.com for a crypto investment",
    "😂😂😂🔥🔥",
    "THIS IS THE WORST PLACE EVER",
    "Η παραγγελία μου άργησε δύο ώρες, απαράδεκτο.",
    "The <b>delivery</b> was late &amp; cold",
    "@keryx_cafe @someone @another",
    "Do you have gluten-free bread? " * 6,
    "Συγχαρητήρια για τα νέα σας καταστήματα στη Θεσσαλονίκη και την Αθήνα",
    "fr\u200bee mo\u200bney click here",
    "I love the new menu, especially the sourdough",
]


def rules() -> list[ModerationRule]:
    """Ten rules of mixed conditions, in priority order (unsaved: no database needed)."""
    specs = [
        dict(name="obvious spam", spam_above=0.9, action="hide"),
        dict(name="scam words", keywords=["δωρεάν iphone", "crypto investment", "free money",
                                          "κερδίστε", "cheap followers"], action="hide"),
        dict(name="links from strangers", has_link=True, kinds=["comment", "mention"],
             spam_above=0.5, action="flag"),
        dict(name="contact details in public", has_contact=True, kinds=["comment"],
             action="flag"),
        dict(name="insults", offensive_above=0.8, action="hide"),
        dict(name="complaints el", keywords=["απαράδεκτο", "άργησε", "κρύο", "χάλια"],
             languages=["el"], action="label", label="complaint"),
        dict(name="complaints en", keywords=["late", "cold", "worst", "refund", "rude"],
             languages=["en"], action="label", label="complaint"),
        dict(name="shouting", all_caps=True, offensive_above=0.3, action="flag"),
        dict(name="emoji only", only_emoji=True, kinds=["comment"], channels=[1, 2],
             action="done"),
        dict(name="dms to sales", kinds=["message"], keywords=["price", "τιμή", "κράτηση",
                                                               "booking"],
             channels=[2], action="label", label="sales"),
    ]
    made = []
    for priority, spec in enumerate(specs):
        rule = ModerationRule(priority=priority * 10, workspace_id=1, **spec)
        made.append(rule)
    return made


def items(count: int, seed: int = 7) -> list[InboxItem]:
    rng = random.Random(seed)
    made = []
    for n in range(count):
        text = rng.choice(TEXTS)
        greek = any("\u0370" <= ch <= "\u03ff" for ch in text)
        made.append(InboxItem(
            pk=n + 1, workspace_id=1, channel_id=rng.choice([1, 2, 3]),
            kind=rng.choice(["comment", "comment", "comment", "mention", "message"]),
            text=text, language="el" if greek else "en",
            spam=round(rng.betavariate(0.6, 4), 3), offensive=round(rng.betavariate(0.5, 6), 3)))
    return made


def reference(rule: ModerationRule, item: InboxItem) -> bool:
    """The conditions read one by one, as written in docs/inbox.md (every set condition must
    hold; a rule with none matches nothing): what first_match must agree with."""
    from keryx.classify.signals import EMAIL, PHONE, URL
    from keryx.classify.text import clean, fold, is_emoji_only, letters
    text = clean(item.text)
    checks = []
    if rule.keywords:
        checks.append(any(fold(str(k)) in fold(text) for k in rule.keywords if str(k).strip()))
    if rule.has_link is not None:
        checks.append(bool(URL.search(text)) == rule.has_link)
    if rule.has_contact is not None:
        checks.append(bool(EMAIL.search(text) or PHONE.search(text)) == rule.has_contact)
    if rule.only_emoji is not None:
        checks.append(is_emoji_only(text) == rule.only_emoji)
    if rule.all_caps is not None:
        cased = [ch for ch in letters(text) if ch.lower() != ch.upper()]
        checks.append((len(cased) >= moderation.ALL_CAPS_MIN_LETTERS
                       and all(ch.isupper() for ch in cased)) == rule.all_caps)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rule_set = rules()
    batch = items(args.items)
    # One core: the figure is for one process evaluating rules one item after another.
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass
    moderation.first_match(rule_set, batch[0])  # warm up (compiles what is cached)
    best = 0.0
    verdicts: dict[str | None, int] = {}
    for _ in range(args.repeat):
        start = time.perf_counter()
        found = [moderation.first_match(rule_set, item) for item in batch]
        rate = len(batch) / (time.perf_counter() - start)
        best = max(best, rate)
    expected = [next((r for r in rule_set if reference(r, i)), None) for i in batch]
    if [id(r) for r in expected] != [id(r) for r in found]:
        raise SystemExit("first_match disagrees with the reference evaluation")
    for rule in found:
        name = rule.name if rule else None
        verdicts[name] = verdicts.get(name, 0) + 1
    print(f"cores: {os.cpu_count()} (pinned to one)  load average: {os.getloadavg()[0]:.1f}")
    print(f"{len(rule_set)} rules, {len(batch)} items, best of {args.repeat}: "
          f"{best:,.0f} items/s (target {TARGET:,.0f}: {'met' if best >= TARGET else 'NOT met'})")
    for name, n in sorted(verdicts.items(), key=lambda kv: -kv[1]):
        print(f"  {name or '(no rule)'}: {n}")


if __name__ == "__main__":
    main()
