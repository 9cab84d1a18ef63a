"""Writes heads/faq_background.npy: the mean e5 vector of everyday comments, which the FAQ
matcher blends into the FAQ's own mean before centring (keryx.classify.faq).

    PYTHONPATH=$PWD python -m keryx.classify.faq_background

The comments are the repository's own training rows (data/own_train.tsv: spam, praise,
complaints and questions in Greek and English), none of them from the FAQ sets the matcher is
tuned or evaluated on. Deterministic: the same rows give the same file.
"""

from __future__ import annotations

import csv

import numpy as np

from keryx.classify.embed import embed
from keryx.classify.faq import BACKGROUND
from keryx.classify.text import clean
from keryx.classify.train import OWN


def main() -> None:
    with OWN.open(encoding="utf-8") as handle:
        texts = sorted({clean(r["text"]) for r in csv.DictReader(handle, delimiter="\t")
                        if clean(r["text"])})
    mean = embed(texts).mean(axis=0).astype(np.float32)
    np.save(BACKGROUND, mean)
    print(f"{BACKGROUND}: mean of {len(texts)} texts")


if __name__ == "__main__":
    main()
