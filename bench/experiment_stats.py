"""How long an experiment's statistics take (keryx.analytics.stats.compare: the permutation test,
the bootstrap interval and the effect sizes) for arms of growing size. No database: the figures
an experiment page adds on top of reading its two arms' posts (two post_rows calls).

    .venv/bin/python bench/experiment_stats.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from keryx.analytics import stats  # noqa: E402

SIZES = [(5, 5), (8, 8), (12, 20), (30, 30), (100, 100), (300, 300)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(1)
    rows = []
    for n_a, n_b in SIZES:
        a = [rng.lognormvariate(0.5, 0.6) for _ in range(n_a)]
        b = [rng.lognormvariate(0.7, 0.6) for _ in range(n_b)]
        stats.compare(a, b)  # warm-up
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = stats.compare(a, b)
            times.append((time.perf_counter() - start) * 1000)
        rows.append({"arms": f"{n_a} + {n_b}", "method": result.method,
                     "median_ms": round(statistics.median(times), 1),
                     "max_ms": round(max(times), 1), "p": round(result.p_value or 0, 4)})
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
