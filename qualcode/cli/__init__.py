"""The ``qualcode`` command: a thin click wrapper over the library.

Every command parses its options, calls library functions and prints the result, as text for
people or as JSON with ``--json``. Errors go to stderr with exit status 1 (2 for usage).
``core`` holds the group and the project commands; each other module adds one family of
commands to it with ``register(main)``.
"""

from qualcode.cli import (admin, agreement, analysis, attributes, groups, interchange, projects, quotes, report,
                          suggest, users)
from qualcode.cli.core import main

for _family in (admin, agreement, analysis, attributes, groups, interchange, projects, quotes, report, suggest,
                users):
    _family.register(main)

__all__ = ["main"]
