"""Margin-based classification losses (catalog part C).

Each loss is a value function with its ``_grad`` directly below it; ``SPECS`` at the end
registers them.
"""
from __future__ import annotations

__all__: list[str] = []

SPECS: tuple = ()
