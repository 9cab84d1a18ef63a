"""Sections other apps add to the analytics report, registered from their AppConfig.ready()
(strategy's goals, listening's page), so the reports never import the apps built on them.

- CONTENT: name -> a function of (workspace, period) whose result lands in
  ReportContent.extra[name] (None: the section has nothing to show and is left out);
  functions of the workspace alone, as first registered, are still accepted;
- PDF: functions (pdf, content) that draw their section after the built-in ones;
- CSV: name -> a function (section's content, text file) writing the section as CSV, for
  `keryx report --format csv --section NAME`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TextIO

CONTENT: dict[str, Callable[[Any, Any], Any]] = {}
PDF: list[Callable[[Any, Any], None]] = []
CSV: dict[str, Callable[[Any, TextIO], int]] = {}


def _takes_period(content: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(content).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


def add(name: str, content: Callable[..., Any], pdf: Callable[[Any, Any], None],
        csv: Callable[[Any, TextIO], int] | None = None) -> None:
    if _takes_period(content):
        CONTENT[name] = content
    else:  # a section of the workspace alone (the report's period is of no use to it)
        def of_workspace(workspace: Any, _when: Any, one: Callable[..., Any] = content) -> Any:
            return one(workspace)
        CONTENT[name] = of_workspace
    if pdf not in PDF:
        PDF.append(pdf)
    if csv is not None:
        CSV[name] = csv
