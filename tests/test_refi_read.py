"""Reading REFI-QDA files as tools really write them: real exports, the traps, hostile archives."""

from __future__ import annotations

import io
import struct
import zipfile
from collections import Counter

import pytest
from conftest import shared_fixture

from qualcode.refi.model import RefiError
from qualcode.refi.read import Limits, read_refi


def _read(name: str):
    path = shared_fixture(f"refi/samples/{name}")
    return read_refi(path.read_bytes(), name)


def _counts(p) -> tuple:
    return (len(p.users), sum(1 for _ in p.all_codes()), len(p.sources),
            sum(len(s.selections) for s in p.sources),
            sum(len(sel.codings) for s in p.sources for sel in s.selections), len(p.notes), len(p.sets))


@pytest.mark.parametrize("name,expected", [
    # users, codes, text sources, selections, codings, notes, sets
    ("atlasti23_ponte_blank.qdpx", (2, 0, 0, 0, 0, 0, 0)),
    ("atlasti23_ponte_target.qdpx", (2, 3, 0, 0, 0, 0, 0)),
    ("atlasti84_refi_standard_project.qde", (3, 14, 0, 0, 0, 2, 16)),
    ("maxqda24_paper_themes_ICLS.qdpx", (1, 307, 10, 0, 0, 0, 2)),
    ("nvivo12win_oltas0517.qdpx", (2, 152, 2, 303, 303, 0, 0)),
    ("nvivo15mac_qualitative-coding_nvivo_project.qdpx", (2, 262, 0, 0, 0, 0, 0)),
    ("qc132_qualitative-coding_demo.qdpx", (1, 262, 2, 158, 205, 0, 0)),
    ("taguette141_uto_tag_codebook.qdc", (0, 3, 0, 0, 0, 0, 0)),
])
def test_every_sample_reads_with_what_it_holds(name, expected):
    project = _read(name)
    assert _counts(project) == expected
    for source in project.sources:  # the offset rule holds for everything read
        assert "\r" not in source.text and not source.text.startswith("\ufeff")
        for sel in source.selections:
            assert 0 <= sel.start < sel.end <= len(source.text)
            assert sel.quote == source.text[sel.start:sel.end]


def test_nvivo_offsets_are_read_as_utf16_units_with_crlf_as_two_and_land_on_words():
    project = _read("nvivo12win_oltas0517.qdpx")
    assert project.report.offset_readings == {"videos_10_selected": "UTF-16 units, CRLF as 2"}
    [note] = [w for w in project.report.warnings if "offsets read as" in w]
    assert "UTF-16 units, CRLF as 2 300/303" in note  # the research note's measurement
    source = next(s for s in project.sources if s.selections)
    aligned = sum(
        1 for sel in source.selections
        if (sel.start == 0 or not source.text[sel.start - 1].isalnum() or not source.text[sel.start].isalnum())
        and (sel.end == len(source.text) or not source.text[sel.end - 1].isalnum()
             or not source.text[sel.end].isalnum())
    )
    assert aligned == 300


def test_nvivo_keeps_both_coders_the_selections_and_the_codings():
    project = _read("nvivo12win_oltas0517.qdpx")
    selections = [sel for s in project.sources for sel in s.selections]
    by_selection = Counter(project.user_name(sel.selection_user) for sel in selections)
    by_coding = Counter(project.user_name(c.coding_user) for sel in selections for c in sel.codings)
    assert by_selection == {"floriansipos": 297, "Gergo": 6}
    assert by_coding == {"Gergo": 303}


def test_nvivo_capital_sources_folder_is_found_and_bom_and_crlf_are_removed():
    project = _read("nvivo12win_oltas0517.qdpx")
    assert [s.name for s in project.sources] == ["videos_selection", "videos_10_selected"]
    assert all(len(s.text) > 100_000 for s in project.sources)


