"""The swear-word signal of the offensive head: folded matching, stems, and harmless look-alikes."""

from __future__ import annotations

import numpy as np
import pytest

from keryx.classify import heads, lexicon
from keryx.classify.classifier import offensive_features


@pytest.mark.parametrize("text", [
    "Άντε γαμήσου", "ΑΝΤΕ ΓΑΜΗΣΟΥ", "αντε γαμησου", "Γαμιέστε όλοι", "ρε μαλάκα", "ΜΑΛΑΚΕΣ",
    "μαλακες", "Καριόλη", "Κωλοεταιρεία", "σκατόψυχοι", "τι παπάρια λες",
])
def test_greek_insults_match_with_or_without_accents_and_capitals(text: str) -> None:
    assert lexicon.hits(text)[0] >= 1


@pytest.mark.parametrize("text", [
    "Μαλακό και ζεστό ύφασμα", "Ο γάμος μας ήταν τέλειος", "Γαμώτο, ξέχασα το κουπόνι",
    "Καθυστερημένη παράδοση, πολύ κακό", "Ποια είναι η αλήθεια;", "Άχρηστο προϊόν",
])
def test_harmless_look_alikes_do_not_match(text: str) -> None:
    assert lexicon.hits(text) == (0, 0)


def test_final_sigma_and_english() -> None:
    assert lexicon.hits("ΜΑΛΑΚΑΣ") == (1, 0)  # capital Σ folds like final ς
    assert lexicon.hits("you fucking idiot") == (0, 2)
    assert lexicon.vector("μαλάκα μαλάκα μαλάκα").tolist() == [1.0, 0.0]  # capped


def test_the_committed_head_takes_the_lexicon_features() -> None:
    head = heads.get("offensive")
    vectors = np.zeros((1, head.weights.shape[0] - lexicon.SIZE), dtype=np.float32)
    assert offensive_features(["ρε μαλάκα"], vectors).shape == (1, head.weights.shape[0])
