"""Transcript importers: every format's features, the offset invariants, bad input, real files.

Inputs are built as bytes in the tests (python-docx and odfpy write .docx/.odt, a tiny PDF
and the RTF are written by hand). Real transcripts made by other people live in
../shared/fixtures/transcripts (see its README); the sample study's transcripts in
transcripts_sample/.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from pathlib import Path

import docx
import pytest
from docx.shared import Pt
from odf.opendocument import OpenDocumentSpreadsheet, OpenDocumentText
from odf.text import H, LineBreak, P, S, Span, Tab

from qualcode.importers import (
    DEFAULT_MAX_BYTES,
    SUPPORTED_EXTENSIONS,
    ParsedTranscript,
    TranscriptError,
    canonicalize,
    decode_text,
    parse_transcript,
)

ROOT = Path(__file__).parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "transcripts"
SAMPLES = ROOT / "transcripts_sample"


# --------------------------------------------------------------------------- helpers


def fixture_file(relative: str) -> Path:
    """A real transcript from ../shared/fixtures/transcripts: fails under CI=true when
    missing (CI must test the real files), skips with the reason otherwise."""
    path = FIXTURES / relative
    if not path.is_file():
        message = f"fixture {path} is missing (../shared/fixtures must sit beside the checkout)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def utterances(result: ParsedTranscript) -> list[tuple[str | None, str]]:
    return [(t.speaker, result.text[t.start : t.end]) for t in result.turns]


def assert_invariants(result: ParsedTranscript) -> None:
    """The offset contract every importer must keep."""
    text = result.text
    assert "\r" not in text and "\ufeff" not in text[:1]
    assert unicodedata.is_normalized("NFC", text)
    previous_end = 0
    for turn in result.turns:
        assert previous_end <= turn.start < turn.end <= len(text), turn
        spoken = text[turn.start : turn.end]
        assert spoken == spoken.strip(), turn
        if turn.media_start is not None and turn.media_end is not None:
            assert turn.media_end >= turn.media_start
        assert_only_labels(text[previous_end : turn.start])
        previous_end = turn.end
    assert_only_labels(text[previous_end:])
    assert_every_character_in_one_turn(result)


def assert_only_labels(gap: str) -> None:
    """What lies outside turns is labels and timestamps only, never a whole utterance."""
    for line in gap.split("\n"):
        assert len(line.strip()) <= 60, line


def assert_every_character_in_one_turn(result: ParsedTranscript) -> None:
    """The turns' regions tile the text: every character belongs to exactly one turn, and
    within its turn it is either spoken (inside the turn's span) or the turn's header or
    trailing blank lines (labels, times, markers: short lines, never an utterance)."""
    text, regions = result.text, result.regions()
    assert result.turns and len(regions) == len(result.turns)
    assert regions[0][0] == 0 and regions[-1][1] == len(text)
    assert all(end == following for (_, end), (following, _) in zip(regions, regions[1:]))
    assert sum(end - start for start, end in regions) == len(text)
    for (start, end), turn in zip(regions, result.turns):
        head = turn.start if turn.head is None else turn.head
        assert start <= head <= turn.start < turn.end <= end, (turn, start, end)
        assert_only_labels(text[start : turn.start])
        assert_only_labels(text[turn.end : end])


def parse(data: bytes | str, filename: str) -> ParsedTranscript:
    if isinstance(data, str):
        data = data.encode("utf-8")
    result = parse_transcript(data, filename)
    assert_invariants(result)
    return result


def make_docx(paragraphs: list[list[tuple[str, bool]] | str], table: list[list[str]] | None = None) -> bytes:
    """A .docx whose paragraphs are plain strings or lists of (run text, bold) pairs."""
    document = docx.Document()
    for paragraph in paragraphs:
        p = document.add_paragraph()
        runs = [(paragraph, False)] if isinstance(paragraph, str) else paragraph
        for text, bold in runs:
            run = p.add_run(text)
            run.bold = bold or None
            run.font.size = Pt(11)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_odt(build) -> bytes:
    """An .odt whose body ``build(document)`` fills."""
    document = OpenDocumentText()
    build(document)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def odt_paragraphs(*texts: str) -> bytes:
    def build(document):
        for text in texts:
            document.text.addElement(P(text=text))

    return make_odt(build)


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF (Helvetica, WinAnsi) with one text line per string; "" is a blank line.

    Written by hand because no PDF writer is a dependency; xref offsets are computed.
    """
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for lines in pages:
        ops = ["BT /F1 12 Tf 14 TL 72 720 Td"]
        for line in lines:
            if line:
                escaped = "".join(
                    ch
                    if 32 <= ord(ch) < 127 and ch not in "()\\"
                    else ("\\" + ch if ch in "()\\" else f"\\{ch.encode('cp1252')[0]:03o}")
                    for ch in line
                )
                ops.append(f"({escaped}) Tj")
            ops.append("T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1") if lines else b""
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content_id
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


_FONTS = {"F1": "Helvetica", "F2": "Helvetica-Bold"}


def _pdf_string(text: str) -> str:
    return "".join(
        ch if 32 <= ord(ch) < 127 and ch not in "()\\" else ("\\" + ch if ch in "()\\" else f"\\{ch.encode('cp1252')[0]:03o}")
        for ch in text
    )


def text_width(text: str, font: str = "F1", size: float = 12.0) -> float:
    """Width of ``text`` in points (the standard Helvetica metrics a viewer uses)."""
    from pdfminer.fontmetrics import FONT_METRICS

    widths = FONT_METRICS[_FONTS[font]][1]
    return sum(widths.get(ch, 556) for ch in text) * size / 1000


def write_pdf(pages: list[list[tuple[float, float, str, float, str]]], *, width: float = 612,
              height: float = 792) -> bytes:
    """A PDF whose pages hold positioned text runs ``(x, baseline from the top, font, size, text)``;
    font "F1" is Helvetica, "F2" Helvetica-Bold (WinAnsi). Like make_pdf, written by hand."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for runs in pages:
        ops = ["BT"] + [f"/{font} {size:g} Tf 1 0 0 1 {x:.2f} {height - y:.2f} Tm ({_pdf_string(text)}) Tj"
                        for x, y, font, size, text in runs] + ["ET"]
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>" % (width, height, content_id)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def wrap_runs(runs: list[tuple[str, bool]], *, left: float = 72.0, right: float = 540.0, size: float = 12.0,
              indent: float = 0.0) -> list[list[tuple[str, bool]]]:
    """Words of ``(text, bold)`` runs wrapped into lines between ``left`` and ``right``; a word
    may break after a hyphen or at a soft hyphen (U+00AD, printed as "-")."""
    lines: list[list[tuple[str, bool]]] = [[]]
    x = left + indent
    for word, bold in ((word, bold) for text, bold in runs for word in text.split()):
        font = "F2" if bold else "F1"
        if lines[-1] and x + text_width(word.replace("\u00ad", ""), font, size) > right:
            for k in range(len(word) - 1, 0, -1):
                head = word[: k + 1] if word[k] == "-" else word[:k] + "-" if word[k] == "\u00ad" else None
                if head and x + text_width(head.replace("\u00ad", ""), font, size) <= right:
                    lines[-1].append((head.replace("\u00ad", ""), bold))
                    word = word[k + 1 :]
                    break
            lines.append([])
            x = left
        word = word.replace("\u00ad", "")
        lines[-1].append((word, bold))
        x += text_width(word, font, size) + text_width(" ", "F1", size)
    return lines


def typeset_pdf(paragraphs: list, *, size: float = 12.0, pitch: float | None = None, gap: float | None = None,
                left: float = 72.0, right: float = 540.0, top: float = 80.0, bottom: float = 720.0,
                header: str | None = None, footer: str | None = None, numbers: bool = False,
                indent: float = 0.0) -> bytes:
    """Paragraphs laid out as a word processor prints them.

    A paragraph is a string or a list of ``(text, bold)`` runs; words wrap at ``right`` (a
    word may break after a hyphen or at a soft hyphen U+00AD, printed as "-");
    ``pitch`` is the distance between baselines (default 1.2 x size; 2.4 x is double
    spacing), ``gap`` the extra space between paragraphs (default one line); a page is
    broken when full. ``header``/``footer`` are printed on every page ("{page}" and
    "{pages}" are filled in); ``numbers`` prints Word-style line numbers in the left margin.
    """
    pitch = pitch or 1.2 * size
    gap = pitch if gap is None else gap
    pages: list[list[tuple[float, float, str, float, str]]] = [[]]
    y = top
    counter = 0
    for paragraph in paragraphs:
        runs = [(paragraph, False)] if isinstance(paragraph, str) else paragraph
        lines = wrap_runs(runs, left=left, right=right, size=size, indent=indent)
        for k, line in enumerate(lines):
            if y > bottom:
                pages.append([])
                y = top
            x = left + (indent if k == 0 else 0.0)
            counter += 1
            if numbers:
                pages[-1].append((left - 36, y, "F1", 8.0, str(counter)))
            segments: list[list] = []
            for word, bold in line:
                if segments and segments[-1][1] == bold:
                    segments[-1][0] += " " + word
                else:
                    if segments:
                        segments[-1][0] += " "
                    segments.append([word, bold])
            for text, bold in segments:
                font = "F2" if bold else "F1"
                pages[-1].append((x, y, font, size, text))
                x += text_width(text, font, size)
            y += pitch
        y += gap
    total = len(pages)
    for number, runs in enumerate(pages, start=1):
        if header:
            runs.insert(0, (36.0, 40.0, "F1", 8.0, header.format(page=number, pages=total)))
        if footer:
            runs.append((36.0, 770.0, "F1", 8.0, footer.format(page=number, pages=total)))
    return write_pdf(pages)


# --------------------------------------------------------------------------- plain-text labels

LABEL_CASES = {
    "name colon": (
        "Interviewer: Hello there.\nMaria: Hi!\nInterviewer: How are you?\nMaria: Fine.",
        [
            ("Interviewer", "Hello there."),
            ("Maria", "Hi!"),
            ("Interviewer", "How are you?"),
            ("Maria", "Fine."),
        ],
    ),
    "french space before colon": (
        "Intervieweuse : Bonjour.\nLéa\u00a0: Salut.\nIntervieweuse : Ça va ?\nLéa : Oui, très bien.",
        [
            ("Intervieweuse", "Bonjour."),
            ("Léa", "Salut."),
            ("Intervieweuse", "Ça va ?"),
            ("Léa", "Oui, très bien."),
        ],
    ),
    "upper case and title": (
        "INTERVIEWER: Start.\nDR. MORALES: Okay.\nINTERVIEWER: Go on.\nDR. MORALES: Sure.",
        [
            ("INTERVIEWER", "Start."),
            ("DR. MORALES", "Okay."),
            ("INTERVIEWER", "Go on."),
            ("DR. MORALES", "Sure."),
        ],
    ),
    "doctor name": (
        "Dr. Okafor: One.\nMs. Lee: Two.\nDr. Okafor: Three.\nMs. Lee: Four.",
        [("Dr. Okafor", "One."), ("Ms. Lee", "Two."), ("Dr. Okafor", "Three."), ("Ms. Lee", "Four.")],
    ),
    "short ids": (
        "I: Question?\nP07: Answer.\nI: More?\nP07: Yes.\nI2: Can I add one?\nR: Sure.",
        [
            ("I", "Question?"),
            ("P07", "Answer."),
            ("I", "More?"),
            ("P07", "Yes."),
            ("I2", "Can I add one?"),
            ("R", "Sure."),
        ],
    ),
    "label alone on its line": (
        "Interviewer:\nHello there.\n\nParticipant:\nHi.\nSecond line.\n\nInterviewer:\nBye.",
        [("Interviewer", "Hello there."), ("Participant", "Hi.\nSecond line."), ("Interviewer", "Bye.")],
    ),
    "continuation after blank line": (
        "Interviewer: Tell me.\n\nParticipant: Well.\n\nIt was long.\n\nInterviewer: I see.",
        [("Interviewer", "Tell me."), ("Participant", "Well.\n\nIt was long."), ("Interviewer", "I see.")],
    ),
    "one-off Note is not a speaker": (
        "Interviewer: Hi.\nParticipant: Hello.\nNote: recorder paused here.\nInterviewer: Back.\nParticipant: Yes.",
        [
            ("Interviewer", "Hi."),
            ("Participant", "Hello.\nNote: recorder paused here."),
            ("Interviewer", "Back."),
            ("Participant", "Yes."),
        ],
    ),
    "clock time is not a speaker": (
        (
            "Interviewer: When?\nParticipant: In the morning.\n10:30 the meeting started: everyone came.\n"
            "Interviewer: Then?\nParticipant: Lunch."
        ),
        [
            ("Interviewer", "When?"),
            ("Participant", "In the morning.\n10:30 the meeting started: everyone came."),
            ("Interviewer", "Then?"),
            ("Participant", "Lunch."),
        ],
    ),
    "numbered and heading labels are not speakers": (
        (
            "Question 3: housing\nInterviewer: Where do you live?\nExample: a flat\nParticipant: A flat.\n"
            "Update: moved since\nInterviewer: Thanks.\nParticipant: Welcome."
        ),
        [
            (None, "Question 3: housing"),
            ("Interviewer", "Where do you live?\nExample: a flat"),
            ("Participant", "A flat.\nUpdate: moved since"),
            ("Interviewer", "Thanks."),
            ("Participant", "Welcome."),
        ],
    ),
    "preamble kept as unlabelled turn": (
        "Interview 4 | 3 May 2024\nRecorded by phone.\n\nInterviewer: Hi.\nAnna: Hello.\nInterviewer: Bye.\nAnna: Bye.",
        [
            (None, "Interview 4 | 3 May 2024\nRecorded by phone."),
            ("Interviewer", "Hi."),
            ("Anna", "Hello."),
            ("Interviewer", "Bye."),
            ("Anna", "Bye."),
        ],
    ),
    "no labels": (
        "Field notes, day 2.\n\nThe clinic opened at 10:30.",
        [(None, "Field notes, day 2.\n\nThe clinic opened at 10:30.")],
    ),
    "markdown bold labels": (
        "# Interview\n\n**Interviewer:** Hello.\n\n**Sam**: Hi.\n\n**Interviewer:** Bye.\n\n**Sam:** Bye.",
        [
            (None, "# Interview"),
            ("Interviewer", "Hello."),
            ("Sam", "Hi."),
            ("Interviewer", "Bye."),
            ("Sam", "Bye."),
        ],
    ),
    "case variants are one speaker": (
        "Interviewer: A.\nPat: B.\nINTERVIEWER: C.\nPat: D.\nInterviewer: E.",
        [("Interviewer", "A."), ("Pat", "B."), ("Interviewer", "C."), ("Pat", "D."), ("Interviewer", "E.")],
    ),
    "enumerated ids are not speakers": (
        "Q1: What is your role?\nQ2: How long?\nInterviewer: Let us start.\nKim: Sure.\nInterviewer: Good.\nKim: Yes.",
        [
            (None, "Q1: What is your role?\nQ2: How long?"),
            ("Interviewer", "Let us start."),
            ("Kim", "Sure."),
            ("Interviewer", "Good."),
            ("Kim", "Yes."),
        ],
    ),
    "short exchange where each speaks once": (
        "Interviewer: Hello.\nMaria: Hi.",
        [("Interviewer", "Hello."), ("Maria", "Hi.")],
    ),
    "diarization labels": (
        "SPEAKER_00: Hello there.\n[SPEAKER_01]: Hi.\nSPEAKER_00: Bye.\n[SPEAKER_01]: Bye.",
        [
            ("SPEAKER_00", "Hello there."),
            ("SPEAKER_01", "Hi."),
            ("SPEAKER_00", "Bye."),
            ("SPEAKER_01", "Bye."),
        ],
    ),
    "role in parentheses": (
        "Interviewer (Anna): Hello.\nI (P3): Hi.\nInterviewer (Anna): Bye.\nI (P3): Bye.",
        [
            ("Interviewer (Anna)", "Hello."),
            ("I (P3)", "Hi."),
            ("Interviewer (Anna)", "Bye."),
            ("I (P3)", "Bye."),
        ],
    ),
    "live caption chevrons": (
        ">> INTERVIEWER: Hello.\n>> GUEST: Hi.\n>> INTERVIEWER: Bye.\n>> GUEST: Bye.",
        [("INTERVIEWER", "Hello."), ("GUEST", "Hi."), ("INTERVIEWER", "Bye."), ("GUEST", "Bye.")],
    ),
    "tab-separated table rows": (
        "Interviewer\tHello there.\nParticipant\tHi.\nInterviewer\tBye.\nParticipant\tBye.",
        [
            ("Interviewer", "Hello there."),
            ("Participant", "Hi."),
            ("Interviewer", "Bye."),
            ("Participant", "Bye."),
        ],
    ),
    "topic list is not a dialogue": (
        "Housing: how is it\nWork: what do you do\nFamily: who lives with you",
        [(None, "Housing: how is it\nWork: what do you do\nFamily: who lives with you")],
    ),
    "sentences with colons are not labels": (
        "So here is the thing: I went home.\nMy mother said: no.\nThe answer is: maybe.",
        [(None, "So here is the thing: I went home.\nMy mother said: no.\nThe answer is: maybe.")],
    ),
}


@pytest.mark.parametrize("text, expected", LABEL_CASES.values(), ids=LABEL_CASES.keys())
def test_text_labels(text, expected):
    result = parse(text, "interview.txt")
    assert utterances(result) == expected
    assert result.text == text


TIMESTAMP_CASES = {
    "bracketed h:mm:ss": (
        "[00:01:23] Ana: Hi.\n[00:01:30.5] Ben: Yo.\n[00:02:00] Ana: Ok.",
        [83.0, 90.5, 120.0],
    ),
    "bare h:mm:ss": ("00:01:23 Ana: Hi.\n00:01:30 Ben: Yo.\n00:02:00 Ana: Ok.", [83.0, 90.0, 120.0]),
    "parenthesised": (
        "(00:01:23) Ana: Hi.\n(00:01:30,250) Ben: Yo.\n(00:02:00) Ana: Ok.",
        [83.0, 90.25, 120.0],
    ),
    "bracketed mm:ss": ("[01:23] Ana: Hi.\n[01:30] Ben: Yo.\n[02:00] Ana: Ok.", [83.0, 90.0, 120.0]),
    "after the name": ("Ana (00:01:23): Hi.\nBen (00:01:30): Yo.\nAna (00:02:00): Ok.", [83.0, 90.0, 120.0]),
    "after the colon": ("Ana: [00:01:23] Hi.\nBen: [00:01:30] Yo.\nAna: [00:02:00] Ok.", [83.0, 90.0, 120.0]),
    "label line with time, words below": (
        "Ana [00:01:23]\nHi.\n\nBen (01:30)\nYo.\n\nAna [00:02:00]\nOk.",
        [83.0, 90.0, 120.0],
    ),
    "Trint style": ("Ana [00:01:23] Hi.\nBen [00:01:30] Yo.\nAna [00:02:00] Ok.", [83.0, 90.0, 120.0]),
    "Rev style": (
        "Ana (00:01:23):\nHi.\n\nBen (00:01:30):\nYo.\n\nAna (00:02:00):\nOk.",
        [83.0, 90.0, 120.0],
    ),
}


@pytest.mark.parametrize("text, starts", TIMESTAMP_CASES.values(), ids=TIMESTAMP_CASES.keys())
def test_timestamped_labels(text, starts):
    result = parse(text, "timed.txt")
    assert utterances(result) == [("Ana", "Hi."), ("Ben", "Yo."), ("Ana", "Ok.")]
    assert [t.media_start for t in result.turns] == starts
    # media_end is the next turn's start; the last turn's end is unknown.
    assert [t.media_end for t in result.turns] == [*starts[1:], None]
    assert result.has_timestamps


def test_f4_trailing_timestamps_are_not_spoken():
    text = "I: Wie geht es? #00:00:12-3#\n\nB: Gut, danke. #00:00:15-8#\n\nI: Schön. #00:00:20-0#\n\nB: Ja."
    result = parse(text, "f4.txt")
    assert utterances(result) == [("I", "Wie geht es?"), ("B", "Gut, danke."), ("I", "Schön."), ("B", "Ja.")]
    assert [(t.media_start, t.media_end) for t in result.turns] == [
        (None, 12.3),
        (12.3, 15.8),
        (15.8, 20.0),
        (None, None),
    ]


def test_otter_style():
    text = (
        "Team meeting - exported from Otter.ai\n\n"
        "Speaker 1  0:03\nOkay, we are recording.\nSecond line.\n\n"
        "Dr. Lena Hartmann  1:02\nYes, perfectly.\n\n"
        "Speaker 1  1:02:03\nThanks.\n\n"
        "Dr. Lena Hartmann  1:03:10\nBye."
    )
    result = parse(text, "otter.txt")
    assert utterances(result) == [
        (None, "Team meeting - exported from Otter.ai"),
        ("Speaker 1", "Okay, we are recording.\nSecond line."),
        ("Dr. Lena Hartmann", "Yes, perfectly."),
        ("Speaker 1", "Thanks."),
        ("Dr. Lena Hartmann", "Bye."),
    ]
    assert [t.media_start for t in result.turns] == [None, 3.0, 62.0, 3723.0, 3790.0]


def test_one_off_label_in_the_documents_style_is_a_speaker():
    text = "[00:00:01] Ana: Hi.\n[00:00:05] Ben: Yo.\n[00:00:09] Ana: Ok.\n[00:00:12] Ben: Sure.\n[00:00:15] Cleo: Me too."
    result = parse(text, "three.txt")
    assert result.speakers == ["Ana", "Ben", "Cleo"]
    assert any("'Cleo' appears once" in w for w in result.warnings)


def test_one_off_id_in_an_id_labelled_document_is_a_speaker():
    result = parse("I: One?\nX: Two.\nI: Three?\nX: Four.\nY: Five.\nI: Six?", "ids.txt")
    assert utterances(result)[4] == ("Y", "Five.")
    assert any("'Y' appears once and was treated as a speaker" in w for w in result.warnings)


THINK_ALOUD_CASES = {
    "blank-line paragraphs": (
        (
            "MODERATOR: Please read the page.\n\nI am reading it now.\nStill reading.\n\n"
            "MODERATOR: What do you see?\n\nA list of tasks."
        ),
        [
            ("MODERATOR", "Please read the page."),
            (None, "I am reading it now.\nStill reading."),
            ("MODERATOR", "What do you see?"),
            (None, "A list of tasks."),
        ],
    ),
    "one paragraph per line": (
        (
            "MODERATOR: Please read the page.\nI am reading it now.\nStill reading.\n"
            "MODERATOR: What do you see?\nA list of tasks."
        ),
        [
            ("MODERATOR", "Please read the page."),
            (None, "I am reading it now.\nStill reading."),
            ("MODERATOR", "What do you see?"),
            (None, "A list of tasks."),
        ],
    ),
}


@pytest.mark.parametrize("text, expected", THINK_ALOUD_CASES.values(), ids=THINK_ALOUD_CASES.keys())
def test_single_labelled_speaker_leaves_unlabelled_turns(text, expected):
    result = parse(text, "think_aloud.txt")
    assert utterances(result) == expected
    assert any("only one speaker label ('MODERATOR')" in w for w in result.warnings)


def test_warnings_name_preamble_and_missing_labels():
    assert parse("Title\nSubtitle\n\nA: x\nB: y\nA: z\nB: w", "p.txt").warnings[0] == (
        "2 lines before the first speaker label kept as an unlabelled turn"
    )
    assert any("no speaker labels found" in w for w in parse("Just notes.", "n.txt").warnings)


# --------------------------------------------------------------------------- encodings


ENCODING_CASES = {
    "decomposed e acute becomes NFC": (
        "Interviewer: Cafe\u0301?\nZoe\u0308: Oui.\nInterviewer: Bien.".encode("utf-8"),
        "utf-8",
        "Interviewer: Café?\nZoë: Oui.\nInterviewer: Bien.",
    ),
    "CRLF": (
        b"Interviewer: Hi.\r\nAli: Yo.\r\n\r\nInterviewer: Ok.\r\n",
        "utf-8",
        "Interviewer: Hi.\nAli: Yo.\n\nInterviewer: Ok.\n",
    ),
    "lone CR": (
        b"Interviewer: Hi.\rAli: Yo.\rInterviewer: Ok.",
        "utf-8",
        "Interviewer: Hi.\nAli: Yo.\nInterviewer: Ok.",
    ),
    "UTF-8 BOM": (
        b"\xef\xbb\xbfInterviewer: Hi.\nAli: Yo.\nInterviewer: Ok.",
        "utf-8-sig",
        "Interviewer: Hi.\nAli: Yo.\nInterviewer: Ok.",
    ),
    "UTF-16 LE BOM": (
        "\ufeffInterviewer: Hi.\r\nAli: Jó.\r\nInterviewer: Ok.".encode("utf-16-le"),
        "utf-16-le",
        "Interviewer: Hi.\nAli: Jó.\nInterviewer: Ok.",
    ),
    "UTF-16 BE BOM": (
        "\ufeffInterviewer: Hi.\nAli: Jó.\nInterviewer: Ok.".encode("utf-16-be"),
        "utf-16-be",
        "Interviewer: Hi.\nAli: Jó.\nInterviewer: Ok.",
    ),
    "cp1252 punctuation": (
        "Interviewer: “Quoted” – it’s a café.\nAli: Naïve…\nInterviewer: Ok.".encode("cp1252"),
        "cp1252",
        "Interviewer: “Quoted” – it’s a café.\nAli: Naïve…\nInterviewer: Ok.",
    ),
    "Latin-1 French": (
        "Interviewer: Le garçon a mangé une crème brûlée à côté.\nAli: Très bien.\nInterviewer: Ok.".encode(
            "latin-1"
        ),
        "cp1252",
        "Interviewer: Le garçon a mangé une crème brûlée à côté.\nAli: Très bien.\nInterviewer: Ok.",
    ),
}


@pytest.mark.parametrize("data, encoding, text", ENCODING_CASES.values(), ids=ENCODING_CASES.keys())
def test_encodings(data, encoding, text):
    result = parse(data, "enc.txt")
    assert (result.text, result.encoding) == (text, encoding)
    assert result.speakers == ["Interviewer", ("Zoë" if "Zo" in text else "Ali")]
    assert all(result.text[t.start : t.end] for t in result.turns)


def test_non_utf8_is_reported():
    result = parse("Interviewer: café\nAli: ok\nInterviewer: ok".encode("cp1252"), "old.txt")
    assert any("decoded as cp1252" in w for w in result.warnings)


def test_emoji_offsets_count_code_points():
    text = "Interviewer: 😀 How was it?\nAli: 👍🏽 good 🇩🇰!\nInterviewer: 🙂"
    result = parse(text, "emoji.txt")
    assert utterances(result) == [
        ("Interviewer", "😀 How was it?"),
        ("Ali", "👍🏽 good 🇩🇰!"),
        ("Interviewer", "🙂"),
    ]
    assert result.turns[1].start == len("Interviewer: 😀 How was it?\nAli: ")


def test_markup_in_txt_is_text():
    text = "Interviewer: <script>alert(1)</script> & <b>bold</b>\nAli: ok\nInterviewer: ok"
    result = parse(text, "markup.txt")
    assert result.text == text
    assert utterances(result)[0] == ("Interviewer", "<script>alert(1)</script> & <b>bold</b>")


def test_markdown_is_rendered_to_the_text_a_reader_sees():
    text = "# Interview\n\n- a *list* & <laughs>\n\nI: Hi\nR: Yo\nI: Ok"
    result = parse(text, "notes.md")
    assert (result.format, result.text) == ("md", "Interview\n\na list & <laughs>\n\nI: Hi\nR: Yo\nI: Ok")
    assert utterances(result)[1:] == [("I", "Hi"), ("R", "Yo"), ("I", "Ok")]


def test_decode_text_and_canonicalize():
    assert decode_text("naïve".encode(), "a.csv") == ("naïve", "utf-8")
    assert decode_text(b"\xef\xbb\xbfid,name\r\n", "a.csv") == ("id,name\r\n", "utf-8-sig")
    assert decode_text("“x”".encode("cp1252"), "a.csv") == ("“x”", "cp1252")
    assert canonicalize("\ufeffa\r\nb\rc\u0065\u0301") == "a\nb\ncé"


def test_other_legacy_code_page_is_detected():
    text = "Интервьюер: Расскажите, пожалуйста, о своей работе в больнице.\nОльга: Я работаю врачом уже десять лет.\n"
    result = parse((text * 3).encode("cp1251"), "ru.txt")
    assert result.text == text * 3
    assert result.speakers == ["Интервьюер", "Ольга"]


# --------------------------------------------------------------------------- .docx


def test_docx_bold_labels_with_and_without_colon():
    data = make_docx(
        [
            "Interview P02",
            [("Interviewer:", True), (" Thank you for coming.", False)],
            [("Dr. Okafor", True), (" Of course. Glad to.", False)],
            [("Interviewer", True), (": Could you describe your role?", False)],
            [("Dr. Okafor", True), (" ", False), ("I run the office.", False)],
            "It is a small office.",
            [("Important", True), (" point: bold emphasis once is text.", False)],
        ]
    )
    result = parse(data, "bold.docx")
    assert utterances(result) == [
        (None, "Interview P02"),
        ("Interviewer", "Thank you for coming."),
        ("Dr. Okafor", "Of course. Glad to."),
        ("Interviewer", "Could you describe your role?"),
        (
            "Dr. Okafor",
            "I run the office.\n\nIt is a small office.\n\nImportant point: bold emphasis once is text.",
        ),
    ]
    assert result.text.startswith(
        "Interview P02\n\nInterviewer: Thank you for coming.\n\nDr. Okafor Of course."
    )
    assert (result.format, result.encoding) == ("docx", None)


def test_docx_plain_labels_table_rows_and_danish_letters():
    data = make_docx(
        [
            "I = interviewer; X = informant",
            "I: Hvor bor du?",
            "X: I en lejlighed på Østerbro.",
            "",
            "I: Og så?",
            "X: Æbler, øl og år.\tSlut.",
            "Y: Én gang.",
        ],
        table=[["00:12:01", "I", "I tabellen?"], ["", "X", "Ja, på række."]],
    )
    result = parse(data, "danish.docx")
    assert utterances(result) == [
        (None, "I = interviewer; X = informant"),
        ("I", "Hvor bor du?"),
        ("X", "I en lejlighed på Østerbro."),
        ("I", "Og så?"),
        ("X", "Æbler, øl og år.\tSlut."),
        ("Y", "Én gang."),
        ("I", "I tabellen?"),
        ("X", "Ja, på række."),
    ]
    # A table row is one paragraph, its cells joined by tabs; an empty cell is left out.
    assert result.text.endswith("Y: Én gang.\n\n00:12:01\tI\tI tabellen?\n\nX\tJa, på række.")
    assert result.turns[6].media_start == 721.0


def test_docx_otter_export_with_bold_names():
    data = make_docx(
        [
            [("Interviewer", True), (" 0:03", False)],
            "Okay, we are recording.",
            [("Maria Santos", True), (" 0:12", False)],
            "No problem.",
            "Saturday is free.",
            [("Interviewer", True), (" 1:02:03", False)],
            "Thanks.",
        ]
    )
    result = parse(data, "otter.docx")
    assert utterances(result) == [
        ("Interviewer", "Okay, we are recording."),
        ("Maria Santos", "No problem.\n\nSaturday is free."),
        ("Interviewer", "Thanks."),
    ]
    assert [t.media_start for t in result.turns] == [3.0, 12.0, 3723.0]


def test_docx_soft_line_break_stays_in_the_paragraph_unless_it_falls_mid_sentence():
    document = docx.Document()
    for first, second in (("Read it.", "Second line."), ("first line", "goes on")):
        p = document.add_paragraph(f"MODERATOR: {first}")
        p.runs[0].add_break()
        p.add_run(second)
        document.add_paragraph("The participant talks.")
    buffer = io.BytesIO()
    document.save(buffer)
    result = parse(buffer.getvalue(), "soft.docx")
    assert utterances(result) == [
        ("MODERATOR", "Read it.\nSecond line."),
        (None, "The participant talks."),
        ("MODERATOR", "first line goes on"),  # a line break inside a sentence is the layout's
        (None, "The participant talks."),
    ]
    assert result.recognised["reflow"] == {"lines_joined": 1, "hyphenated_words": 0}


# --------------------------------------------------------------------------- .odt


def test_odt_spans_spaces_tabs_and_breaks():
    def build(document):
        document.text.addElement(H(outlinelevel=1, text="Session 2"))
        p = P()
        p.addElement(Span(text="MODERATOR:"))
        p.addText(" Read ")
        p.addElement(Span(text="the ‘Home’ tab."))
        document.text.addElement(p)
        p = P()
        p.addElement(S(c=4))
        p.addElement(Tab())
        p.addText("Okay,")
        p.addElement(S(c=3))
        p.addText("I read it.")
        p.addElement(LineBreak())
        p.addText("It is clear.")
        document.text.addElement(p)
        document.text.addElement(P(text="MODERATOR: Thanks."))
        document.text.addElement(P(text="Sure."))

    result = parse(make_odt(build), "think_aloud.odt")
    assert result.text == (
        "Session 2\n\nMODERATOR: Read the ‘Home’ tab.\n\n    \tOkay,   I read it.\nIt is clear."
        "\n\nMODERATOR: Thanks.\n\nSure."
    )
    assert utterances(result) == [
        (None, "Session 2"),
        ("MODERATOR", "Read the ‘Home’ tab."),
        (None, "Okay,   I read it.\nIt is clear."),
        ("MODERATOR", "Thanks."),
        (None, "Sure."),
    ]


def test_odt_tables_comments_and_footnotes():
    from odf.office import Annotation
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import Note, NoteBody, NoteCitation

    def build(document):
        p = P(text="Interviewer: We start")
        comment = Annotation()
        comment.addElement(P(text="a reviewer's comment"))
        p.addElement(comment)
        note = Note(noteclass="footnote", id="ftn1")
        note.addElement(NoteCitation(text="1"))
        body = NoteBody()
        body.addElement(P(text="footnote text"))
        note.addElement(body)
        p.addElement(note)
        p.addText(" here.")
        document.text.addElement(p)
        table = Table(name="T")
        table.addElement(TableColumn(numbercolumnsrepeated=2))
        for speaker, words in (("Kim", "In a table."), ("Interviewer", "Yes.")):
            row = TableRow()
            for value in (speaker, words):
                cell = TableCell()
                cell.addElement(P(text=value))
                row.addElement(cell)
            table.addElement(row)
        document.text.addElement(table)
        document.text.addElement(P(text="Kim: After."))

    result = parse(make_odt(build), "table.odt")
    assert (
        result.text == "Interviewer: We start1 here.\n\nKim\tIn a table.\n\nInterviewer\tYes.\n\nKim: After."
    )
    assert utterances(result) == [
        ("Interviewer", "We start1 here."),
        ("Kim", "In a table."),
        ("Interviewer", "Yes."),
        ("Kim", "After."),
    ]
    assert any("comment(s), footnote(s)" in w for w in result.warnings)


def test_odt_multiple_speakers():
    result = parse(odt_paragraphs("A: one", "B: two", "A: three", "B: four"), "plain.odt")
    assert utterances(result) == [("A", "one"), ("B", "two"), ("A", "three"), ("B", "four")]
    assert result.format == "odt"


# --------------------------------------------------------------------------- .rtf

RTF = (
    rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss\fcharset0 Helvetica;}}"
    rb"{\colortbl;\red255\green255\blue255;}"
    b"\n"
    rb"\f0\fs24 Interview notes\par"
    b"\n"
    rb"Interviewer: He said \'93fine\'94 \'96 caf\'e9\par"
    b"\n"
    rb"Participant: It\rquote s na\'efve \uc1\u8364?\u-10179?\u-8704?\par"
    b"\n"
    rb"Interviewer: Ok\par"
    b"\n"
    rb"Participant: Bye\par}"
)


def test_rtf_code_page_and_unicode_escapes():
    result = parse(RTF, "notes.rtf")
    assert result.text == (
        "Interview notes\n\nInterviewer: He said “fine” – café\n\nParticipant: It’s naïve €😀"
        "\n\nInterviewer: Ok\n\nParticipant: Bye"
    )
    assert utterances(result) == [
        (None, "Interview notes"),
        ("Interviewer", "He said “fine” – café"),
        ("Participant", "It’s naïve €😀"),
        ("Interviewer", "Ok"),
        ("Participant", "Bye"),
    ]
    assert result.encoding == "cp1252"


def test_rtf_mac_code_page():
    result = parse(rb"{\rtf1\mac\deff0 Caf\'8e \'d2ok\'d3\par}", "mac.rtf")
    assert result.text == "Café “ok”"


# --------------------------------------------------------------------------- .pdf


def test_pdf_text_layer_paragraphs_and_labels():
    data = make_pdf(
        [
            [
                "Interview 9",
                "",
                "Interviewer: Thank you for",
                "joining us today.",
                "",
                "Participant: Happy to (really).",
                "",
                "Interviewer: Good.",
            ],
            ["Participant: Caf\u00e9 later?"],
        ]
    )
    result = parse(data, "scan_free.pdf")
    assert result.text == (
        "Interview 9\n\nInterviewer: Thank you for\njoining us today.\n\nParticipant: Happy to (really)."
        "\n\nInterviewer: Good.\n\nParticipant: Café later?"
    )
    assert utterances(result) == [
        (None, "Interview 9"),
        ("Interviewer", "Thank you for\njoining us today."),
        ("Participant", "Happy to (really)."),
        ("Interviewer", "Good."),
        ("Participant", "Café later?"),
    ]


def test_pdf_running_headers_and_page_numbers_are_left_out():
    pages = [
        ["Study X - confidential", f"Interviewer: Question {n}?", "", f"Kim: Answer {n}.", f"Page {n} of 3"]
        for n in (1, 2, 3)
    ]
    result = parse(make_pdf(pages), "headers.pdf")
    assert "confidential" not in result.text and "Page" not in result.text
    assert utterances(result) == [
        ("Interviewer", "Question 1?"),
        ("Kim", "Answer 1."),
        ("Interviewer", "Question 2?"),
        ("Kim", "Answer 2."),
        ("Interviewer", "Question 3?"),
        ("Kim", "Answer 3."),
    ]
    assert any("6 page header/footer line(s)" in w for w in result.warnings)


def test_pdf_without_text_layer_needs_ocr():
    with pytest.raises(TranscriptError, match="no text layer") as info:
        parse_transcript(make_pdf([[]]), "scanned.pdf")
    assert "OCR" in info.value.hint and info.value.filename == "scanned.pdf"


# --------------------------------------------------------------------------- .html


def test_html_visible_text_as_paragraphs():
    data = (
        b"<!DOCTYPE html><html><head><title>Hidden title</title><style>p{color:red}</style>"
        b"<script>var x = '<p>no</p>';</script></head><body>\n"
        b"<h1>Interview   5</h1>\n<p><b>Interviewer:</b> Hello &amp; welcome.</p>\n"
        b"<p>Jo:\n   Thanks,<br>second   line.</p><div hidden>secret</div>"
        b"<ul><li>Interviewer: A &ldquo;list&rdquo;?</li><li>Jo: Yes.</li></ul></body></html>"
    )
    result = parse(data, "page.html")
    assert result.text == (
        "Interview 5\n\nInterviewer: Hello & welcome.\n\nJo: Thanks,\nsecond line.\n\n"
        "Interviewer: A “list”?\n\nJo: Yes."
    )
    assert utterances(result) == [
        (None, "Interview 5"),
        ("Interviewer", "Hello & welcome."),
        ("Jo", "Thanks,\nsecond line."),
        ("Interviewer", "A “list”?"),
        ("Jo", "Yes."),
    ]


def test_html_table_rows_and_pre():
    data = (
        "<table><tr><th>Speaker</th><th>Text</th></tr><tr><td>Interviewer</td><td>Hello\n  there</td></tr>"
        "<tr><td>Kim</td><td>Hi</td></tr><tr><td>Interviewer</td><td>Bye</td></tr></table>"
        "<pre>\nline 1\n  line 2</pre>"
    )
    result = parse(data, "table.html")
    assert (
        result.text
        == "Speaker\tText\n\nInterviewer\tHello there\n\nKim\tHi\n\nInterviewer\tBye\n\nline 1\n  line 2"
    )
    assert utterances(result) == [
        (None, "Speaker\tText"),
        ("Interviewer", "Hello there"),
        ("Kim", "Hi"),
        ("Interviewer", "Bye\n\nline 1\n  line 2"),
    ]


def test_html_meta_charset():
    data = '<html><head><meta charset="windows-1252"></head><body><p>I: “Olá”</p><p>R: Sí</p><p>I: ok</p>'
    result = parse(data.encode("cp1252"), "legacy.htm")
    assert result.text == "I: “Olá”\n\nR: Sí\n\nI: ok"
    assert (result.format, result.encoding) == ("html", "cp1252")


# --------------------------------------------------------------------------- .vtt / .srt

VTT_VOICES = """WEBVTT

00:00:01.000 --> 00:00:03.000
<v Interviewer>Hello <i>there</i>.</v>

00:00:03.500 --> 00:00:05.000
<v Interviewer>How are you?

00:00:05.000 --> 00:00:07.250
<v.loud Ana Lima>Fine &amp; you?

00:00:08.000 --> 00:00:09.000
<v Interviewer>Good.
<v Ana Lima>Great.
"""

VTT_ZOOM = (
    "WEBVTT\r\n\r\n1\r\n00:00:04.859 --> 00:00:07.410\r\nAndrew Knight: Okay, so we're\r\nrecording.\r\n\r\n"
    "2\r\n00:00:09.540 --> 00:00:12.990\r\nAndrew Knight: We have that setup.\r\n\r\n"
    "3\r\n00:00:13.000 --> 00:00:14.000\r\nYes. Okay.\r\n\r\n"
    "4\r\n00:00:24.000 --> 00:00:26.070\r\nPaul McCartney: She just got back.\r\n\r\n"
    "5\r\n00:00:27.330 --> 00:00:27.870\r\nRingo Starr: Nice.\r\n\r\n"
    "6\r\n00:00:28.000 --> 00:00:29.000\r\nPaul McCartney: Note: she did.\r\n\r\n"
    "7\r\n00:00:30.000 --> 00:00:31.000\r\nAndrew Knight: Right.\r\n"
)

SRT = """1
00:00:01,200 --> 00:00:04,000
Interviewer: Okay, we’re
<i>recording</i> now.

2
00:00:04,500 --> 00:00:06,000
Interviewer: Thanks.

3
00:00:07,000 --> 00:00:09,500
{\\an8}Rosa Delgado: Of course.

4
00:00:10,000 --> 00:00:11,000
Happy to help.

5
00:00:12,000 --> 00:00:13,000
Interviewer: Great.

6
00:00:14,000 --> 00:00:15,000
Rosa Delgado: Yes.
"""


def test_vtt_voice_tags_merge_consecutive_cues():
    result = parse(VTT_VOICES, "teams.vtt")
    assert result.text == (
        "Interviewer: Hello there. How are you?\n\nAna Lima: Fine & you?\n\nInterviewer: Good.\n\nAna Lima: Great."
    )
    assert utterances(result) == [
        ("Interviewer", "Hello there. How are you?"),
        ("Ana Lima", "Fine & you?"),
        ("Interviewer", "Good."),
        ("Ana Lima", "Great."),
    ]
    assert [(t.media_start, t.media_end) for t in result.turns] == [
        (1.0, 5.0),
        (5.0, 7.25),
        (8.0, 9.0),
        (8.0, 9.0),
    ]


def test_vtt_zoom_name_prefixes():
    result = parse(VTT_ZOOM, "zoom.vtt")
    assert utterances(result) == [
        ("Andrew Knight", "Okay, so we're recording. We have that setup. Yes. Okay."),
        ("Paul McCartney", "She just got back."),
        ("Ringo Starr", "Nice."),
        ("Paul McCartney", "Note: she did."),
        ("Andrew Knight", "Right."),
    ]
    assert (result.turns[0].media_start, result.turns[0].media_end) == (4.859, 14.0)
    assert "00:00" not in result.text


def test_srt_tags_removed_and_cues_merged():
    result = parse(SRT, "session.srt")
    assert utterances(result) == [
        ("Interviewer", "Okay, we’re recording now. Thanks."),
        ("Rosa Delgado", "Of course. Happy to help."),
        ("Interviewer", "Great."),
        ("Rosa Delgado", "Yes."),
    ]
    assert [(t.media_start, t.media_end) for t in result.turns] == [
        (1.2, 6.0),
        (7.0, 11.0),
        (12.0, 13.0),
        (14.0, 15.0),
    ]
    assert result.format == "srt"


def test_subtitles_without_speakers():
    result = parse(
        "WEBVTT\n\n00:01.000 --> 00:02.000\nHello.\n\n00:02.000 --> 00:03.000\nWorld.\n", "auto.vtt"
    )
    assert utterances(result) == [(None, "Hello. World.")]
    assert any("no speaker labels" in w for w in result.warnings)


# --------------------------------------------------------------------------- dispatch and bad input


def test_supported_extensions_and_case_insensitive_dispatch():
    assert SUPPORTED_EXTENSIONS == (
        ".txt",
        ".md",
        ".docx",
        ".odt",
        ".rtf",
        ".pdf",
        ".html",
        ".htm",
        ".vtt",
        ".srt",
    )
    assert parse(b"A: x\nB: y\nA: z", "UPPER.TXT").format == "txt"
    assert parse(make_docx(["A: x", "B: y", "A: z"]), "Interview 08.DOCX").speakers == ["A", "B"]


def _broken_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<not-closed")
    return buffer.getvalue()


def _spreadsheet_odt() -> bytes:
    buffer = io.BytesIO()
    OpenDocumentSpreadsheet().write(buffer)
    return buffer.getvalue()


BAD_INPUT = {
    "empty": (b"", "empty.txt", "is empty", None),
    "whitespace only": (b" \r\n\t\n", "blank.txt", "no text", None),
    "NUL bytes in text": (b"Interviewer: hi\nP1: \x00\x01\x02", "binary.txt", "binary data", 2),
    "undecodable text": (bytes(range(128, 256)) * 4, "garbage.txt", "binary data|not UTF-8", None),
    "broken docx zip": (b"PK\x03\x04" + b"\x00garbage" * 20, "broken.docx", "damaged", None),
    "docx with broken xml": (_broken_docx(), "xml.docx", "not a readable Word", None),
    "pdf renamed docx": (make_pdf([["A: x"]]), "renamed.docx", "is a PDF document", None),
    "odt renamed docx": (odt_paragraphs("A: x"), "odt.docx", "OpenDocument text", None),
    "old doc renamed docx": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500,
        "old.docx",
        "Word 97-2003",
        None,
    ),
    "text renamed odt": (b"A: x\nB: y", "text.odt", "not a recognised", None),
    "spreadsheet odt": (_spreadsheet_odt(), "sheet.odt", "another kind", None),
    "pdf renamed txt": (make_pdf([["A: x"]]), "report.txt", "is a PDF document", None),
    "rtf renamed txt": (RTF, "notes.txt", "RTF document", None),
    "not rtf": (b"Just text", "fake.rtf", "not an RTF", None),
    "broken pdf": (b"%PDF-1.4\n garbage", "broken.pdf", "not a readable PDF", None),
    "unsupported extension": (b"A: x", "notes.doc", "unsupported file type", None),
    "no extension": (b"A: x", "README", "unsupported file type", None),
    "vtt without header": (b"00:00:01.000 --> 00:00:02.000\nA: x\n", "nohead.vtt", "WEBVTT", 1),
    "vtt malformed timing": (
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA: x\n\n00:00:03,000 --> 00:00:04.000\nB: y\n",
        "bad.vtt",
        "malformed cue timing",
        6,
    ),
    "vtt timing without arrow": (
        b"WEBVTT\n\n00:00:01.000 00:00:02.000\nA: x\n",
        "arrow.vtt",
        "malformed cue timing",
        3,
    ),
    "vtt impossible time": (
        b"WEBVTT\n\n00:00:01.000 --> 00:00:72.000\nA: x\n",
        "time.vtt",
        "malformed cue timing",
        3,
    ),
    "srt malformed timing": (b"1\n00:00:01,000 --> 00:00:02\nA: x\n", "bad.srt", "malformed cue timing", 2),
    "srt without cues": (b"Just a text file\n", "text.srt", "not a valid SubRip", 1),
}


@pytest.mark.parametrize("data, filename, reason, line", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_raises_transcript_error(data, filename, reason, line):
    with pytest.raises(TranscriptError) as info:
        parse_transcript(data, filename)
    error = info.value
    assert error.filename == filename and str(error).startswith(filename)
    assert error.hint
    assert re.search(reason, error.reason), error.reason
    assert error.line == line


def test_unsupported_extension_lists_supported_ones():
    with pytest.raises(TranscriptError) as info:
        parse_transcript(b"x", "notes.pages")
    assert all(ext in info.value.hint for ext in SUPPORTED_EXTENSIONS)


def test_over_size_limit_says_how_to_raise_it():
    with pytest.raises(TranscriptError) as info:
        parse_transcript(b"A: x\n" * 1000, "big.txt", max_bytes=1024)
    assert info.value.reason == "is 4.9 KB, over the import size limit of 1 KB"
    assert "--max-size" in info.value.hint and "QUALCODE_MAX_IMPORT_MB" in info.value.hint
    assert DEFAULT_MAX_BYTES == 50 * 1024 * 1024
    with pytest.raises(TranscriptError, match="over the import size limit of 50 MB"):
        parse_transcript(b" " * (DEFAULT_MAX_BYTES + 200_000), "huge.txt")
    # one byte over would round to "50 MB, over the limit of 50 MB": say it in bytes instead
    with pytest.raises(TranscriptError, match="52,428,801 bytes, over the import size limit of 52,428,800 bytes"):
        parse_transcript(b" " * (DEFAULT_MAX_BYTES + 1), "huge.txt")


def test_unexpected_parser_failure_is_wrapped(monkeypatch):
    from qualcode import importers

    def explode(data, filename):
        raise RuntimeError("boom")

    monkeypatch.setitem(importers._READERS, ".srt", explode)
    with pytest.raises(TranscriptError, match="could not be read as .srt.*boom"):
        parse_transcript(b"1\n00:00:01,000 --> 00:00:02,000\nx\n", "x.srt")


# --------------------------------------------------------------------------- real files (shared fixtures)


def test_fixture_zoom_vtt():
    result = parse(
        fixture_file("zoomgroupstats/meeting001_transcript.vtt").read_bytes(), "meeting001_transcript.vtt"
    )
    assert sorted(result.speakers) == [
        "Andrew Knight",
        "George Harrison",
        "John Lennon",
        "Paul McCartney",
        "Ringo Starr",
    ]
    assert 5 < len(result.turns) < 100  # 300 cues, consecutive cues of a speaker merged
    assert all(t.media_start is not None and t.media_end >= t.media_start for t in result.turns)
    assert result.turns[0].media_start == pytest.approx(4.859)
    assert result.text.startswith("Andrew Knight: Okay, so we're recording.")


def test_fixture_odt_think_aloud():
    result = parse(fixture_file("serdif_usability/P2_GMT20211119.odt").read_bytes(), "P2_GMT20211119.odt")
    assert result.speakers == ["MODERATOR"]
    labelled = [t for t in result.turns if t.speaker == "MODERATOR"]
    unlabelled = [t for t in result.turns if t.speaker is None]
    assert len(labelled) == 7 and len(unlabelled) >= 7
    assert "‘Home’" in result.text and "Control+F" in result.text
    assert "\t" in result.text  # <text:tab/> kept


def test_fixture_danish_docx():
    result = parse(fixture_file("ecape_danish/Interview 08.docx").read_bytes(), "Interview 08.docx")
    assert result.speakers == ["I", "X", "I2", "Y"]
    assert result.turns[0].speaker is None  # the title and the legend paragraph
    assert "I = interviewer 1" in result.text[result.turns[0].start : result.turns[0].end]
    assert all(letter in result.text for letter in "æøå")
    assert sum(t.speaker == "X" for t in result.turns) > 100
    assert any("'Y' appears once" in w for w in result.warnings)


def test_fixture_cp1252_rtf():
    result = parse(fixture_file("icpc_code_review/P4R1.rtf").read_bytes(), "P4R1.rtf")
    assert result.encoding == "cp1252"
    assert "“Approve”" in result.text and "â€" not in result.text
    # Mostly observation notes without speakers: one unlabelled turn holds them. The
    # INTERVIEW section at the end has one "I:" and one "P4:" paragraph, which the
    # README does not mention; they are ID-shaped, so they count as speakers.
    assert result.turns[0].speaker is None
    assert result.text[result.turns[0].start :].startswith("REVIEW TYPE AND GOAL")
    assert result.speakers == ["I", "P4"]


# --------------------------------------------------------------------------- sample study transcripts

# Speakers read from the files by hand (label lines, voice prefixes, bold runs).
SAMPLE_SPEAKERS = {
    "p01_program_director_internal_medicine.txt": ["Interviewer", "P01"],
    "p02_dio_academic_center.docx": ["Interviewer", "Dr. Okafor"],
    "p03_global_health_faculty.txt": ["Interviewer", "Dr. Lena Hartmann"],
    "p04_gme_administrator_community.vtt": ["Interviewer", "Marisol Vega"],
    "p05_visiting_student_uganda.txt": ["Interviewer", "Brian Ssempala"],
    "p06_img_unlicensed_philippines.txt": ["Interviewer", "Maria Santos"],
    "p07_family_medicine_director_fqhc.docx": ["Interviewer", "Dr. Nguyễn"],
    "p08_licensure_program_coordinator_mn.vtt": ["Interviewer", "Abdi Korane", "Kelsey Lund"],
    "p09_pediatrics_faculty_bilingual.txt": ["INTERVIEWER", "DR. MORALES"],
    "p10_international_office_visa_specialist.txt": ["Interviewer", "Priya Raman", "Tomás Reyes"],
    "p11_img_resident_nigeria.docx": ["Interviewer", "Dr. Adaeze Eze"],
    "p12_welcome_center_case_manager.srt": ["Interviewer", "Rosa Delgado"],
}
SAMPLE_FILES = (
    sorted(p for p in SAMPLES.glob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS)
    if SAMPLES.is_dir()
    else []
)


@pytest.mark.skipif(not SAMPLE_FILES, reason="transcripts_sample/ has no transcripts yet")
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[p.name for p in SAMPLE_FILES])
def test_sample_transcripts(path):
    result = parse(path.read_bytes(), path.name)
    expected = SAMPLE_SPEAKERS.get(path.name)
    if expected is not None:
        assert sorted(result.speakers) == sorted(expected)
    else:  # a sample added after these tests were written
        assert len(result.speakers) >= 2
        assert {"Interviewer", "INTERVIEWER", "I"} & set(result.speakers)
    labelled = [t for t in result.turns if t.speaker is not None]
    assert len(labelled) >= 20
    assert all(t.speaker is None for t in result.turns[: len(result.turns) - len(labelled)])


def test_a_file_just_over_the_limit_is_told_in_exact_bytes():
    with pytest.raises(TranscriptError) as err:
        parse_transcript(b"x" * 36_700, "a.txt", max_bytes=36_690)
    assert "is 36,700 bytes, over the import size limit of 36,690 bytes" in str(err.value)
