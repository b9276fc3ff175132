"""``python -m qualcode.cli`` is the ``qualcode`` command."""

from qualcode.cli import main

main()
