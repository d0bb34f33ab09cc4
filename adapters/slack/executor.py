"""Slack's name for the shared adapter pool (adapters.executor)."""
from adapters.executor import AckGate, BoundedExecutor, Busy  # noqa: F401
