"""The off-hours assistant's cost per message: matching one new message against a FAQ whose
vectors are cached (issue 15: the answer goes out within 60 s of the message reaching the
network, with the default settings).

    python bench/assistant.py [--items 40]

Loads tests/data/assistant/faq.csv (17 entries, Greek and English), embeds it once (timed
apart), then times keryx.classify.faq.match_faq one message at a time over the held-out
phrasings — what handle_new_item pays per new item besides the network round trips. No
Django, no database. The latency budget with the defaults: the channel is due every 30 s, the
periodic loop ticks every 5 s, so a message waits at most ~35 s for its fetch, plus this.
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

from keryx.classify.evaluate import load_faq  # noqa: E402
from keryx.classify.faq import match_faq, scores  # noqa: E402

DATA = ROOT / "tests" / "data" / "assistant"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=40)
    args = parser.parse_args()
    entries = load_faq(DATA / "faq.csv")
    with (DATA / "faq_eval.tsv").open(encoding="utf-8") as handle:
        texts = [r["text"] for r in csv.DictReader(handle, delimiter="\t")][: args.items]
    started = time.perf_counter()
    scores("warm-up: load the model and embed the FAQ", entries)
    warm = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        match_faq(text, entries)
    per = (time.perf_counter() - started) / len(texts)
    per_cpu = (time.process_time() - cpu) / len(texts)
    print(f"FAQ of {len(entries)} entries embedded (and the model loaded) in {warm:.1f} s")
    print(f"match_faq, one message at a time ({len(texts)} messages): {per * 1000:.0f} ms "
          f"each ({per_cpu * 1000:.0f} ms of CPU); load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
