"""Hostile input: every parser of user bytes either parses or refuses with its own error.

Property-based (hypothesis) over random bytes and mutated valid files of every upload format.
The property for each parser: the result is valid (for transcripts: NFC/LF text, turns inside
the text, ordered, non-overlapping, and every character of the text belonging to exactly one
turn), or the parser's documented error type is raised with a message naming the file --
never another exception, never a hang (each call has a hard time limit). Transcripts generated
in the label styles that arrive from the field (Otter.ai, names alone on their lines, line
numbers, podcast HTML and Markdown) must also give back their speakers, turns and times. A batch import mixing good and damaged files writes exactly the documents that parsed.
The number of inputs tried per parser is printed by the last test of this file.

Runs are reproducible (``derandomize=True``, no example database).
"""

from __future__ import annotations

import io
import re
import time
import unicodedata
import zipfile
from datetime import timedelta

import docx
import pytest
from conftest import shared_fixture
from test_importers import assert_every_character_in_one_turn
from hostile_support import (
    PARSED,
    SEEDS,
    TRIED,
    Hang,
    make_docx,
    make_odt,
    mutated,
    mutated_file,
    time_limit,
    zip_bomb,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text as sql

from qualcode.codebook import Codebook, CodebookError, parse_codebook
from qualcode.project.coding_sheet import CodingSheetError, SheetRow, parse_sheet
from qualcode.project.documents import import_files
from qualcode.importers import ParsedTranscript, TranscriptError, parse_transcript
from qualcode.project.participants import AttributesError, AttributeTable, parse_attributes
from qualcode.refi.model import RefiError, RefiProject
from qualcode.refi.read import Limits, read_refi
from qualcode.agreement.reliability_data import ReliabilityData, ReliabilityDataError, parse_reliability_csv

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")  # big reprs of failing files


def fuzz(examples: int):
    """Reproducible hypothesis settings with a per-example deadline (the hard limit is time_limit)."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=timedelta(seconds=5),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
        print_blob=True,
    )


def attempt(parser: str, call, error: type[Exception], filename: str):
    """Run ``call`` under the time limit; the result, or None when refused with ``error``."""
    TRIED[parser] += 1
    try:
        with time_limit():
            result = call()
    except error as exc:
        assert filename in str(exc), f"the message does not name the file: {exc}"
        assert not isinstance(exc, Hang)
        return None
    PARSED[parser] += 1
    return result


def assert_transcript(result: ParsedTranscript, filename: str) -> None:
    """The offset contract: canonical text, turns inside it, in order, not overlapping, and
    every character of the text belonging to exactly one turn (its words, or its header of
    labels and times, or the blank lines after it)."""
    assert isinstance(result, ParsedTranscript) and result.filename == filename
    text = result.text
    assert text.strip()
    assert "\r" not in text and not text.startswith("\ufeff")
    assert unicodedata.is_normalized("NFC", text)
    previous_end = 0
    for turn in result.turns:
        assert previous_end <= turn.start < turn.end <= len(text), turn
        previous_end = turn.end
    assert_every_character_in_one_turn(result)


# -- transcripts ---------------------------------------------------------------------------

EXTENSIONS = list(SEEDS)
MAGIC = {".pdf": b"%PDF-1.4\n", ".docx": b"PK\x03\x04", ".odt": b"PK\x03\x04", ".rtf": b"{\\rtf1 ",
         ".vtt": b"WEBVTT\n\n", ".html": b"<html><body><p>", ".htm": b"<p>"}
SEED_BYTES = {ext: make() for ext, make in SEEDS.items()}


def check_transcript(data: bytes, extension: str) -> None:
    filename = f"upload{extension}"
    result = attempt(f"parse_transcript {extension}", lambda: parse_transcript(data, filename),
                     TranscriptError, filename)
    if result is not None:
        assert_transcript(result, filename)


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_every_seed_parses(extension):
    """The seeds are valid, so the mutation tests start from files the parsers accept."""
    result = parse_transcript(SEED_BYTES[extension], f"seed{extension}")
    assert_transcript(result, f"seed{extension}")
    assert result.speakers == ["I", "P07"], result.text


@pytest.mark.parametrize("extension", EXTENSIONS)
@fuzz(300)
@given(data=st.data())
def test_transcript_random_bytes(extension, data):
    prefix = data.draw(st.sampled_from([b"", MAGIC.get(extension, b"")]))
    check_transcript(prefix + data.draw(st.binary(max_size=1024)), extension)


@pytest.mark.parametrize("extension", EXTENSIONS)
@fuzz(700)
@given(data=st.data())
def test_transcript_mutated(extension, data):
    check_transcript(data.draw(mutated_file(SEED_BYTES[extension])), extension)


@fuzz(400)
@given(data=st.data())
def test_transcript_text_unicode(data):
    """Arbitrary Unicode text (any code point a UTF-8/16 file can hold) in the text formats."""
    extension = data.draw(st.sampled_from([".txt", ".md", ".vtt", ".srt", ".html"]))
    body = data.draw(st.text(max_size=300))
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]))
    check_transcript(body.encode(encoding, "surrogatepass"), extension)


def test_time_limit_gets_through_a_parsers_catch_all(monkeypatch):
    """parse_transcript turns any Exception into TranscriptError; a hang must still fail the test."""
    from qualcode import importers

    monkeypatch.setitem(importers._READERS, ".txt", lambda data, name: time.sleep(5))
    with pytest.raises(Hang), time_limit(0.2):
        parse_transcript(b"I: hello", "slow.txt")


# -- transcripts in the shapes they come in from the field ----------------------------------

FIELD_NAMES = ["Interviewer", "Dan Okoro", "P07", "Speaker 2", "Dr. Ruiz", "MODERATOR", "Léa"]
FIELD_SENTENCES = ["we went to the clinic in the morning.", "the visa took three months, maybe more.",
                   "I think so.", "it was hard for the students, honestly.", "and then the lawyers said no.",
                   "right, that makes sense to me.", "we had two supervisors who taught them on the wards."]
FIELD_STYLES = {  # style: (extensions, turn template)
    "colon": ([".txt", ".docx", ".md", ".html"], "{name}: {words}"),
    "otter": ([".txt", ".docx"], "{name} {mss}\n{words}"),
    "otter tab": ([".txt"], "{name}\t{mss}\n{words}"),
    "alone": ([".txt", ".docx"], "{name}\n{words}"),
    "time before": ([".txt", ".docx"], "[{hms}] {name}: {words}"),
    "time after colon": ([".txt", ".md"], "{name}: ({hms}) {words}"),
    "markdown": ([".md"], "**{name}:** \\[{mss}\\] {words}"),
    "podcast html": ([".html"], "<cite>{name}:</cite> <time>{mss}</time><p>{words}</p>"),
}


@st.composite
def field_transcript(draw):
    """A transcript in one of the field's label styles: (bytes, extension, turns, timed, numbered)."""
    speakers = draw(st.lists(st.sampled_from(FIELD_NAMES), min_size=2, max_size=3, unique=True))
    count = draw(st.integers(2 * len(speakers), 9))  # everyone speaks at least twice
    style = draw(st.sampled_from(sorted(FIELD_STYLES)))
    extensions, template = FIELD_STYLES[style]
    extension = draw(st.sampled_from(extensions))
    turns, seconds = [], draw(st.integers(0, 50))
    for k in range(count):
        sentences = draw(st.lists(st.sampled_from(FIELD_SENTENCES), min_size=1, max_size=4))
        words = " ".join(s[0].upper() + s[1:] for s in sentences)
        turns.append((speakers[k % len(speakers)], seconds, words))
        seconds += draw(st.integers(1, 400))
    rendered = [template.format(name=n, words=w, mss=f"{t // 60}:{t % 60:02d}",
                                hms=f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}") for n, t, w in turns]
    timed = "{mss}" in template or "{hms}" in template
    numbered = extension == ".txt" and style in ("colon", "alone", "time before") and draw(st.booleans())
    if extension == ".docx":
        data = _field_docx(rendered)
    elif numbered:
        lines = [line for turn in rendered for line in [*_wrap(turn), ""]]
        data = "\n".join(f"{n:>3}  {line}".rstrip() for n, line in enumerate(lines, start=1)).encode()
    elif extension == ".html" and "<" not in template:
        data = "".join(f"<p>{turn}</p>\n" for turn in rendered).encode()
    else:
        data = ("\n\n".join(rendered) + "\n").encode()
    return data, extension, turns, timed, numbered


def _wrap(text: str, width: int = 50) -> list[str]:
    out = []
    for part in text.split("\n"):
        line = ""
        for word in part.split():
            if line and len(line) + 1 + len(word) > width:
                out.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        out.append(line)
    return out


def _field_docx(rendered: list[str]) -> bytes:
    document = docx.Document()
    for turn in rendered:
        for paragraph in turn.split("\n"):
            document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@fuzz(250)
@given(case=field_transcript())
def test_field_transcripts_give_their_speakers_turns_and_times(case):
    """Generated in every label style of the field: the right speakers, turns, clean words and
    media times come back, and every character belongs to exactly one turn."""
    data, extension, turns, timed, numbered = case
    filename = f"field{extension}"
    result = attempt(f"parse_transcript {extension}", lambda: parse_transcript(data, filename),
                     TranscriptError, filename)
    assert result is not None
    assert_transcript(result, filename)
    labelled = [t for t in result.turns if t.speaker is not None]
    assert [t.speaker for t in labelled] == [name for name, _t, _w in turns], result.text
    words = [" ".join(result.text[t.start:t.end].split()) if numbered else result.text[t.start:t.end]
             for t in labelled]
    assert words == [w for _n, _t, w in turns]
    if timed:
        assert [t.media_start for t in labelled] == [float(t) for _n, t, _w in turns]
    if numbered:
        assert result.recognised["line_numbers"]["first"] == 1


# -- regression tests for bugs the properties found --------------------------------------


@pytest.mark.parametrize("extension", [".odt", ".docx"])
def test_zip_with_a_shifted_directory_is_a_transcript_error(extension):
    """One byte cut before the central directory puts member offsets at -1: zipfile raised a bare
    ValueError ("negative seek value -1") from sniff.describe, outside parse_transcript's guard,
    and import_files let it abort the whole batch."""
    seed = SEED_BYTES[extension]
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(seed[:200] + seed[201:], f"cut{extension}")
    assert str(caught.value).startswith(f"cut{extension}: is ")


def test_odt_whose_mimetype_claims_deflate_is_a_transcript_error():
    """A stored mimetype entry marked deflated in the directory: zlib.error escaped sniff.describe."""
    seed = SEED_BYTES[".odt"]
    directory = seed.index(b"PK\x01\x02")  # the first entry is mimetype; its method is at +10
    damaged = seed[:directory + 10] + b"\x08\x00" + seed[directory + 12:]
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(damaged, "m.odt")
    assert str(caught.value) == ("m.odt: is damaged: it is not a valid .odt package (broken ZIP container). "
                                 "Open it in Word or LibreOffice and save it again, or re-download it")


def test_import_batch_survives_a_shifted_zip_directory(sample_db):
    seed = SEED_BYTES[".odt"]
    before = row_counts(sample_db)
    result = import_files(sample_db, [("cut.odt", seed[:200] + seed[201:]), ("fine.txt", good_file(".txt", 1))],
                          workers=0)
    assert [e["file"] for e in result.errors] == ["cut.odt"]
    assert [d.document for d in result.imported] == ["fine"]
    assert row_counts(sample_db)["document"] == before["document"] + 1


def test_reliability_csv_with_a_broken_utf16_body_is_a_reliability_error():
    """A UTF-16 BOM followed by an odd number of bytes raised UnicodeDecodeError."""
    with pytest.raises(ReliabilityDataError) as caught:
        parse_reliability_csv(b"\xff\xfeu\x00n\x00i\x00t\x00,\x00A\x00\n", "r.csv")
    assert str(caught.value) == ("r.csv, line 1, column 1: the file starts with a UTF-16 byte-order mark "
                                 "but is not valid UTF-16 (bytes 14-14: truncated data); save the file "
                                 "again as UTF-8 CSV")


# -- size limits and zip bombs --------------------------------------------------------------


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_over_the_size_limit_is_refused(extension):
    data = SEED_BYTES[extension]
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(data, f"big{extension}", max_bytes=100)
    assert caught.value.reason.startswith("is ")
    assert caught.value.reason.endswith(" bytes, over the import size limit of 100 bytes") or \
        caught.value.reason.endswith(" KB, over the import size limit of 100 bytes")
    assert str(caught.value).startswith(f"big{extension}: ")


@pytest.mark.parametrize(("extension", "make", "member"), [
    (".docx", make_docx, "word/media/bomb.bin"),
    (".docx", make_docx, "word/document.xml.pad"),
    (".odt", make_odt, "Pictures/bomb.bin"),
])
def test_zip_bomb_is_refused_before_unpacking(extension, make, member):
    """64 MB of zeros packed into ~64 KB: refused from the declared sizes, nothing inflated."""
    bomb = zip_bomb(make(), member, 64 << 20)
    assert len(bomb) < 1 << 20
    with time_limit(5), pytest.raises(TranscriptError) as caught:
        parse_transcript(bomb, f"bomb{extension}", max_bytes=1 << 20)
    assert re.fullmatch(r"would expand to 6[78] MB when unpacked, too much for a transcript", caught.value.reason)


@pytest.mark.parametrize("extension", [".docx", ".odt"])
def test_zip_member_that_lies_about_its_size_is_refused(extension):
    """A bomb whose directory claims tiny sizes: zipfile stops at the claimed size (CRC error)."""
    member = "word/document.xml" if extension == ".docx" else "content.xml"
    honest = zip_bomb(SEED_BYTES[extension], "z", 0)
    source = zipfile.ZipFile(io.BytesIO(honest))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == member:
                body = body + b"<!--" + b"\0" * (32 << 20) + b"-->"
            out.writestr(info.filename, body)
    data = bytearray(buffer.getvalue())
    # Patch the member's uncompressed size (central directory and local header) to 1000 bytes.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(member)
    real = info.file_size.to_bytes(4, "little")
    assert data.count(real) >= 2
    data = bytes(data).replace(real, (1000).to_bytes(4, "little"))
    with time_limit(5), pytest.raises(TranscriptError) as caught:
        parse_transcript(data, f"liar{extension}")
    assert str(caught.value).startswith(f"liar{extension}: ")


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
               for i in range(1, 10))
    + b"]>"
)