def test_qc_sources_without_names_and_internal_scheme_are_read_with_warnings():
    project = _read("qc132_qualitative-coding_demo.qdpx")
    assert [s.name for s in project.sources] == ["board_2017", "admin-1"]
    assert any("has no internal:// scheme" in w for w in project.report.warnings)
    assert project.report.offset_readings == {"board_2017": "code points"}
    # qc codes whole lines: every selection is one line of the text.
    source = project.sources[0]
    assert all("\n" not in sel.quote.strip("\n") for sel in source.selections)
    assert max(len(sel.codings) for sel in source.selections) > 1


def test_atlas_hierarchy_names_pseudo_user_and_unsupported_parts_are_reported():
    project = _read("atlasti84_refi_standard_project.qde")
    tree = {"/".join(path) for path, _ in project.all_codes()}
    assert "Coke/diet Coke" in tree and not any("::" in p for p in tree)
    assert [u.name for u in project.users if u.pseudo] == ["ATLAS.ti"]
    skipped = " | ".join(project.report.skipped)
    for part in ("PictureSource", "PDFSource", "AudioSource", "VideoSource", "link", "graph"):
        assert part in skipped
    assert any("not in the archive" in s for s in project.report.skipped)


def test_taguette_codebook_with_empty_sets_reads_with_a_warning():
    project = _read("taguette141_uto_tag_codebook.qdc")
    assert project.report.kind == "qdc"
    assert any("empty <Sets/>" in w for w in project.report.warnings)
    assert [c.codable for _, c in project.all_codes()] == [True, True, True]


def test_nvivo_mac_empty_sources_are_skipped_and_reported():
    project = _read("nvivo15mac_qualitative-coding_nvivo_project.qdpx")
    assert sum("empty text" in s for s in project.report.skipped) == 2


# -- synthetic traps ----------------------------------------------------------------------------

NS = "urn:QDA-XML:project:1.0"
TEXT = "Hello wörld 😀 and\r\nthe second line, café."


def _utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _qdpx(selections: str, text_bytes: bytes, *, folder: str = "sources", extra: str = "") -> bytes:
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{NS}" name="t" origin="Test">
 <Users><User guid="11111111-1111-1111-1111-111111111111" name="ann"/></Users>
 <CodeBook><Codes><Code guid="22222222-2222-2222-2222-222222222222" name="C" isCodable="true"/></Codes></CodeBook>
 <Sources><TextSource guid="33333333-3333-3333-3333-333333333333" name="doc"
   plainTextPath="internal://33333333-3333-3333-3333-333333333333.txt">{selections}</TextSource></Sources>
 {extra}
</Project>"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("project.qde", xml)
        zf.writestr(f"{folder}/33333333-3333-3333-3333-333333333333.txt", text_bytes)
    return buffer.getvalue()


def _sel(start: int, end: int, name: str = "", guid: str = "44444444-4444-4444-4444-44444444444") -> str:
    return (f'<PlainTextSelection guid="{guid}{start % 10}" name="{name}" startPosition="{start}" '
            f'endPosition="{end}"><Coding guid="55555555-5555-5555-5555-55555555555{start % 10}" '
            'creatingUser="11111111-1111-1111-1111-111111111111">'
            '<CodeRef targetGUID="22222222-2222-2222-2222-222222222222"/></Coding></PlainTextSelection>')


@pytest.mark.parametrize("reading,measure", [
    ("code points", lambda raw: len(raw.replace("\r\n", "\n"))),
    ("code points, CRLF as 2", len),
    ("UTF-16 units", lambda raw: _utf16(raw.replace("\r\n", "\n"))),
    ("UTF-16 units, CRLF as 2", _utf16),
])
@pytest.mark.parametrize("folder", ["sources", "Sources"])
def test_each_offset_reading_is_recognised_and_converted(reading, measure, folder):
    words = ["wörld", "and", "second line", "café"]
    sels = []
    for w in words:
        i = TEXT.index(w)
        sels.append(_sel(measure(TEXT[:i]), measure(TEXT[:i + len(w)])))
    data = _qdpx("".join(sels), b"\xef\xbb\xbf" + TEXT.encode("utf-8"), folder=folder)
    project = read_refi(data, "t.qdpx")
    [source] = project.sources
    assert source.text == "Hello wörld 😀 and\nthe second line, café."
    assert [s.quote for s in source.selections] == words
    assert source.offset_reading == reading


