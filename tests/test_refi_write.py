"""Writing standard REFI-QDA: schema-valid XML, UTF-8/LF source files, code-point offsets."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from conftest import shared_fixture
from defusedxml.ElementTree import fromstring

from qualcode.refi.model import (
    Case,
    CodeNode,
    Coding,
    Note,
    RefiProject,
    Selection,
    Set,
    Source,
    User,
    Variable,
    fold_description,
    unfold_description,
)
from qualcode.refi.read import read_refi
from qualcode.refi.write import write_qdc, write_qdpx

xmlschema = pytest.importorskip("xmlschema")
NS = "{urn:QDA-XML:project:1.0}"


@pytest.fixture(scope="module")
def schemas():
    return {"project": xmlschema.XMLSchema(str(shared_fixture("refi/schema/Project.xsd"))),
            "codebook": xmlschema.XMLSchema(str(shared_fixture("refi/schema/Codebook.xsd")))}


U1, U2 = "0a000000-0000-4000-8000-000000000001", "0a000000-0000-4000-8000-000000000002"
TEXT = "Interviewer: So?\nP07: The visa 😀 fee\tcosts — a lot.\x0b"


def _project() -> RefiProject:
    start = TEXT.index("visa")
    return RefiProject(
        name="Study", guid="0b000000-0000-4000-8000-000000000000",
        users=[User(U1, "ana"), User(U2, "chen")],
        codes=[CodeNode("0c000000-0000-4000-8000-000000000001", "Barriers", "#4E79A7", "Things in the way.",
                        "A person names an obstacle.", "Only a wish.", "“The visa fee”",
                        children=[CodeNode("0c000000-0000-4000-8000-000000000002", "Visa <&> \"cost\"")])],
        sources=[Source("0d000000-0000-4000-8000-000000000001", "int07", TEXT, selections=[
            Selection("0e000000-0000-4000-8000-000000000001", start, start + len("visa 😀 fee"),
                      "visa 😀 fee", selection_user=U1,
                      codings=[Coding("0f000000-0000-4000-8000-000000000001",
                                      "0c000000-0000-4000-8000-000000000002", U1, "2026-01-02T03:04:05Z")]),
        ])],
        notes=[Note("0a100000-0000-4000-8000-000000000001", "Coding memo", "Check\nthis.", U2,
                    ["0f000000-0000-4000-8000-000000000001"]),
               Note("0a100000-0000-4000-8000-000000000002", "About the code", "Broad.", U1,
                    ["0c000000-0000-4000-8000-000000000001"]),
               Note("0a100000-0000-4000-8000-000000000003", "Project", "Overall.", None,
                    ["0b000000-0000-4000-8000-000000000000"])],
        variables=[Variable("0a200000-0000-4000-8000-000000000001", "age", "Integer"),
                   Variable("0a200000-0000-4000-8000-000000000002", "licensed", "Boolean"),
                   Variable("0a200000-0000-4000-8000-000000000003", "start", "Date")],
        cases=[Case("0a300000-0000-4000-8000-000000000001", "P07",
                    {"0a200000-0000-4000-8000-000000000001": "34",
                     "0a200000-0000-4000-8000-000000000002": "false",
                     "0a200000-0000-4000-8000-000000000003": "2024-05-01"},
                    ["0d000000-0000-4000-8000-000000000001"])],
    )


def test_qdpx_is_valid_and_holds_utf8_lf_sources_named_by_guid(schemas):
    data = write_qdpx(_project())
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(zf.namelist()) == ["project.qde", "sources/0d000000-0000-4000-8000-000000000001.txt"]
    qde = zf.read("project.qde")
    assert list(schemas["project"].iter_errors(fromstring(qde))) == []
    source = zf.read("sources/0d000000-0000-4000-8000-000000000001.txt")
    assert source == TEXT.encode("utf-8") and not source.startswith(b"\xef\xbb\xbf")
    root = fromstring(qde)
    [ts] = root.iter(f"{NS}TextSource")
    assert ts.get("plainTextPath") == "internal://0d000000-0000-4000-8000-000000000001.txt"
    [sel] = ts.iter(f"{NS}PlainTextSelection")
    start = TEXT.index("visa")
    assert (sel.get("startPosition"), sel.get("endPosition"), sel.get("name")) == (
        str(start), str(start + 10), "visa 😀 fee")  # code points: the emoji counts once
    [coding] = sel.iter(f"{NS}Coding")
    assert coding.get("creatingUser") == U1
    assert [r.get("targetGUID") for r in coding.iter(f"{NS}NoteRef")] == ["0a100000-0000-4000-8000-000000000001"]


def test_code_descriptions_fold_the_four_codebook_fields(schemas):
    root = fromstring(zipfile.ZipFile(io.BytesIO(write_qdpx(_project()))).read("project.qde"))
    code = next(root.iter(f"{NS}Code"))
    assert code.get("color") == "#4e79a7"
    assert code.find(f"{NS}Description").text == (
        "Things in the way.\n\nUse when: A person names an obstacle.\n\nDo not use when: Only a wish."
        "\n\nExample: “The visa fee”")


@pytest.mark.parametrize("fields", [
    ("Def.", "", "", ""),
    ("", "When X.", "", "“quote”"),
    ("Multi\n\nparagraph definition.", "a", "b", "c"),
    ("", "", "", ""),
])
def test_fold_and_unfold_are_inverse(fields):
    keys = ("definition", "use_when", "do_not_use_when", "example")
    assert unfold_description(fold_description(*fields)) == dict(zip(keys, fields))


def test_cases_carry_typed_variable_values_and_their_sources(schemas):
    root = fromstring(zipfile.ZipFile(io.BytesIO(write_qdpx(_project()))).read("project.qde"))
    [case] = root.iter(f"{NS}Case")
    values = {vv.find(f"{NS}VariableRef").get("targetGUID")[-1]: (vv[1].tag.removeprefix(NS), vv[1].text)
              for vv in case.iter(f"{NS}VariableValue")}
    assert values == {"1": ("IntegerValue", "34"), "2": ("BooleanValue", "false"), "3": ("DateValue", "2024-05-01")}
    assert [r.get("targetGUID") for r in case.iter(f"{NS}SourceRef")] == ["0d000000-0000-4000-8000-000000000001"]


def test_control_characters_xml_cannot_carry_are_replaced_in_xml_only(schemas):
    project = _project()
    project.sources[0].selections[0].quote = "bad\x0bquote"
    qde = zipfile.ZipFile(io.BytesIO(write_qdpx(project))).read("project.qde")
    assert b"bad\xef\xbf\xbdquote" in qde
    assert list(schemas["project"].iter_errors(fromstring(qde))) == []


def test_qdc_is_valid_has_no_empty_sets_and_reads_back(schemas):
    data = write_qdc(_project())
    assert list(schemas["codebook"].iter_errors(fromstring(data))) == []
    assert b"<Sets" not in data
    back = read_refi(data, "codebook.qdc")
    [(p1, a), (p2, _b)] = list(back.all_codes())
    assert (p1, p2) == (("Barriers",), ("Barriers", 'Visa <&> "cost"'))
    assert (a.definition, a.use_when, a.do_not_use_when, a.example) == (
        "Things in the way.", "A person names an obstacle.", "Only a wish.", "“The visa fee”")


def test_written_project_reads_back_identically():
    project = _project()
    back = read_refi(write_qdpx(project), "study.qdpx")
    assert back.sources[0].text == TEXT
    assert back.sources[0].selections[0].quote == "visa 😀 fee"
    assert back.report.offset_readings == {"int07": "code points"}
    assert [(n.guid, n.text, n.targets) for n in back.notes] == [
        ("0a100000-0000-4000-8000-000000000001", "Check\nthis.", ["0f000000-0000-4000-8000-000000000001"]),
        ("0a100000-0000-4000-8000-000000000002", "Broad.", ["0c000000-0000-4000-8000-000000000001"]),
        ("0a100000-0000-4000-8000-000000000003", "Overall.", ["project"]),
    ]


def test_two_exports_differ_only_in_their_timestamp():
    strip = lambda b: re.sub(rb'creationDateTime="[^"]*"', b"", b)
    a = zipfile.ZipFile(io.BytesIO(write_qdpx(_project()))).read("project.qde")
    b = zipfile.ZipFile(io.BytesIO(write_qdpx(_project()))).read("project.qde")
    assert strip(a) == strip(b)


def _with_sets() -> RefiProject:
    project = _project()
    wave = Set("0a400000-0000-4000-8000-000000000001", "Wave <1> & “spring”",
               member_sources=["0d000000-0000-4000-8000-000000000001"],
               member_codes=["0c000000-0000-4000-8000-000000000001"])
    wave.description = "First round.\nCafé 😀"
    project.sets = [wave, Set("0a400000-0000-4000-8000-000000000002", "Empty")]
    return project


def test_sets_are_valid_in_schema_order_with_description_and_members(schemas):
    qde = zipfile.ZipFile(io.BytesIO(write_qdpx(_with_sets()))).read("project.qde")
    assert list(schemas["project"].iter_errors(fromstring(qde))) == []
    root = fromstring(qde)
    assert [c.tag.removeprefix(NS) for c in root] == [
        "Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Sets", "NoteRef"]
    wave, empty = root.find(f"{NS}Sets")
    assert (wave.get("guid"), wave.get("name")) == ("0a400000-0000-4000-8000-000000000001", "Wave <1> & “spring”")
    assert [(c.tag.removeprefix(NS), c.text, c.get("targetGUID")) for c in wave] == [
        ("Description", "First round.\nCafé 😀", None),
        ("MemberCode", None, "0c000000-0000-4000-8000-000000000001"),
        ("MemberSource", None, "0d000000-0000-4000-8000-000000000001")]
    assert (empty.get("name"), list(empty)) == ("Empty", [])


def test_sets_read_back_with_their_description_and_members():
    back = read_refi(write_qdpx(_with_sets()), "study.qdpx")
    assert [(s.guid, s.name, s.description, s.member_sources, s.member_codes) for s in back.sets] == [
        ("0a400000-0000-4000-8000-000000000001", "Wave <1> & “spring”", "First round.\nCafé 😀",
         ["0d000000-0000-4000-8000-000000000001"], ["0c000000-0000-4000-8000-000000000001"]),
        ("0a400000-0000-4000-8000-000000000002", "Empty", "", [], [])]