@pytest.mark.parametrize("extension", [".docx", ".odt", ".html"])
def test_entity_expansion_is_not_performed(extension):
    """Billion laughs inside the document XML: refused or read without expanding, quickly."""
    if extension == ".html":
        data = BILLION_LAUGHS + b"<html><body><p>I: &lol9;</p></body></html>"
    else:
        member = "word/document.xml" if extension == ".docx" else "content.xml"
        with zipfile.ZipFile(io.BytesIO(SEED_BYTES[extension])) as source:
            members = [(i, source.read(i)) for i in source.infolist()]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as out:
            for info, body in members:
                if info.filename == member:
                    _, _, rest = body.partition(b"?>")
                    body = BILLION_LAUGHS + rest.replace(b"Hello", b"&lol9;", 1)
                out.writestr(info, body)
        data = buffer.getvalue()
    try:
        with time_limit(5):
            result = parse_transcript(data, f"laughs{extension}")
    except TranscriptError as exc:
        assert str(exc).startswith(f"laughs{extension}: ")
    else:
        assert len(result.text) < 10_000 and "lollollol" not in result.text


# -- CSV and YAML parsers -------------------------------------------------------------------

ATTRIBUTES = b"participant_id,document,age,gender\nP07,interview3.docx,34,f\nP08,,41,m\n\"P09\",x.txt,\"5,5\",\n"
SHEET = ('document,code,coder,quote,nth,memo\nint1,Barriers/Financial,ann,"Hello, there",1,a memo\n'
         "int2,Café,bo,Yes.,,\n").encode()