def test_selection_names_decide_when_word_boundaries_cannot():
    # One-letter words everywhere: every reading is on a boundary, only the names tell.
    text = "😀 a b c d e f g h"
    i = text.index("c d")
    sel = _sel(_utf16(text[:i]), _utf16(text[:i + 3]), name="c d")
    project = read_refi(_qdpx(sel, text.encode()), "t.qdpx")
    assert project.sources[0].selections[0].quote == "c d"
    assert project.sources[0].offset_reading == "UTF-16 units"


def test_decomposed_accents_are_composed_and_offsets_follow():
    raw = "Cafe\u0301 au lait, cre\u0300me bru\u0302le\u0301e."
    start = raw.index("au lait")
    project = read_refi(_qdpx(_sel(start, start + 7, name="au lait"), raw.encode()), "t.qdpx")
    source = project.sources[0]
    assert source.text == "Café au lait, crème brûlée."
    assert source.selections[0].quote == "au lait"


def test_ends_past_the_text_are_cut_and_reported():
    project = read_refi(_qdpx(_sel(0, 999, name=""), b"Some short text."), "t.qdpx")
    assert project.sources[0].selections[0].quote == "Some short text."
    assert any("ran past the end" in w for w in project.report.warnings)


def test_codebook_namespace_variant_is_read_with_a_warning():
    xml = (b'<CodeBook xmlns="urn:QDA-XML:codebook:1:0" origin="NVivo 12 For Mac"><Codes>'
           b'<Code guid="{AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA}" name="A" isCodable="true" color="#ABC">'
           b'<Description>Def.\n\nUse when: always.</Description>'
           b'<Code guid="bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb" name="B" isCodable="false" color="rgb(1,2,3)"/>'
           b"</Code></Codes></CodeBook>")
    project = read_refi(xml, "nvivo.qdc")
    [(p1, a), (p2, b)] = list(project.all_codes())
    assert (p1, a.guid, a.colour, a.definition, a.use_when) == (
        ("A",), "AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA", "#aabbcc", "Def.", "always.")
    assert (p2, b.colour, b.codable) == (("A", "B"), "#010203", False)
    assert any("urn:QDA-XML:codebook:1:0" in w for w in project.report.warnings)


def test_schema_invalid_but_recoverable_project_is_read_with_warnings():
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(shared_fixture("refi/schema/Project.xsd")))
    xml = (f'<Project xmlns="{NS}"><CodeBook><Codes><Code guid="not-a-guid"/></Codes></CodeBook>'
           "</Project>").encode()
    project = read_refi(xml, "broken.qde", schemas={"project": schema})
    assert project.report.schema_valid is False
    assert any("not valid against Project.xsd" in w for w in project.report.warnings)
    [(path, code)] = list(project.all_codes())
    assert path[0].startswith("(unnamed code") and len(code.guid) == 36


# -- hostile input -------------------------------------------------------------------------------

