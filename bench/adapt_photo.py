"""Adapt one 12-megapixel photo (4000×3000 JPEG with EXIF orientation and GPS) for ten
networks; target under 2 s on 2 cores, with bounded memory (one decoded copy of the source,
at most two output frames at a time, never ten).

    .venv/bin/python bench/adapt_photo.py [--runs 5]

Each run is a fresh process (so its peak memory is its own); it reports wall time of
keryx.library.adapt.adapt_many, and the peak resident memory above the process's baseline
after imports.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NETWORKS = ["x", "mastodon", "bluesky", "threads", "instagram", "facebook", "linkedin",
            "pinterest", "telegram", "tiktok"]


def make_photo(path: str) -> None:
    """A photo-like image: smooth gradients plus sensor-like noise (noise is what makes JPEG
    big, so the byte caps really bite)."""
    from PIL import Image

    width, height = 4000, 3000
    noise = Image.effect_noise((width, height), 24)
    gradient = Image.linear_gradient("L").resize((width, height))
    red = Image.blend(gradient, noise, 0.35)
    green = Image.blend(gradient.transpose(Image.Transpose.ROTATE_180), noise, 0.35)
    blue = Image.blend(gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise, 0.35)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "BenchCam"
    exif[0x8825] = {1: "N", 2: (37.0, 58.0, 12.0)}
    Image.merge("RGB", (red, green, blue)).save(path, "JPEG", quality=92, exif=exif.tobytes())


def child(path: str) -> None:
    from keryx.library import adapt
    from keryx.library.specs import spec_for

    specs = [spec_for(n) for n in NETWORKS]
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sizes: dict[str, int] = {}

    def sink(spec):
        return _Counter(sizes, spec.network)

    start = time.perf_counter()
    results = adapt.adapt_many(path, os.path.getsize(path), specs, adapt.Focal(), sink)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    refused = [n for n, r in results.items() if isinstance(r, adapt.AdaptationRefused)]
    print(json.dumps({"seconds": elapsed, "peak_mb": (peak - baseline) / 1024,
                      "refused": refused,
                      "outputs": {n: [r.width, r.height, r.size] for n, r in results.items()
                                  if not isinstance(r, adapt.AdaptationRefused)}}))


class _Counter(io.RawIOBase):
    """Counts bytes instead of keeping them: the bench measures the adapter, not a disk."""

    def __init__(self, sizes: dict[str, int], key: str) -> None:
        self.sizes, self.key = sizes, key
        sizes[key] = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sizes[self.key] += len(data)
        return len(data)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "photo.jpg")
        make_photo(path)
        runs = []
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, __file__, "--child", path], check=True,
                                 capture_output=True, text=True, cwd=ROOT)
            runs.append(json.loads(out.stdout))
    times = [r["seconds"] for r in runs]
    print(f"source: 4000x3000 JPEG, {os.cpu_count()} cores, {len(NETWORKS)} networks")
    print(f"adapt: median {statistics.median(times):.2f} s, best {min(times):.2f} s, "
          f"worst {max(times):.2f} s over {len(times)} runs")
    print(f"peak memory above baseline: {max(r['peak_mb'] for r in runs):.0f} MB")
    for network, (w, h, size) in runs[0]["outputs"].items():
        print(f"  {network:10} {w}x{h} {size / 1e6:.2f} MB")
    if runs[0]["refused"]:
        print("refused:", runs[0]["refused"])
        return 1
    return 0 if statistics.median(times) < 2.0 else 2


if __name__ == "__main__":
    raise SystemExit(main())
