"""Helpers for tests/test_hostile_inputs.py: valid seed files, mutations, a hard time limit.

Seeds are small but real files of every format a user can upload, built here so that the
property tests mutate something a parser would otherwise accept (random bytes alone rarely
get past a format's first check).
"""

from __future__ import annotations

import io
import signal
import warnings
import zipfile
from collections import Counter
from contextlib import contextmanager

import docx
from hypothesis import strategies as st
from odf.opendocument import OpenDocumentText
from odf.text import P

#: Inputs tried per parser, reported by the file's last test (so the count shows in the output).
TRIED: Counter[str] = Counter()
#: Of those, how many parsed into a result (the rest were refused with the parser's error).
PARSED: Counter[str] = Counter()

#: No single parse of these small inputs may take longer (seconds); a hang fails the test.
CALL_LIMIT = 10.0


class Hang(BaseException):
    """Raised by :func:`time_limit`; a BaseException so no parser's ``except Exception`` eats it."""


@contextmanager
def time_limit(seconds: float = CALL_LIMIT):
    """Fail with :class:`Hang` when the body runs longer than ``seconds`` (main thread only)."""

    def expire(_signum, _frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- seed files ------------------------------------------------------------------------------

# "Café" with a decomposed é and a CRLF: the parsers must hand back NFC text with LF endings.
SEED_LINES = [("I", "Hello, thanks for coming."), ("P07", "Cafe\u0301 au lait, 20 \u20ac.\r\nYes."),
              ("I", "And then?"), ("P07", "We left \U0001F600 early.")]


def make_docx(lines=SEED_LINES) -> bytes:
    document = docx.Document()
    for speaker, said in lines:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{speaker}:").bold = True
        paragraph.add_run(" " + said.replace("\r\n", " "))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_odt(lines=SEED_LINES) -> bytes:
    document = OpenDocumentText()
    for speaker, said in lines:
        document.text.addElement(P(text=f"{speaker}: {said.replace(chr(13), '')}"))
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def make_pdf(lines=SEED_LINES) -> bytes:
    """A one-page PDF of the seed lines (WinAnsi text), built by tests/test_importers.make_pdf."""
    from test_importers import make_pdf as pdf_of_pages

    texts = [f"{speaker}: {said}".replace("\r\n", " ").replace("e\u0301", "\u00e9")
             .encode("cp1252", "replace").decode("cp1252") for speaker, said in lines]
    return pdf_of_pages([texts])


def make_text(lines=SEED_LINES) -> bytes:
    return "".join(f"{speaker}: {said}\n" for speaker, said in lines).encode()


def make_markdown(lines=SEED_LINES) -> bytes:
    return ("# Interview 3\n\n" + "".join(f"**{s}:** {said}\n\n" for s, said in lines)).encode()


def make_rtf(lines=SEED_LINES) -> bytes:
    def escape(text: str) -> str:
        return "".join(ch if ord(ch) < 128 and ch not in "{}\\" else
                       ("\\" + ch if ch in "{}\\" else f"\\u{ord(ch) if ord(ch) < 32768 else ord(ch) - 65536}?")
                       for ch in text.replace("\r\n", " "))

    body = "".join(f"{{\\b {s}:}} {escape(said)}\\par\n" for s, said in lines)
    return ("{\\rtf1\\ansi\\ansicpg1252\\deff0 {\\fonttbl{\\f0 Arial;}}\n" + body + "}").encode("ascii")


def make_html(lines=SEED_LINES) -> bytes:
    body = "".join(f"<p><b>{s}:</b> {said.replace('&', '&amp;')} &amp; <i>so</i></p>\n" for s, said in lines)
    return f"<!DOCTYPE html><html><head><title>t</title><style>p{{}}</style></head><body>{body}</body></html>".encode()


def _stamp(seconds: float, comma: bool) -> str:
    whole = int(seconds)
    text = f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{int(seconds * 1000) % 1000:03d}"
    return text.replace(".", ",") if comma else text


def make_vtt(lines=SEED_LINES) -> bytes:
    cues = "".join(f"{_stamp(2 * i, False)} --> {_stamp(2 * i + 1.5, False)}\n<v {s}>{said}\n\n"
                   for i, (s, said) in enumerate(lines))
    return ("WEBVTT\n\nNOTE made for tests\n\n" + cues).encode()


def make_srt(lines=SEED_LINES) -> bytes:
    cues = "".join(f"{i + 1}\n{_stamp(2 * i, True)} --> {_stamp(2 * i + 1.5, True)}\n{s}: {said}\n\n"
                   for i, (s, said) in enumerate(lines))
    return cues.encode()


SEEDS = {
    ".txt": make_text, ".md": make_markdown, ".docx": make_docx, ".odt": make_odt, ".rtf": make_rtf,
    ".pdf": make_pdf, ".html": make_html, ".htm": make_html, ".vtt": make_vtt, ".srt": make_srt,
}


# -- mutations -------------------------------------------------------------------------------

# Byte strings that parsers treat specially; inserting them reaches deeper branches than noise.
TOKENS = [
    b"\x00", b"\r", b"\r\n", b"\n\n", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xc3", b"\xe2\x80",
    b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"e\xcc\x81", b":", b"I:", b"P07:", b"[00:00:01]", b"-->",
    b"00:00:01.000 --> 00:00:00.000", b"99:99:99,999", b"<", b">", b"</p>", b"<p>", b"<b>", b"&",
    b"&#0;", b"&#x110000;", b"&bogus;", b"<![CDATA[", b"<!--", b"<!DOCTYPE x [<!ENTITY a \"aa\">]>",
    b"{", b"}", b"\\", b"\\par", b"\\u-1?", b"\\u99999?", b"\\'ff", b"{\\*\\x ", b"\\bin9999999 ",
    b"obj", b"endobj", b"stream", b"endstream", b"/Length 999999", b"xref", b"trailer", b"%%EOF",
    b"<<", b">>", b"(", b")", b"PK\x03\x04", b"PK\x05\x06", b"\"", b",", b";", b"\t", b"#", b"&a",
    b"*a", b"- ", b": ", b"---", b"!!python/object:os.system", b"%PDF-", b"WEBVTT", b"\x1f\x8b",
]


@st.composite
def mutated(draw, seed: bytes, max_ops: int = 4) -> bytes:
    """``seed`` with 1..max_ops byte-level edits: flip, insert, delete, duplicate, truncate."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(["flip", "insert", "token", "delete", "duplicate", "truncate"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            at = min(at, len(data) - 1)
            data[at] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif op == "duplicate":
            data[at:at] = data[at:at + draw(st.integers(1, 256))]
        elif op == "truncate":
            del data[at:]
    return bytes(data)


def _rezip(members: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # a duplicated member name is one of the mutations
        for info, content in members:
            archive.writestr(info, content)
    return buffer.getvalue()


@st.composite
def zip_mutated(draw, seed: bytes) -> bytes:
    """A zip package damaged where a byte flip rarely reaches: inside a member, or its layout.

    Either one member's content is mutated and the package re-zipped (so the XML parser, not
    the CRC check, meets the damage), or a member is dropped, renamed or duplicated, or the
    package is given a hostile entry name.
    """
    with zipfile.ZipFile(io.BytesIO(seed)) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    index = draw(st.integers(0, len(members) - 1))
    info, content = members[index]
    op = draw(st.sampled_from(["content", "content", "content", "drop", "rename", "duplicate", "traversal"]))
    if op == "content":
        members[index] = (info, draw(mutated(content)))
    elif op == "drop":
        del members[index]
    elif op == "rename":
        clone = zipfile.ZipInfo(draw(st.sampled_from(["", "x", "word/../word/document.xml", "CONTENT.XML"])))
        members[index] = (clone, content)
    elif op == "duplicate":
        members.append((info, draw(mutated(content))))
    else:
        members.append((zipfile.ZipInfo(draw(st.sampled_from(["../../etc/evil", "/abs/evil", "C:\\evil"]))), b"x"))
    return _rezip(members) if members else b"PK\x05\x06" + b"\x00" * 18


def mutated_file(seed: bytes) -> st.SearchStrategy[bytes]:
    """Byte-level mutations of any seed, plus member-level ones for zip packages."""
    if seed[:4] == b"PK\x03\x04":
        return st.one_of(mutated(seed), zip_mutated(seed))
    return mutated(seed)


def zip_bomb(seed: bytes, member: str, size: int) -> bytes:
    """``seed`` plus one member of ``size`` zero bytes (a few KB compressed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(seed)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info))
        with out.open(member, "w") as stream:
            chunk = b"\0" * (1 << 20)
            for _ in range(size >> 20):
                stream.write(chunk)
    return buffer.getvalue()


def slow_prepare(item):
    """``documents.prepare``, except that a file called ``hang.txt`` never finishes (for the
    parse time limit; a top-level function so spawned worker processes can import it)."""
    import time

    from qualcode.project.documents import prepare

    if item[0] == "hang.txt":
        time.sleep(600)
    return prepare(item)
