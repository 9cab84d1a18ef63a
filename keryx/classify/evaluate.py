"""Precision, recall and F1 per task and language on the held-out sets in tests/data/classify/.

    python -m keryx.classify.evaluate [--data tests/data/classify] [--json]
    python -m keryx.classify.evaluate --faq [--calibrate] [--json]   # the assistant's FAQ only

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
from keryx.classify.faq import DEFAULT_THRESHOLD, FaqEntry, match_faq, scores, vectors
from keryx.classify.language import detect
from keryx.classify.text import clean, greek_share

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "classify"
# The assistant's FAQ sets: faq.csv (one question per entry and language, as a workspace would
# start), faq_tune.tsv (the threshold is calibrated on it) and faq_eval.tsv (held out).
ASSISTANT_DATA = DATA.parent / "assistant"
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


def _language_of(text: str) -> str:
    return "el" if greek_share(text) > 0.4 else "en"


def faq_scored(entries: list[FaqEntry], rows: list[dict[str, str]]) -> list[tuple[str, str,
                                                                                   str, float]]:
    """(language, expected, best entry, score) per row, each row scored once."""
    # One batch for the model (one call per text is several times slower on a busy machine).
    vectors([clean(r["text"]) for r in rows] + [clean(t) for e in entries
                                                for t in [*e.questions, *e.answers]])
    out = []
    for row in rows:
        ranked = scores(row["text"], entries)
        best = next(iter(ranked))
        out.append((_language_of(row["text"]), row["expected"], best, ranked[best]))
    return out


def faq_figures(scored: list[tuple[str, str, str, float]],
                threshold: float) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for lang in LANGUAGES:
        on = [r for r in scored if r[0] == lang and r[1] != "none"]
        off = [r for r in scored if r[0] == lang and r[1] == "none"]
        out[lang] = {
            "right_entry": round(sum(r[2] == r[1] and r[3] >= threshold for r in on)
                                 / len(on), 3) if on else 0.0,
            "off_topic_to_person": round(sum(r[3] < threshold for r in off) / len(off), 3)
            if off else 0.0,
            "top1_without_threshold": round(sum(r[2] == r[1] for r in on) / len(on), 3)
            if on else 0.0,
            "n_on_topic": len(on), "n_off_topic": len(off)}
    return out


def calibrate(scored: list[tuple[str, str, str, float]]) -> float:
    """The threshold where the worst of the four figures' slack over their targets (right
    entry 0.85, off-topic to a person 0.9, in Greek and English) is largest."""
    best: tuple[float, float] | None = None
    for threshold in sorted({round(r[3], 3) for r in scored}):
        figures = faq_figures(scored, threshold)
        slack = min(min(f["right_entry"] - 0.85, f["off_topic_to_person"] - 0.9)
                    for f in figures.values())
        if best is None or slack > best[0]:
            best = (slack, threshold)
    return best[1] if best else DEFAULT_THRESHOLD


def evaluate_assistant(data: Path = ASSISTANT_DATA, *, with_calibration: bool = False,
                       threshold: float = DEFAULT_THRESHOLD) -> dict:
    """The assistant's figures at the default threshold on the held-out set (and on the
    classifier's older FAQ set, two questions per entry and language)."""
    report: dict = {"threshold": threshold}
    entries = load_faq(data / "faq.csv")
    held_out = faq_scored(entries, _tsv(data / "faq_eval.tsv"))
    report["held_out"] = faq_figures(held_out, threshold)
    old = faq_scored(load_faq(DATA / "faq_entries.csv"), _tsv(DATA / "faq_eval.tsv"))
    report["two_variants"] = faq_figures(old, threshold)
    if with_calibration:
        tune = faq_scored(entries, _tsv(data / "faq_tune.tsv"))
        best = calibrate(tune)
        report["calibrated_on_tune"] = {"threshold": best, "tune": faq_figures(tune, best)}
    return report


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
    parser.add_argument("--faq", action="store_true",
                        help="only the assistant's FAQ matching (tests/data/assistant)")
    parser.add_argument("--calibrate", action="store_true",
                        help="with --faq: also the threshold the tuning set calls best")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args(argv)
    if args.faq:
        faq_report = evaluate_assistant(with_calibration=args.calibrate,
                                        threshold=args.threshold)
        if args.json:
            print(json.dumps(faq_report, indent=2))
            return
        print(f"threshold {faq_report['threshold']}")
        for part in ("held_out", "two_variants"):
            for lang in LANGUAGES:
                f = faq_report[part][lang]
                print(f"[{part} {lang}] right entry {f['right_entry']:.3f} "
                      f"(n={f['n_on_topic']}, top-1 without threshold "
                      f"{f['top1_without_threshold']:.3f}), off-topic to a person "
                      f"{f['off_topic_to_person']:.3f} (n={f['n_off_topic']})")
        if "calibrated_on_tune" in faq_report:
            print(f"calibrated on the tuning set: {faq_report['calibrated_on_tune']}")
        return
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