RELIABILITY = "unit,A,B,C\n1,yes,yes,\n2,no,yes,no\n3,1.5,2,3\n4,é,é,é\n".encode()
CODEBOOK_YAML = """name: Team
codes:
  - name: Barriers
    colour: "#b03a2e"
    definition: Anything that gets in the way.
    use_when: |
      Two lines
      of text
    children:
      - name: Financial
        example: "We could not pay"
  - name: Café
""".encode()
CODEBOOK_CSV = "path,definition,colour,example\nBarriers,Anything,#b03a2e,\nBarriers/Financial,\"Money, fees\",,ex\nCafé,,,\n".encode()

TABLE_PARSERS = {
    "parse_attributes": (parse_attributes, AttributesError, "people.csv", ATTRIBUTES, AttributeTable),
    "parse_sheet": (parse_sheet, CodingSheetError, "codings.csv", SHEET, list),
    "parse_reliability_csv": (parse_reliability_csv, ReliabilityDataError, "units.csv", RELIABILITY,
                              ReliabilityData),
    "parse_codebook .yaml": (parse_codebook, CodebookError, "codebook.yaml", CODEBOOK_YAML, Codebook),
    "parse_codebook .csv": (parse_codebook, CodebookError, "codebook.csv", CODEBOOK_CSV, Codebook),
}


