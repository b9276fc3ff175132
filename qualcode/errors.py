"""The one shape of error for bad input: which file, where, what is wrong, what to do.

Every reader of user files (transcripts, participants, coding sheets) raises a subclass, so the
CLI and the app can show any of them verbatim and tests can check ``.line`` and ``.reason``.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: ``str()`` reads "FILE, line N: reason. hint" (the line part only when known)."""

    def __init__(self, filename: str, reason: str, hint: str, line: int | None = None):
        self.filename = filename
        self.reason = reason
        self.hint = hint
        self.line = line
        where = f"{filename}, line {line}" if line is not None else filename
        super().__init__(f"{where}: {reason}. {hint}")

    def __reduce__(self):
        # Keep the four fields when the error crosses a process boundary (parallel imports).
        return (type(self), (self.filename, self.reason, self.hint, self.line))
