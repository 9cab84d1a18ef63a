"""Listening's tables, one module per concern (searches and results; alerts)."""

from keryx.listening.models.searches import (  # noqa: F401
    Match,
    Result,
    Run,
    SavedSearch,
    Sentiment,
    SourceState,
)