def check_table(name: str, data: bytes) -> None:
    parse, error, filename, _seed, kind = TABLE_PARSERS[name]
    result = attempt(name, lambda: parse(data, filename), error, filename)
    if result is None:
        return
    assert isinstance(result, kind)
    if name == "parse_sheet":
        assert all(isinstance(row, SheetRow) and row.nth >= 1 and row.quote.strip() for row in result)
    if name == "parse_attributes":
        assert all(row.participant_id for row in result.rows)


@pytest.mark.parametrize("name", list(TABLE_PARSERS))
def test_every_table_seed_parses(name):
    parse, _error, filename, seed, kind = TABLE_PARSERS[name]
    assert isinstance(parse(seed, filename), kind)


@pytest.mark.parametrize("name", list(TABLE_PARSERS))
@fuzz(800)
@given(data=st.data())
def test_table_mutated(name, data):
    check_table(name, data.draw(mutated(TABLE_PARSERS[name][3], max_ops=6)))


@pytest.mark.parametrize("name", list(TABLE_PARSERS))
@fuzz(300)
@given(data=st.data())
def test_table_random(name, data):
    raw = data.draw(st.one_of(
        st.binary(max_size=512),
        st.text(st.characters(codec="utf-8"), max_size=300).map(str.encode),
        st.lists(st.lists(st.text(max_size=8), min_size=1, max_size=5), min_size=1, max_size=6).map(
            lambda rows: "\n".join(",".join(cells) for cells in rows).encode("utf-8", "surrogatepass")),
    ))
    check_table(name, raw)


