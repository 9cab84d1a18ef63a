"""Strategy's tables, one module per concern (plan and goals; budgets and spend; partners)."""

from keryx.strategy.models.budgets import (  # noqa: F401
    Budget,
    BudgetAlert,
    Category,
    Source,
    SpendEntry,
    SpendImport,
)
from keryx.strategy.models.goals import Goal, GoalReading, GoalRun, Metric, Status  # noqa: F401
from keryx.strategy.models.partners import EventKind, Partner, PartnerEvent, Stage  # noqa: F401
from keryx.strategy.models.plan import Strategy, StrategyChannel, StrategyPillar  # noqa: F401
