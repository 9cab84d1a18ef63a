"""The embedding cache: repeats cost no model call, results are those of the model."""

from __future__ import annotations

import numpy as np
import pytest

from keryx.classify import embed


@pytest.fixture()
def counting(monkeypatch):
    """The real model, with a count of the texts it was asked to embed."""
    model = embed._get_model()
    seen: list[str] = []
    real = model.query

    def query(texts):
        seen.extend(texts)
        return real(texts)

    monkeypatch.setattr(model, "query", query)
    embed.clear_cache()
    yield seen
    embed.clear_cache()


def test_repeats_inside_a_batch_and_across_calls_are_embedded_once(counting):
    texts = ["Ευχαριστώ πολύ!", "thanks 🙏", "Ευχαριστώ πολύ!"]
    first = embed.embed(texts)
    assert counting == ["Ευχαριστώ πολύ!", "thanks 🙏"]
    again = embed.embed(["thanks 🙏", "Ευχαριστώ πολύ!"])
    assert counting == ["Ευχαριστώ πολύ!", "thanks 🙏"]  # no new model call
    assert first.shape == (3, embed.DIM)
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_array_equal(again[0], first[1])


def test_cached_vectors_match_a_fresh_model_call(counting):
    text = "Πότε ανοίγετε την Κυριακή;"
    cached = embed.embed([text])[0]
    fresh = np.asarray(embed._get_model().query([text]), dtype=np.float32)[0]
    np.testing.assert_allclose(cached, fresh, atol=1e-6)


def test_the_cache_is_bounded(counting, monkeypatch):
    monkeypatch.setattr(embed, "CACHE_SIZE", 2)
    embed.embed(["ένα", "δύο", "τρία"])
    assert len(embed._cache) == 2
    embed.embed(["ένα"])  # the oldest went first, so this is embedded again
    assert counting.count("ένα") == 2
