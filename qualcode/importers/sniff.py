"""Checks that a file's content matches its extension, before any parser sees it.

Parsers given the wrong kind of file fail with messages a researcher cannot act on ("File
is not a zip file", "Invalid format"); recognising the common mix-ups by their first bytes
lets us say "this is a PDF with a .docx extension" instead.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from .base import TranscriptError

# (signature, kind, description) checked at the start of the file.
_SIGNATURES = (
    (b"%PDF-", "pdf", "a PDF document"),
    (b"PK\x03\x04", "zip", "a ZIP package"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole", "an old Microsoft Office file (e.g. a Word 97-2003 .doc)"),
    (b"{\\rtf", "rtf", "an RTF document"),
    (b"\x89PNG\r\n\x1a\n", "media", "a PNG image"),
    (b"\xff\xd8\xff", "media", "a JPEG image"),
    (b"GIF8", "media", "a GIF image"),
    (b"ID3", "media", "an MP3 audio file"),
    (b"OggS", "media", "an Ogg audio/video file"),
    (b"fLaC", "media", "a FLAC audio file"),
    (b"\x1aE\xdf\xa3", "media", "a WebM/Matroska video"),
    (b"7z\xbc\xaf\x27\x1c", "archive", "a 7-Zip archive"),
    (b"\x1f\x8b", "archive", "a gzip archive"),
)
_MEDIA_BOXES = (b"ftyp",)  # MP4/M4A/MOV: the box type at offset 4
_EXPECTED = {
    ".docx": "docx",
    ".odt": "odt",
    ".pdf": "pdf",
    ".rtf": "rtf",
}
_TEXT_EXTENSIONS = frozenset({".txt", ".md", ".html", ".htm", ".vtt", ".srt"})
_RENAME = {"pdf": ".pdf", "docx": ".docx", "odt": ".odt", "rtf": ".rtf"}
# Decompressed size allowed per compressed byte limit: XML compresses about 5-10 times.
_MAX_EXPANSION = 20


def describe(data: bytes) -> tuple[str, str]:
    """``(kind, description)`` of the content, from its first bytes.

    ``kind`` is ``"pdf"``, ``"docx"``, ``"odt"``, ``"zip"`` (another ZIP package),
    ``"ole"``, ``"rtf"``, ``"media"``, ``"archive"`` or ``"unknown"`` (text or anything else).
    """
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    for signature, kind, description in _SIGNATURES:
        if head.startswith(signature):
            if kind == "zip":
                return _describe_zip(data)
            return kind, description
    if data[4:8] in _MEDIA_BOXES:
        return "media", "an MP4/M4A/MOV media file"
    return "unknown", "not a recognised document format"


def _describe_zip(data: bytes) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = (
                archive.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
            )
    # ValueError: zipfile seeks to a member's recorded offset, which a damaged directory can
    # put before the start of the file ("negative seek value"); zlib.error: a member whose
    # data is not the deflate stream its directory entry claims.
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError,
            zlib.error):
        return "zip", "a damaged ZIP package"
    if "word/document.xml" in names:
        return "docx", "a Word .docx document"
    if mimetype == "application/vnd.oasis.opendocument.text":
        return "odt", "an OpenDocument text (.odt) document"
    if mimetype.startswith("application/vnd.oasis.opendocument."):
        return "zip", f"an OpenDocument file of another kind ({mimetype.rsplit('.', 1)[-1]})"
    if any(n.startswith("xl/") for n in names):
        return "zip", "an Excel .xlsx workbook"
    if any(n.startswith("ppt/") for n in names):
        return "zip", "a PowerPoint .pptx presentation"
    return "zip", "a ZIP archive"


def check_content(data: bytes, extension: str, filename: str, max_bytes: int) -> None:
    """Raise :class:`TranscriptError` when the content cannot be what ``extension`` says."""
    kind, description = describe(data)
    expected = _EXPECTED.get(extension)
    if expected == "pdf" and b"%PDF-" in data[:1024]:
        return  # the PDF header may follow a few junk bytes; PDF readers accept that
    if expected is not None:
        if kind == expected:
            if kind in ("docx", "odt"):
                _check_expansion(data, filename, max_bytes)
            return
        if kind == "zip" and description == "a damaged ZIP package":
            raise TranscriptError(
                filename,
                f"is damaged: it is not a valid {extension} package (broken ZIP container)",
                "Open it in Word or LibreOffice and save it again, or re-download it",
            )
        if expected == "rtf" and kind == "unknown":
            return  # read_rtf names the problem more precisely
        raise TranscriptError(filename, f"has a {extension} extension but is {description}", _hint(kind))
    if extension in _TEXT_EXTENSIONS and kind != "unknown":
        raise TranscriptError(
            filename, f"has a {extension} extension but is {description}, not text", _hint(kind)
        )


def _hint(kind: str) -> str:
    if kind in _RENAME:
        return f"Rename the file to end in {_RENAME[kind]} and import it again"
    if kind == "ole":
        return "Open it in Word or LibreOffice and save it as .docx, then import the .docx"
    if kind == "media":
        return "Import the transcript of the recording (e.g. .docx, .txt, .vtt), not the recording itself"
    return "Export the transcript as .docx, .odt, .txt, .vtt or .srt and import that file"


def _check_expansion(data: bytes, filename: str, max_bytes: int) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        total = sum(info.file_size for info in archive.infolist())
    if total > _MAX_EXPANSION * max_bytes:
        raise TranscriptError(
            filename,
            f"would expand to {total / 1e6:.0f} MB when unpacked, too much for a transcript",
            "Check that this is the right file; remove embedded media and save it again",
        )
