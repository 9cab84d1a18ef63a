"""Precision, recall and F1 per task and language on the held-out sets in tests/data/classify/.

    python -m keryx.classify.evaluate [--data tests/data/classify] [--json]

The sets were written by hand for this purpose and are never trained or tuned on (the FAQ
threshold was chosen on faq_tune.tsv, the heads on data/own_train.tsv and the packaged data).
tests/test_classify_eval.py holds the figures to a floor just below those recorded in
docs/classifier.md, so a regression fails.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterable
from pathlib import Path

from keryx.classify.classifier import (
    DEFAULT_OFFENSIVE_THRESHOLD,
    DEFAULT_SPAM_THRESHOLD,
    classify_many,
)
from keryx.classify.faq import DEFAULT_THRESHOLD, FaqEntry, match_faq
from keryx.classify.language import detect
from keryx.classify.text import greek_share

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "classify"
LANGUAGES = ("el", "en")


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def prf(truth: Iterable[bool], predicted: Iterable[bool]) -> dict[str, float]:
    pairs = list(zip(truth, predicted, strict=True))
    tp = sum(1 for t, p in pairs if t and p)
    fp = sum(1 for t, p in pairs if not t and p)
    fn = sum(1 for t, p in pairs if t and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "n": sum(1 for t, _ in pairs if t)}


def load_faq(path: Path) -> list[FaqEntry]:
    """Entries from the inbox's CSV format: faq,language,question,answer."""
    questions: dict[str, list[str]] = {}
    answers: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            questions.setdefault(row["faq"], []).append(row["question"])
            if row.get("answer"):
                answers.setdefault(row["faq"], []).append(row["answer"])
    return [FaqEntry(key, qs, answers.get(key, [])) for key, qs in questions.items()]


def evaluate_faq(entries: list[FaqEntry], rows: list[dict[str, str]],
                 threshold: float = DEFAULT_THRESHOLD) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for lang in LANGUAGES:
        mine = [r for r in rows if (greek_share(r["text"]) > 0.4) == (lang == "el")]
        on = [r for r in mine if r["expected"] != "none"]
        off = [r for r in mine if r["expected"] == "none"]
        right = sum(1 for r in on if match_faq(r["text"], entries, threshold)[0] == r["expected"])
        away = sum(1 for r in off if match_faq(r["text"], entries, threshold)[0] is None)
        out[lang] = {"right_entry": round(right / len(on), 3) if on else 0.0,
                     "off_topic_to_person": round(away / len(off), 3) if off else 0.0,
                     "n_on_topic": len(on), "n_off_topic": len(off)}
    return out


def evaluate(data: Path = DATA) -> dict:
    report: dict = {"thresholds": {"spam": DEFAULT_SPAM_THRESHOLD,
                                   "offensive": DEFAULT_OFFENSIVE_THRESHOLD,
                                   "faq": DEFAULT_THRESHOLD}}
    for lang in LANGUAGES:
        rows = _tsv(data / f"eval_{lang}.tsv")
        results = classify_many([r["text"] for r in rows])
        kinds = [r["kind"] for r in rows]
        graded = [(k, res.sentiment) for k, res in zip(kinds, results, strict=True)
                  if k in {"positive", "negative"}]
        neutral = [res.sentiment for k, res in zip(kinds, results, strict=True) if k == "neutral"]
        report[lang] = {
            "items": len(rows),
            "spam": prf([k == "spam" for k in kinds],
                        [r.spam >= DEFAULT_SPAM_THRESHOLD for r in results]),
            "offensive": prf([k == "offensive" for k in kinds],
                             [r.offensive >= DEFAULT_OFFENSIVE_THRESHOLD for r in results]),
            "sentiment_clear_right": round(sum(k == s for k, s in graded) / len(graded), 3),
            "sentiment_neutral_right": round(neutral.count("neutral") / len(neutral), 3),
            "language_right": round(sum(r.language == lang for r in results) / len(rows), 3),
        }
    extra = _tsv(data / "language_extra.tsv")
    report["language_other"] = round(
        sum(detect(r["text"]).code == r["expected"] for r in extra) / len(extra), 3)
    entries = load_faq(data / "faq_entries.csv")
    report["faq"] = evaluate_faq(entries, _tsv(data / "faq_eval.tsv"))
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Evaluate keryx.classify on held-out data.")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = evaluate(args.data)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for lang in LANGUAGES:
        part = report[lang]
        print(f"[{lang}] {part['items']} items")
        for task in ("spam", "offensive"):
            m = part[task]
            print(f"  {task:<10} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}"
                  f"  (n={m['n']})")
        print(f"  sentiment  clear pos/neg right {part['sentiment_clear_right']:.3f}, "
              f"neutral right {part['sentiment_neutral_right']:.3f}")
        print(f"  language   right {part['language_right']:.3f}")
        faq = report["faq"][lang]
        print(f"  faq        right entry {faq['right_entry']:.3f} (n={faq['n_on_topic']}), "
              f"off-topic to a person {faq['off_topic_to_person']:.3f} (n={faq['n_off_topic']})")
    print(f"[other] language right (other languages, Greeklish, emoji) "
          f"{report['language_other']:.3f}")
    print(f"thresholds {report['thresholds']}")


if __name__ == "__main__":
    main()
