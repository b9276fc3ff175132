"""Export → import into a fresh database gives the same project, for every sample file and for
the sample project; every exported file is valid against the shared REFI-QDA schemas."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from conftest import shared_fixture
from defusedxml.ElementTree import fromstring
from sqlalchemy import select

from qualcode.project.codes import paths_by_id, tree
from qualcode.project.coding_sheet import import_sheet, parse_sheet
from qualcode.store.db import Database
from qualcode.project.documents import participant_attributes
from qualcode.project.groups import add_documents, create_group, list_groups
from qualcode.store.models import Attribute, Code, Coder, Coding, Document, Memo, Participant
from qualcode.refi.store import export_qdc, export_qdpx, import_project_file
from qualcode.project.sample import ROOT

xmlschema = pytest.importorskip("xmlschema")

SAMPLES = [
    "atlasti23_ponte_blank.qdpx",
    "atlasti23_ponte_target.qdpx",
    "atlasti84_refi_standard_project.qde",
    "maxqda24_paper_themes_ICLS.qdpx",
    "nvivo12win_oltas0517.qdpx",
    "nvivo15mac_qualitative-coding_nvivo_project.qdpx",
    "qc132_qualitative-coding_demo.qdpx",
    "taguette141_uto_tag_codebook.qdc",
]


@pytest.fixture(scope="module")
def schemas():
    return {"project": xmlschema.XMLSchema(str(shared_fixture("refi/schema/Project.xsd"))),
            "codebook": xmlschema.XMLSchema(str(shared_fixture("refi/schema/Codebook.xsd")))}


def snapshot(db: Database) -> dict:
    """Everything a round trip must keep, by value (no database ids)."""
    with db.session() as s:
        pid = db.project_id(s)
    groups = list_groups(db)  # its own transaction, after the project exists
    with db.session() as s:
        paths = paths_by_id(s, pid)
        docs = {d.id: d for d in s.scalars(select(Document).where(Document.project_id == pid))}
        coders = {c.id: c for c in s.scalars(select(Coder).where(Coder.project_id == pid))}
        people = {p.id: p for p in s.scalars(select(Participant).where(Participant.project_id == pid))}
        codings = {c.id: c for c in s.scalars(select(Coding).join(Document).where(Document.project_id == pid))}
        return {
            "codes": [(paths[c.id], c.guid, c.colour, c.definition, c.use_when, c.do_not_use_when, c.example)
                      for _p, c in tree(s, pid)],
            "documents": sorted((d.name, d.guid, d.text, people[d.participant_id].external_id
                                 if d.participant_id else None) for d in docs.values()),
            "coders": sorted((c.name, c.guid) for c in coders.values()),
            "codings": sorted((docs[c.document_id].name, paths[c.code_id], coders[c.coder_id].name, c.start,
                               c.end, c.quote, c.memo, c.guid) for c in codings.values()),
            "memos": sorted((m.guid, m.title, m.text, coders[m.author_id].name if m.author_id else None,
                             docs[m.document_id].name if m.document_id else None,
                             paths[m.code_id] if m.code_id else None,
                             codings[m.coding_id].guid if m.coding_id else None)
                            for m in s.scalars(select(Memo).where(Memo.project_id == pid))),
            "participants": sorted((p.external_id, p.guid) for p in people.values()),
            "attributes": sorted((a.name, a.type, a.guid) for a in s.scalars(
                select(Attribute).where(Attribute.project_id == pid))),
            "values": {people[k].external_id: v for k, v in participant_attributes(s, pid).items()},
            "groups": groups,
        }


def _check_export(data: bytes, schemas) -> None:
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert list(schemas["project"].iter_errors(fromstring(zf.read("project.qde")))) == []
    for name in zf.namelist():
        if name != "project.qde":
            assert re.fullmatch(r"sources/[0-9a-f-]{36}\.txt", name, re.IGNORECASE)
            raw = zf.read(name)
            assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
            raw.decode("utf-8")


def _round_trip(db: Database, tmp_path, schemas) -> tuple[dict, dict]:
    data = export_qdpx(db)
    _check_export(data, schemas)
    out = tmp_path / "export.qdpx"
    out.write_bytes(data)
    fresh = Database(tmp_path / "fresh.db")
    try:
        report = import_project_file(fresh, out)
        assert report["warnings"] == [] or all("pseudo-user" in w for w in report["warnings"])
        second = export_qdpx(fresh)
        return snapshot(fresh), {"first": data, "second": second}
    finally:
        fresh.close()


def _guids(data: bytes) -> list[str]:
    qde = zipfile.ZipFile(io.BytesIO(data)).read("project.qde")
    return sorted(re.findall(rb'guid="([^"]+)"', qde))


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_round_trips_through_our_export(db, tmp_path, schemas, name):
    import_project_file(db, shared_fixture(f"refi/samples/{name}"))
    before = snapshot(db)
    after, exports = _round_trip(db, tmp_path, schemas)
    assert after == before
    # GUIDs are stored, so the re-imported project exports the same identifiers.
    assert _guids(exports["second"]) == _guids(exports["first"])
    if before["codes"]:
        assert list(schemas["codebook"].iter_errors(fromstring(export_qdc(db)))) == []


def test_nvivo_round_trip_keeps_the_converted_offsets(db, tmp_path, schemas):
    import_project_file(db, shared_fixture("refi/samples/nvivo12win_oltas0517.qdpx"))
    before = snapshot(db)
    # By default the file's evidence decides: NVivo for Windows names the exporting user (Gergo)
    # on every coding and the real coders on the selections.
    assert len(before["codings"]) == 303 and {c[2] for c in before["codings"]} == {"Gergo", "floriansipos"}
    assert all(c[5] == next(d[2] for d in before["documents"] if d[0] == c[0])[c[3]:c[4]]
               for c in before["codings"])
    after, _ = _round_trip(db, tmp_path, schemas)
    assert after["codings"] == before["codings"]


def test_the_sample_project_with_codings_memos_and_attributes_round_trips(sample_db, tmp_path, schemas):
    sheet = ROOT / "transcripts_sample" / "codings.csv"
    if not sheet.exists():
        pytest.skip("the sample codings sheet is not in this checkout")
    import_sheet(sample_db, parse_sheet(sheet.read_bytes(), sheet.name), filename=sheet.name)
    with sample_db.session() as s:
        pid = sample_db.project_id(s)
        doc = s.scalars(select(Document).where(Document.project_id == pid).order_by(Document.name)).first()
        code = s.scalars(select(Code).where(Code.project_id == pid).order_by(Code.id)).first()
        coding = s.scalars(select(Coding).order_by(Coding.id)).first()
        coder = s.scalars(select(Coder).order_by(Coder.id)).first()
        coding.memo = "Coding memo: ambiguous 😀"
        s.add_all([
            Memo(project_id=pid, title="About a document", text="Line one\nline two", document_id=doc.id,
                 author_id=coder.id),
            Memo(project_id=pid, title="About a code", text="Broad code.", code_id=code.id),
            Memo(project_id=pid, title="About a coding", text="Why here?", coding_id=coding.id),
            Memo(project_id=pid, title="Free memo", text="Overall impressions."),
        ])
    before = snapshot(sample_db)
    assert len(before["codings"]) > 700 and len(before["coders"]) >= 2 and before["values"]
    after, exports = _round_trip(sample_db, tmp_path, schemas)
    assert after == before
    assert _guids(exports["second"]) == _guids(exports["first"])
    # Importing our own export back into the same project changes nothing.
    (tmp_path / "back.qdpx").write_bytes(exports["first"])
    report = import_project_file(sample_db, tmp_path / "back.qdpx")
    assert (report["documents"], report["codes"], report["codings"], report["memos"]) == (0, 0, 0, 0)
    assert snapshot(sample_db) == before


def test_reimporting_the_same_file_changes_nothing(db, tmp_path):
    path = shared_fixture("refi/samples/qc132_qualitative-coding_demo.qdpx")
    first = import_project_file(db, path)
    before = snapshot(db)
    again = import_project_file(db, path)
    assert snapshot(db) == before
    assert (first["documents"], first["codes"], first["codings"]) == (2, 262, 205)
    assert (again["documents"], again["codes"], again["codings"]) == (0, 0, 0)
    assert again["existing"] == {"documents": 2, "codes": 262, "codings": 205}


@pytest.mark.parametrize("coder_from", [None, "selection"])
def test_nvivo_windows_codings_are_credited_to_the_selection_authors(db, coder_from):
    report = import_project_file(db, shared_fixture("refi/samples/nvivo12win_oltas0517.qdpx"),
                                 coder_from=coder_from)
    attribution = report["coder_attribution"]
    assert {k: attribution[k] for k in ("chosen", "suggested", "coding", "selection")} == {
        "chosen": "selection", "suggested": "selection", "coding": {"Gergo": 303},
        "selection": {"floriansipos": 297, "Gergo": 6}}
    assert ("--coder-from" in attribution["reason"]) == (coder_from is not None)
    assert sorted(c[2] for c in snapshot(db)["codings"]).count("floriansipos") == 297
    assert any("another on the coding" in w for w in report["warnings"])


def test_coder_from_coding_overrides_the_evidence(db):
    report = import_project_file(db, shared_fixture("refi/samples/nvivo12win_oltas0517.qdpx"),
                                 coder_from="coding")
    assert report["coder_attribution"]["chosen"] == "coding"
    assert {c[2] for c in snapshot(db)["codings"]} == {"Gergo"}


def test_sets_of_documents_become_groups_once(db):
    path = shared_fixture("refi/samples/maxqda24_paper_themes_ICLS.qdpx")
    report = import_project_file(db, path)
    assert (report["documents"], report["groups"], report["skipped"]) == (10, 2, [])
    groups = list_groups(db)
    assert [(g["name"], g["guid"], len(g["documents"])) for g in groups] == [
        ("ICLS 2024", "45FE4439-9BF4-47FC-AFAF-D87305293172", 5),
        ("ICLS 2025", "FEEDCF5C-1D45-4CE1-B551-586A9CD14F09", 5)]
    assert set(groups[0]["documents"]).isdisjoint(groups[1]["documents"])
    again = import_project_file(db, path)
    assert (again["groups"], again["existing"]["groups"], list_groups(db)) == (0, 2, groups)


def test_set_members_that_were_not_imported_are_reported(db):
    from qualcode.refi.model import RefiProject, Set, Source
    from qualcode.refi.store import import_project

    text, picture = "0b000000-0000-4000-8000-00000000000a", "0b000000-0000-4000-8000-00000000000b"
    project = RefiProject("p", sources=[Source(text, "int01", "Some words.")], sets=[
        Set("0b000000-0000-4000-8000-000000000001", "Mixed", member_sources=[text.upper(), picture]),
        Set("0b000000-0000-4000-8000-000000000002", "Pictures", member_sources=[picture]),
        Set("0b000000-0000-4000-8000-000000000003", "Empty")])
    report = import_project(db, project)
    assert report["skipped"] == ["1 set whose sources were not imported (Pictures)",
                                 ("1 set membership of sources that were not imported (non-text or "
                                  "left-out sources)")]
    assert [(g["name"], g["documents"]) for g in list_groups(db)] == [("Empty", []), ("Mixed", ["int01"])]


def test_atlasti_sets_whose_sources_are_missing_are_skipped_and_its_empty_set_kept(db):
    # This .qde has no source files, so no document is imported; its one empty Set stays a group.
    report = import_project_file(db, shared_fixture("refi/samples/atlasti84_refi_standard_project.qde"))
    assert (report["documents"], report["groups"]) == (0, 1)
    assert [(g["name"], g["documents"]) for g in list_groups(db)] == [("<3", [])]
    assert [s for s in report["skipped"] if "sets" in s] == [
        ("4 code sets (Feelings, negative feelings, Breakfast food, positive feelings): sets of codes have no "
         "place in qualcode, only sets of documents become groups"),
        ("11 sets whose sources were not imported (Mabel, gender: male, Simon, Text files, gender: female, "
         "Coke, age: 67, Images, PDFs, age: 25, Video and Audio)")]


def test_code_sets_are_skipped_with_the_reason(db, tmp_path):
    from qualcode.refi.model import CodeNode, RefiProject, Set
    from qualcode.refi.store import import_project

    project = RefiProject("p", codes=[CodeNode("0b000000-0000-4000-8000-000000000001", "A")],
                          sets=[Set("0b000000-0000-4000-8000-000000000002", "Core codes",
                                    member_codes=["0b000000-0000-4000-8000-000000000001"])])
    report = import_project(db, project)
    assert report["skipped"] == [("1 code set (Core codes): sets of codes have no place in qualcode, only "
                                  "sets of documents become groups")]
    assert (report["groups"], list_groups(db)) == (0, [])


def test_groups_round_trip_with_names_descriptions_members_and_guids(sample_db, db, tmp_path, schemas):
    """Sample project (SQLite) with groups → .qdpx → a fresh database on each engine."""
    with sample_db.session() as s:
        names = s.scalars(select(Document.name).order_by(Document.name)).all()
    create_group(sample_db, "Wave 1", description="First round of interviews.\nSpring <2024> & café 😀")
    add_documents(sample_db, "Wave 1", names[:3])
    create_group(sample_db, "Empty for now")
    create_group(sample_db, "Everyone", description="all")
    add_documents(sample_db, "Everyone", names)
    before = snapshot(sample_db)
    first = export_qdpx(sample_db)
    _check_export(first, schemas)
    (tmp_path / "groups.qdpx").write_bytes(first)
    report = import_project_file(db, tmp_path / "groups.qdpx")
    after = snapshot(db)
    assert after["groups"] == before["groups"]
    assert after == before
    assert report["groups"] == 3 and [g["name"] for g in after["groups"]] == ["Empty for now", "Everyone", "Wave 1"]
    assert _guids(export_qdpx(db)) == _guids(first)


def test_a_failed_import_leaves_the_database_untouched(db, monkeypatch):
    from qualcode.refi import store

    before = snapshot(db)

    def boom(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store._Importer, "notes", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        import_project_file(db, shared_fixture("refi/samples/qc132_qualitative-coding_demo.qdpx"))
    assert snapshot(db) == before


def test_a_set_of_documents_and_codes_keeps_the_documents_and_warns(db):
    from qualcode.refi.model import CodeNode, RefiProject, Set, Source
    from qualcode.refi.store import import_project

    code, text = "0b000000-0000-4000-8000-000000000001", "0b000000-0000-4000-8000-00000000000a"
    project = RefiProject("p", codes=[CodeNode(code, "A")], sources=[Source(text, "int01", "Some words.")],
                          sets=[Set("0b000000-0000-4000-8000-000000000002", "Both", member_sources=[text],
                                    member_codes=[code])])
    report = import_project(db, project)
    assert (report["warnings"], report["skipped"]) == (
        ["set 'Both' also lists 1 code; only its documents were imported (qualcode groups documents, not codes)"],
        [])
    assert [(g["name"], g["documents"]) for g in list_groups(db)] == [("Both", ["int01"])]
