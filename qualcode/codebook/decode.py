"""Codebook file bytes to text: size limit, byte-order marks, UTF-8, legacy spreadsheet code pages."""

from __future__ import annotations

from .model import CodebookError, plain_lines


def decode(data: bytes, filename: str, *, legacy: bool, max_bytes: int) -> str:
    """Bytes to text with ``\\n`` line breaks and no control characters.

    UTF-8 (with or without BOM) and UTF-16/32 with a BOM are always accepted. With
    ``legacy`` (CSV files), other encodings are detected with charset-normalizer,
    preferring Windows-1252, the code page Excel uses for CSV in Western locales.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"codebook data must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise CodebookError(
            filename, None,
            f"the file is too large ({len(data) / 1e6:.1f} MB; the limit is "
            f"{max_bytes / 1e6:.1f} MB)",
            "A codebook is usually a few hundred kilobytes; check that this is the right file")
    if data.startswith(b"PK\x03\x04"):
        raise CodebookError(
            filename, None,
            "this is a zip archive (probably an Excel workbook or a Word document), not a "
            "text file",
            "In Excel use File > Save As > 'CSV UTF-8 (Comma delimited)' and import the .csv")
    text: str | None = None
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                          (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
                          (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                line = data.count(b"\n", 0, exc.start + len(bom)) + 1
                raise CodebookError(
                    filename, line,
                    f"the file starts with a {encoding.upper()} byte-order mark but is not "
                    f"valid {encoding.upper()}",
                    "Save it again as UTF-8") from None
            break
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            bad = data[exc.start]
            text = _legacy(data) if legacy and b"\x00" not in data else None
            if text is None:
                if legacy:
                    reason = (f"the file is not text in any encoding we can recognise (byte "
                              f"0x{bad:02x})")
                else:
                    reason = f"the file is not valid UTF-8 (byte 0x{bad:02x})"
                raise CodebookError(
                    filename, line, reason,
                    "Save the file as UTF-8 (in most editors: Save As, Encoding: UTF-8; in "
                    "Excel: 'CSV UTF-8')") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise CodebookError(
            filename, line, "the file contains NUL characters, so it is not a text file",
            "Save it as UTF-8 text (for a spreadsheet: 'CSV UTF-8'); UTF-16 text without a "
            "byte-order mark also looks like this")
    return plain_lines(text)


def _legacy(data: bytes) -> str | None:
    """Decode non-UTF-8 bytes; ``None`` when they do not look like text at all."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    least = min(match.chaos for match in matches)
    tied = [match for match in matches if match.chaos <= least + 0.01]
    # Among equally plausible readings prefer Excel's Western code page, then the other
    # Windows code pages, then Mac Roman (old Mac Excel), then the detector's own choice.
    for wanted in ("cp1252", "cp125", "mac_roman"):
        for match in tied:
            for encoding in [match.encoding, *match.could_be_from_charset]:
                if encoding.startswith(wanted):
                    try:
                        return data.decode(encoding)
                    except (UnicodeDecodeError, LookupError):
                        continue
    return str(tied[0])
