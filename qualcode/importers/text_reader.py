"""Plain text (.txt) and Markdown (.md): the decoded file is the canonical text.

Markup is not interpreted: ``<script>`` in a .txt or ``**bold**`` in a .md stays verbatim
in the text the researcher codes (Markdown bold around a label is still recognised as a
label by :mod:`.speakers`).
"""

from __future__ import annotations

from .base import ParsedTranscript
from .document import build_transcript, encoding_warnings
from .encoding import canonicalize, decode_text


def read_text(data: bytes, filename: str, fmt: str = "txt") -> ParsedTranscript:
    """Parse a plain-text or Markdown transcript (``fmt`` is ``"txt"`` or ``"md"``)."""
    raw, encoding = decode_text(data, filename)
    return build_transcript(
        filename, fmt, canonicalize(raw), encoding=encoding, warnings=encoding_warnings(encoding)
    )
