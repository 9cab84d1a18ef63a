"""Classifier throughput: comments per second through keryx.classify (issue 15: ≥ 20/s on 2 cores).

    python bench/classify.py [--items 500] [--batch 32]

Runs the held-out comments (Greek and English) through `classify_many` in batches, after one
warm-up call that loads the model, and prints items/s; also one-at-a-time `classify`, which is
what a single new inbox item costs. No Django, no database.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from keryx.classify import classify, classify_many  # noqa: E402


def comments(limit: int) -> list[str]:
    texts: list[str] = []
    for lang in ("el", "en"):
        path = ROOT / "tests" / "data" / "classify" / f"eval_{lang}.tsv"
        with path.open(encoding="utf-8") as handle:
            texts += [row["text"] for row in csv.DictReader(handle, delimiter="\t")]
    texts = texts[::2] + texts[1::2]  # mix the languages and kinds
    return (texts * (limit // len(texts) + 1))[:limit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    texts = comments(args.items)
    start = time.perf_counter()
    classify("warm up")
    print(f"model load + first call: {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    for i in range(0, len(texts), args.batch):
        classify_many(texts[i:i + args.batch])
    batched = len(texts) / (time.perf_counter() - start)
    single_texts = texts[: max(20, args.items // 4)]
    start = time.perf_counter()
    for text in single_texts:
        classify(text)
    single = len(single_texts) / (time.perf_counter() - start)
    print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}")
    print(f"batched ({args.batch}): {batched:.1f} items/s over {len(texts)} items")
    print(f"one at a time: {single:.1f} items/s over {len(single_texts)} items")


if __name__ == "__main__":
    main()
