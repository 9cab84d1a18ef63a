"""Classifier throughput: comments per second through keryx.classify (issue 15: ≥ 20/s on 2 cores).

    python bench/classify.py [--items 500] [--batch 32] [--repeats 0.3]

Runs the held-out comments (Greek and English) through `classify_many` in batches, after one
warm-up call that loads the model, and prints items/s; also one-at-a-time `classify`, which is
what a single new inbox item costs. No Django, no database. The embedding cache (embed.py) is
cleared before each pass and the items are distinct, so it saves nothing there; a last pass
measures a stream where a share (--repeats) of the items repeats an earlier text (spam waves,
"thanks!"), side by side with the cache off, in the same run.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from keryx.classify import classify, classify_many, embed  # noqa: E402


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
    parser.add_argument("--repeats", type=float, default=0.3)
    args = parser.parse_args()
    texts = comments(min(args.items, 560))  # distinct texts only
    start = time.perf_counter()
    classify("warm up")
    print(f"model load + first call: {time.perf_counter() - start:.2f} s")

    def batched(items: list[str]) -> float:
        embed.clear_cache()
        start = time.perf_counter()
        for i in range(0, len(items), args.batch):
            classify_many(items[i:i + args.batch])
        return len(items) / (time.perf_counter() - start)

    load_before = os.getloadavg()[0]
    distinct = batched(texts)
    single_texts = texts[: max(20, len(texts) // 4)]
    embed.clear_cache()
    start = time.perf_counter()
    for text in single_texts:
        classify(text)
    single = len(single_texts) / (time.perf_counter() - start)
    rng = random.Random(5)
    stream = [rng.choice(texts[: max(1, i)]) if i and rng.random() < args.repeats else text
              for i, text in enumerate(texts)]
    size, embed.CACHE_SIZE = embed.CACHE_SIZE, 0
    uncached = batched(stream)
    embed.CACHE_SIZE = size
    cached = batched(stream)
    print(f"cores: {os.cpu_count()}  load average: {load_before:.1f} -> {os.getloadavg()[0]:.1f}")
    print(f"batched ({args.batch}), distinct texts: {distinct:.1f} items/s over {len(texts)} items")
    print(f"one at a time, distinct texts: {single:.1f} items/s over {len(single_texts)} items")
    print(f"batched, {args.repeats:.0%} repeats: cache off {uncached:.1f} items/s, "
          f"cache on {cached:.1f} items/s")


if __name__ == "__main__":
    main()
