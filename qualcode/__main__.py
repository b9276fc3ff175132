"""``python -m qualcode`` is the ``qualcode`` command."""

from qualcode.cli import main

main()
