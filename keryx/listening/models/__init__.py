"""Listening's tables, one module per concern (searches and results; alerts)."""
