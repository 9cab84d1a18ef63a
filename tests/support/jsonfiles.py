"""Recorded network answers (tests/networks/fixtures/<network>/*.json), read back as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "networks" / "fixtures"


def fixture_loader(network: str) -> Callable[[str], Any]:
    """fixture(name) for one network's recordings: "post" and "post.json" name the same file."""
    folder = FIXTURES / network

    def fixture(name: str) -> Any:
        path = folder / (name if name.endswith(".json") else f"{name}.json")
        return json.loads(path.read_text(encoding="utf-8"))

    return fixture
