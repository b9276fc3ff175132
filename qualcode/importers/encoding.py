"""Bytes to text: encoding detection and the canonical form every offset refers to.

Order of attempts in :func:`decode_text`:

1. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE) decides;
2. NUL bytes without a BOM mean binary data (or BOM-less UTF-16): refused;
3. strict UTF-8;
4. a legacy code page. Detection on short texts is unreliable (charset-normalizer
   guesses Baltic cp775 for a French Latin-1 sentence), and Windows-1252 is by far the
   most common legacy encoding of transcripts, so cp1252 is taken whenever it decodes
   the bytes and the result reads as plausible text. Otherwise charset-normalizer's best
   guess is used if it reads as plausible text; if nothing does, the file is refused.

Nothing is ever decoded with ``errors="ignore"`` or ``"replace"``: a character is either
decoded or the import fails with a :class:`TranscriptError`.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from .base import TranscriptError

# Longest BOMs first: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# charset-normalizer's "mess ratio" (0 = clean text, 1 = garbage) above which a decoding
# is not trusted. Real cp1252 prose scores 0-0.1; Polish cp1250 read as cp1252 scores ~1.
_MAX_MESS = 0.2

# EBCDIC code pages: charset-normalizer may offer them for odd bytes, but no transcript
# a researcher has is EBCDIC, and accepting one would turn the text into nonsense.
_IMPLAUSIBLE = frozenset(
    codecs.lookup(name).name for name in ("cp037", "cp273", "cp424", "cp500", "cp875", "cp1026", "cp1140")
)

# Control characters that may legitimately appear in text files.
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1a")  # \x1a: DOS end-of-file marker
# The C0/C1 control characters (Unicode category Cc) other than the allowed ones, as one regex
# class: counting them with a regex is ~20x faster than a per-character category lookup.
_CONTROLS = re.compile(
    "["
    + "".join(re.escape(chr(c)) for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in _ALLOWED_CONTROLS)
    + "]"
)

_SAVE_AS_UTF8 = "Open it in a text editor and save it as UTF-8 text, then import it again"


def decode_text(data: bytes, filename: str, *, declared: str | None = None) -> tuple[str, str]:
    """Decode the bytes of a text file; return ``(text, encoding)``.

    ``encoding`` is a Python codec name (``"utf-8"``, ``"utf-8-sig"``, ``"utf-16-le"``,
    ``"cp1252"``...). A BOM is removed from the text; nothing else is changed (call
    :func:`canonicalize` for offsets). ``declared`` is an encoding named by the file
    itself (an HTML ``<meta charset>``), tried right after UTF-8.

    Raises :class:`TranscriptError` for binary data or bytes that cannot be decoded
    with confidence.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding.replace("-sig", ""))
            except UnicodeDecodeError as exc:
                raise TranscriptError(
                    filename,
                    f"starts with a {encoding} byte-order mark but is not valid {encoding} "
                    f"(byte {exc.start + len(bom)})",
                    _SAVE_AS_UTF8,
                ) from None
            _check_not_binary(text, filename)
            return text, encoding

    nul = data.find(b"\x00")
    if nul >= 0:
        raise TranscriptError(
            filename,
            f"contains binary data (a NUL byte at offset {nul}), so it is not a text file "
            "(or it is UTF-16 without a byte-order mark)",
            "Check that this is the transcript itself and not a word-processor or media file; "
            + _SAVE_AS_UTF8,
            line=data.count(b"\n", 0, nul) + 1,
        )

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        _check_not_binary(text, filename)
        return text, "utf-8"

    candidates = []
    if declared:
        try:
            name = codecs.lookup(declared).name
        except LookupError:
            pass
        else:
            # As browsers do: a page labelled Latin-1 or ASCII is read as Windows-1252.
            candidates.append("cp1252" if name in ("iso8859-1", "ascii") else name)
    candidates.append("cp1252")
    for encoding in candidates:
        text = _try_decode(data, encoding)
        if text is not None and _plausible(text):
            _check_not_binary(text, filename)
            return text, encoding

    from charset_normalizer import from_bytes  # only for files that are not UTF-8

    for match in from_bytes(data):  # best guess first
        encoding = codecs.lookup(match.encoding).name
        if encoding in _IMPLAUSIBLE:
            continue
        text = _try_decode(data, encoding)
        if text is not None and _plausible(text):
            _check_not_binary(text, filename)
            return text, encoding

    raise TranscriptError(
        filename,
        "is not UTF-8 and its text encoding could not be recognised with confidence",
        _SAVE_AS_UTF8,
    )


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _plausible(text: str) -> bool:
    """True when charset-normalizer's mess detector finds the text clean enough."""
    if len(text) < 32:
        return True  # too short to judge: the first candidate (cp1252) is the best default
    from charset_normalizer.md import mess_ratio  # only for files that are not UTF-8

    # The mess detector is linear but not cheap: judge a few samples of a large text.
    if len(text) > 60_000:
        step = len(text) // 3
        samples = [text[i : i + 20_000] for i in (0, step, 2 * step)]
    else:
        samples = [text]
    return all(mess_ratio(sample, _MAX_MESS) < _MAX_MESS for sample in samples)


def _check_not_binary(text: str, filename: str) -> None:
    """Refuse decoded text that is mostly control characters: a binary file after all."""
    sample = text[:100_000]
    controls = len(_CONTROLS.findall(sample))
    if "\x00" in sample or (sample and controls / len(sample) > 0.01):
        raise TranscriptError(
            filename,
            "contains binary data (control characters), so it is not a text file",
            "Check that this is the transcript itself and not a word-processor or media file",
        )


def canonicalize(text: str) -> str:
    """Return the canonical form of ``text`` that all offsets refer to.

    Canonical text is NFC-normalised, uses ``"\\n"`` line endings only (CRLF and lone CR
    become LF) and has no leading BOM. Nothing else is changed.
    """
    text = text.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)
