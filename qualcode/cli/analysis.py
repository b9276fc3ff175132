"""``qualcode`` commands for analysis (registered on the main group by ``register``)."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add this module's commands to the ``qualcode`` group."""
