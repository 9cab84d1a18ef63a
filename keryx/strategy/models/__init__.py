"""Strategy's tables, one module per concern (plan and goals; budgets, spend and partners)."""
