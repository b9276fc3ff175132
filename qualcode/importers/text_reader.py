"""Plain text (.txt): the decoded file is the canonical text, less any line numbers.

Markup is not interpreted: ``<script>`` or ``**bold**`` in a .txt stays verbatim in the text
the researcher codes (Markdown bold around a label is still recognised as a label by
:mod:`.speakers`). A line-numbered transcript ("12  Dan: ...", Word or MAXQDA line
numbering saved as text) is read as the printed document it is: the numbers come off (they
are kept on the turns) and lines wrapped mid-sentence are re-joined. Markdown files are
rendered by :mod:`.markdown_reader`.
"""

from __future__ import annotations

from .base import ParsedTranscript
from .document import build_transcript, encoding_warnings
from .encoding import canonicalize, decode_text


def read_text(data: bytes, filename: str, fmt: str = "txt") -> ParsedTranscript:
    """Parse a plain-text transcript (``fmt`` names the format in the result)."""
    raw, encoding = decode_text(data, filename)
    return build_transcript(
        filename, fmt, canonicalize(raw), encoding=encoding, warnings=encoding_warnings(encoding)
    )
