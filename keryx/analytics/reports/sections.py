"""Sections other apps add to the analytics report, registered from their AppConfig.ready()
(strategy's goals, listening's page), so the reports never import the apps built on them.

- CONTENT: name -> a function of the workspace whose result lands in ReportContent.extra[name];
- PDF: functions (pdf, content) that draw their section after the built-in ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CONTENT: dict[str, Callable[[Any], Any]] = {}
PDF: list[Callable[[Any, Any], None]] = []


def add(name: str, content: Callable[[Any], Any], pdf: Callable[[Any, Any], None]) -> None:
    CONTENT[name] = content
    if pdf not in PDF:
        PDF.append(pdf)
