"""Contract kits: one module per network, each with a `KIT` object (see tests/networks/contract.py
for what a kit provides). The shared contract suite runs against every module found here, so a
network joins the suite by adding tests/networks/kits/<network>.py. Modules whose name starts
with "_" are helpers, not kits."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def kit_names() -> list[str]:
    return sorted(
        m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")
    )


def load_kits() -> list[Any]:
    return [importlib.import_module(f"{__name__}.{name}").KIT for name in kit_names()]
