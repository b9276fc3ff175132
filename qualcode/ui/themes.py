"""Placeholder: the Themes page (theme × group table) is being written."""

PAGES: dict = {}
