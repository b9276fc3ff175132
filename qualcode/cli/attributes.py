"""Placeholder: the ``attributes`` command family is being written."""


def register(main) -> None:
    """Add this family's commands to ``main``."""
