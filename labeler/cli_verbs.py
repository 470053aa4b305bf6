"""Verbs beyond ``scan``: predict, train, evaluate, export, import, backup."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_parsers(sub: argparse._SubParsersAction, add_common: Callable) -> None:
    """Add the parsers of the verbs defined in this module."""