def _zip(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


PROJECT = f'<Project xmlns="{NS}" name="x"/>'.encode()


@pytest.mark.parametrize("entry", ["../evil.txt", "sources/../../evil.txt", "/etc/passwd",
                                   "C:/Windows/evil.txt", "..\\evil.txt"])
def test_path_traversal_entries_are_refused(entry):
    with pytest.raises(RefiError, match="points outside the archive"):
        read_refi(_zip({"project.qde": PROJECT, entry: b"x"}), "evil.qdpx")


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    bomb = _zip({"project.qde": PROJECT, "sources/a.txt": b"\0" * (64 * 1024 * 1024)})
    assert len(bomb) < 200_000
    with pytest.raises(RefiError, match="zip bomb"):
        read_refi(bomb, "bomb.qdpx")


def test_an_entry_that_lies_about_its_size_is_stopped_while_reading():
    data = bytearray(_zip({"project.qde": PROJECT * 2000}))
    # Patch the central directory's uncompressed size down to 10 bytes: reading stops at the
    # declared size (so a lie cannot exhaust memory) and the entry is refused.
    at = data.index(b"PK\x01\x02")
    data[at + 24:at + 28] = struct.pack("<I", 10)
    with pytest.raises(RefiError, match="entry 'project.qde' cannot be read \\(Bad CRC-32"):
        read_refi(bytes(data), "liar.qdpx")


def test_too_many_entries_are_refused():
    many = _zip({"project.qde": PROJECT, **{f"sources/{i}.txt": b"x" for i in range(20)}})
    with pytest.raises(RefiError, match="21 entries, over the limit of 10"):
        read_refi(many, "many.qdpx", limits=Limits(max_entries=10))


@pytest.mark.parametrize("xml", [
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
     b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><Project xmlns="urn:QDA-XML:project:1.0" name="&lol3;"/>'),
    (b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b'<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>'),
])
def test_entity_expansion_and_external_entities_are_refused(xml):
    with pytest.raises(RefiError, match="declares a DTD or entities"):
        read_refi(xml, "bomb.qde")
    with pytest.raises(RefiError, match="declares a DTD or entities"):
        read_refi(_zip({"project.qde": xml}), "bomb.qdpx")


@pytest.mark.parametrize("data,message", [
    (b"<Project", "not well-formed XML"),
    (b"<Other/>", "not a REFI-QDA Project or CodeBook"),
    (_zip({"readme.txt": b"x"}), "has no project.qde inside"),
    (b"PK\x03\x04garbage", "not a readable zip archive"),
])
def test_unreadable_files_get_a_specific_error(data, message):
    with pytest.raises(RefiError, match=message):
        read_refi(data, "bad.qdpx")


def test_nvivo_windows_coders_are_the_selection_users_and_the_report_says_why():
    """NVivo for Windows puts the exporting user on every Coding; the selections name the coders."""
    attribution = _read("nvivo12win_oltas0517.qdpx").report.coder_attribution
    assert attribution["chosen"] == "selection"
    assert attribution["coding"] == {"Gergo": 303}
    assert attribution["selection"] == {"floriansipos": 297, "Gergo": 6}
    assert "every coding names Gergo while the selections name 2 users" in attribution["reason"]


def test_a_project_whose_selections_name_no_coder_keeps_the_coding_user():
    attribution = _read("qc132_qualitative-coding_demo.qdpx").report.coder_attribution
    assert (attribution["chosen"], attribution["reason"]) == ("coding", "the selections name no user")
    assert _read("atlasti23_ponte_target.qdpx").report.coder_attribution is None  # no codings


def test_coder_attribution_rules():
    from qualcode.refi.model import Coding, RefiProject, Selection, Source, User, attribute_coders

    def project(pairs):
        users = [User(f"00000000-0000-0000-0000-00000000000{k}", name) for k, name in enumerate("ABC")]
        guid = {u.name: u.guid for u in users}
        selections = [Selection(f"s{k}", 0, 1, "x", selection_user=guid.get(s),
                                codings=[Coding(f"c{k}", "code", guid.get(c))]) for k, (s, c) in enumerate(pairs)]
        return RefiProject("p", users=users, sources=[Source("src", "doc", "x", selections)])

    assert attribute_coders(project([("A", "A"), ("B", "B")]))["chosen"] == "coding"
    assert attribute_coders(project([("A", "C"), ("B", "C")]))["chosen"] == "selection"
    assert attribute_coders(project([("A", "B"), ("A", "C")]))["chosen"] == "coding"
    assert attribute_coders(project([("A", None), ("B", None)]))["chosen"] == "selection"
    both_vary = attribute_coders(project([("A", "B"), ("B", "C")]))
    assert both_vary["chosen"] == "coding" and "both vary" in both_vary["reason"]
