"""Listening's tables, one module per concern (searches and results; alerts)."""

from keryx.listening.models.alerts import (  # noqa: F401
    Alert,
    AlertDelivery,
    AlertKind,
    AlertRule,
    DeliveryChannel,
    DeliveryStatus,
)
from keryx.listening.models.searches import (  # noqa: F401
    Match,
    Result,
    Run,
    SavedSearch,
    Sentiment,
    SourceState,
)