def test_codebook_over_the_size_limit_is_refused():
    with pytest.raises(CodebookError) as caught:
        parse_codebook(CODEBOOK_YAML, "codebook.yaml", max_bytes=10)
    assert str(caught.value).startswith("codebook.yaml")
    assert "MB" in caught.value.reason


def test_yaml_alias_bomb_is_refused():
    bomb = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n" % ((c,) * 2 + (c - 1,) * 9)
        for c in range(ord("b"), ord("k"))) + b"codes: *j\n"
    with time_limit(5), pytest.raises(CodebookError) as caught:
        parse_codebook(bomb, "bomb.yaml")
    assert str(caught.value).startswith("bomb.yaml, line ")


# -- REFI-QDA projects (read-only use of qualcode.refi) --------------------------------------

REFI_SEEDS = ["atlasti23_ponte_blank.qdpx", "atlasti23_ponte_target.qdpx", "taguette141_uto_tag_codebook.qdc",
              "atlasti84_refi_standard_project.qde", "nvivo15mac_qualitative-coding_nvivo_project.qdpx",
              "qc132_qualitative-coding_demo.qdpx"]
REFI_EXAMPLES = {"atlasti84_refi_standard_project.qde": 150, "nvivo15mac_qualitative-coding_nvivo_project.qdpx": 150,
                 "qc132_qualitative-coding_demo.qdpx": 150}


def check_refi(data: bytes, filename: str, sample: str) -> None:
    result = attempt("read_refi", lambda: read_refi(data, filename), RefiError, filename)
    assert result is None or isinstance(result, RefiProject)


@pytest.mark.parametrize("sample", REFI_SEEDS)
def test_refi_mutated(sample):
    seed = shared_fixture(f"refi/samples/{sample}").read_bytes()
    filename = "upload" + sample[sample.rindex("."):]

    @fuzz(REFI_EXAMPLES.get(sample, 300))
    @given(data=st.data())
    def run(data):
        check_refi(data.draw(mutated_file(seed)), filename, sample)

    run()


def _empty_entry_name(seed: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(seed)) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for info, body in members:
            out.writestr(info, body)
        out.writestr(zipfile.ZipInfo(""), b"x")
    return buffer.getvalue()


def _corrupt_deflate(seed: bytes) -> bytes:
    """project.qde re-packed deflated with its first compressed byte set to an invalid block type."""
    with zipfile.ZipFile(io.BytesIO(seed)) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, body in members:
            out.writestr(name, body)
    data = bytearray(buffer.getvalue())
    data[30 + len(members[0][0])] = 0x07  # BFINAL=1, BTYPE=11: "invalid block type"
    return bytes(data)


# Inputs that once escaped read_refi as ValueError, IndexError, zlib.error and LookupError.
REFI_CASES = {
    "ValueError: negative seek value": lambda seed: seed[:100] + seed[101:],
    "IndexError: string index out of range": _empty_entry_name,
    "error: Error -3 while decompressing data": lambda seed: _corrupt_deflate(seed),
    "LookupError: unknown encoding": lambda seed: b'<?xml version="1.0" encoding="ttf-8"?><CodeBook/>',
}


