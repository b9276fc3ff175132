"""RTF via striprtf: each RTF paragraph (``\\par``, also ``\\line``) is one paragraph.

striprtf 0.0.35 decodes ``\\'xx`` escapes with the ``\\ansicpg`` code page (or the font's
``\\fcharset``) and ``\\uN`` escapes as UTF-16 code units; two fix-ups are done here:

* old Mac RTFs declare ``\\mac`` instead of ``\\ansicpg``: their escapes are Mac Roman,
  not the cp1252 striprtf assumes;
* characters outside the BMP (emoji) arrive as two ``\\uN`` surrogate halves, which are
  joined into one code point here.

striprtf does not tell ``\\par`` from ``\\line``, so every line break is a paragraph
break in the canonical text.
"""

from __future__ import annotations

import codecs
import re

from striprtf.striprtf import rtf_to_text

from .base import ParsedTranscript, TranscriptError
from .document import Paragraph, build_from_paragraphs

_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")
_MAC = re.compile(rb"\\mac(?![a-z])")
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_RESAVE = "Open it in a word processor and save it again as .rtf or .docx"


def read_rtf(data: bytes, filename: str) -> ParsedTranscript:
    """Parse an RTF transcript."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if not body.lstrip().startswith(b"{\\rtf"):
        raise TranscriptError(filename, "is not an RTF document (it does not start with {\\rtf)", _RESAVE)
    encoding = _document_encoding(body[:4096])
    # RTF is 7-bit with escapes; raw 8-bit bytes, where a writer left some, are in the
    # document code page (or UTF-8 from some tools).
    for source_encoding in ("ascii", "utf-8", encoding):
        try:
            source = body.decode(source_encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TranscriptError(filename, f"contains bytes that are not valid {encoding}", _RESAVE)
    try:
        text = rtf_to_text(source, encoding=encoding, errors="strict")
    except UnicodeDecodeError as exc:
        raise TranscriptError(
            filename, f"contains escaped characters that are not valid {exc.encoding}", _RESAVE
        ) from exc

    warnings = []
    text = _SURROGATE_PAIR.sub(lambda m: m[0].encode("utf-16-le", "surrogatepass").decode("utf-16-le"), text)
    lone = len(_LONE_SURROGATE.findall(text))
    if lone:
        text = _LONE_SURROGATE.sub("\ufffd", text)
        warnings.append(f"{lone} broken \\u escape(s) replaced by U+FFFD (�)")
    paragraphs = [Paragraph(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return build_from_paragraphs(filename, "rtf", paragraphs, encoding=encoding, warnings=warnings)


def _document_encoding(header: bytes) -> str:
    match = _CODEPAGE.search(header)
    if match:
        try:
            return codecs.lookup(f"cp{int(match[1])}").name
        except LookupError:
            pass
    if _MAC.search(header):
        return "mac-roman"
    return "cp1252"
