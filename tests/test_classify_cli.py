"""`keryx moderation classify TEXT [--json]`: the JSON shape scripts rely on."""

from __future__ import annotations

import io
import json

from django.core.management import call_command


def test_classify_json_shape() -> None:
    out = io.StringIO()
    call_command("moderation", "classify", "Άντε γαμήσου, απατεώνες", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert {"language", "spam", "offensive", "sentiment"} <= set(data)
    assert data["language"] == "el"
    assert 0.0 <= data["spam"] <= 1.0 and data["offensive"] >= 0.5
    assert data["sentiment"] in {"positive", "neutral", "negative"}


def test_classify_plain_text() -> None:
    out = io.StringIO()
    call_command("moderation", "classify", "kalimera ti kaneis", stdout=out)
    assert "language:  und" in out.getvalue() and "greeklish" in out.getvalue()