@pytest.mark.parametrize("bug", list(REFI_CASES))
def test_refi_former_crash_inputs_are_refi_errors(bug):
    """Each input that once crashed read_refi, in its smallest form, is now a clear RefiError."""
    seed = shared_fixture("refi/samples/atlasti23_ponte_target.qdpx").read_bytes()
    with pytest.raises(RefiError) as caught:
        read_refi(REFI_CASES[bug](seed), "bad.qdpx")
    assert str(caught.value).startswith("bad.qdpx: ")


def test_refi_archive_limits_refuse_a_bomb():
    seed = shared_fixture("refi/samples/atlasti23_ponte_target.qdpx").read_bytes()
    bomb = zip_bomb(seed, "Sources/bomb.txt", 8 << 20)
    with time_limit(5), pytest.raises(RefiError) as caught:
        read_refi(bomb, "bomb.qdpx", limits=Limits(max_total_bytes=4 << 20, max_entry_bytes=4 << 20))
    assert str(caught.value).startswith("bomb.qdpx: ")


# -- the database path ------------------------------------------------------------------------

COUNTED = ("document", "turn", "sentence")


def row_counts(database) -> dict[str, int]:
    with database.session() as session:
        return {table: session.execute(sql(f"select count(*) from {table}")).scalar_one() for table in COUNTED}


def good_file(extension: str, n: int) -> bytes:
    lines = [("I", f"Question number {n}, please."), ("P07", f"Answer {n}. It was fine.")]
    return SEEDS[extension](lines)


@fuzz(40)
@given(data=st.data())
def test_import_batch_writes_exactly_the_good_documents(db, data):
    """Good and damaged files in one batch: the good ones are stored whole, the rest not at all."""
    extensions = [".txt", ".docx", ".odt", ".rtf", ".pdf", ".html", ".vtt", ".srt"]
    batch: list[tuple[str, bytes]] = []
    counter = TRIED["import_files"]
    for i in range(data.draw(st.integers(2, 6))):
        extension = data.draw(st.sampled_from(extensions))
        name = f"batch{counter}-{i}{extension}"
        if data.draw(st.booleans()):
            batch.append((name, good_file(extension, counter * 10 + i)))
        else:
            batch.append((name, data.draw(mutated_file(SEED_BYTES[extension]))))
    expected = {}
    for name, raw in batch:
        try:
            expected[name] = parse_transcript(raw, name)
        except TranscriptError:
            expected[name] = None
    before = row_counts(db)
    TRIED["import_files"] += len(batch)
    with time_limit(60):
        result = import_files(db, batch, workers=0)
    after = row_counts(db)
    refused = {e["file"] for e in result.errors}
    assert refused == {name for name, parsed in expected.items() if parsed is None}
    stored = {d.document: d for d in result.imported}
    skipped = {s["file"] for s in result.skipped}  # a mutation that left the same text
    assert len(stored) + len(skipped) + len(refused) == len(batch)
    PARSED["import_files"] += len(stored)
    assert after["document"] - before["document"] == len(stored)
    assert after["turn"] - before["turn"] == sum(d.turns for d in stored.values())
    assert after["sentence"] - before["sentence"] == sum(d.sentences for d in stored.values())
    with db.session() as session:
        names = {r[0] for r in session.execute(sql("select name from document"))}
    assert not any(name.startswith(f"batch{counter}-") and name in refused for name in names)


# -- the count of inputs tried ---------------------------------------------------------------

MINIMUM = {"parse_transcript": 8000, "parse_attributes": 1000, "parse_sheet": 1000, "parse_reliability_csv": 1000,
           "parse_codebook": 2000, "read_refi": 1000, "import_files": 100}


def test_zz_inputs_tried_summary(capsys):
    """Print how many inputs each parser was given (runs last: pytest keeps file order).

    The minimums are checked when the whole file ran (every family has counts); a ``-k``
    selection only prints.
    """
    if not TRIED:
        pytest.skip("run the whole file to count the inputs tried")
    with capsys.disabled():
        print("\nhostile inputs tried per parser (parsed / refused):")
        for parser in sorted(TRIED):
            print(f"  {parser:32} {TRIED[parser]:6}  ({PARSED[parser]} / {TRIED[parser] - PARSED[parser]})")
        print(f"  {'total':32} {sum(TRIED.values()):6}")
    totals = {family: sum(n for parser, n in TRIED.items() if parser.startswith(family)) for family in MINIMUM}
    if len(TRIED) == len(EXTENSIONS) + len(TABLE_PARSERS) + 2:
        assert all(totals[family] >= minimum for family, minimum in MINIMUM.items()), totals
