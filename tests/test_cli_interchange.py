"""``qualcode export qdpx|qdc`` and ``qualcode import-project``: files, JSON, exit status."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from click.testing import CliRunner
from conftest import shared_fixture
from defusedxml.ElementTree import fromstring

from qualcode.cli import main
from qualcode.cli.interchange import export_group

xmlschema = pytest.importorskip("xmlschema")


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "cli.db")

    def invoke(*args, expect=0):
        result = runner.invoke(main, ["--db", db, *args], catch_exceptions=False)
        assert result.exit_code == expect, result.output + result.stderr
        return result

    return invoke


def test_import_project_json_has_the_documented_shape(run):
    out = run("import-project", str(shared_fixture("refi/samples/nvivo12win_oltas0517.qdpx")), "--json")
    data = json.loads(out.stdout)
    assert {k: data[k] for k in ("documents", "codes", "codings", "coders")} == {
        "documents": 2, "codes": 152, "codings": 303, "coders": ["Gergo", "floriansipos"]}
    assert isinstance(data["warnings"], list) and all(isinstance(w, str) for w in data["warnings"])
    assert data["offset_readings"] == {"videos_10_selected": "UTF-16 units, CRLF as 2"}


def test_import_project_coder_from_selection_and_text_output(run):
    out = run("import-project", str(shared_fixture("refi/samples/nvivo12win_oltas0517.qdpx")),
              "--coder-from", "selection")
    assert out.stdout.startswith("imported nvivo12win_oltas0517.qdpx: 2 documents, 152 codes, 303 codings")
    assert "offsets read as: UTF-16 units, CRLF as 2" in out.stdout
    assert "coders taken from the selection: chosen with --coder-from selection" in out.stdout
    again = run("import-project", str(shared_fixture("refi/samples/nvivo12win_oltas0517.qdpx")), "--json",
                "--coder-from", "coding")
    # Now by the coding authors: Gergo's 6 selections are already there, the other 297 are new.
    data = json.loads(again.stdout)
    assert (data["codings"], data["existing"]["codings"]) == (297, 6)


def test_export_qdpx_and_qdc_write_valid_files(run, tmp_path):
    run("import-project", str(shared_fixture("refi/samples/qc132_qualitative-coding_demo.qdpx")))
    out = run("export", "qdpx", str(tmp_path / "out.qdpx"), "--json")
    assert json.loads(out.stdout) == {"file": str(tmp_path / "out.qdpx"), "documents": 2, "codes": 262,
                                      "codings": 205, "coders": ["cp"], "memos": 0, "cases": 0}
    project = xmlschema.XMLSchema(str(shared_fixture("refi/schema/Project.xsd")))
    codebook = xmlschema.XMLSchema(str(shared_fixture("refi/schema/Codebook.xsd")))
    qde = zipfile.ZipFile(io.BytesIO((tmp_path / "out.qdpx").read_bytes())).read("project.qde")
    assert list(project.iter_errors(fromstring(qde))) == []
    out = run("export", "qdc", str(tmp_path / "out.qdc"))
    assert out.stdout == f"wrote {tmp_path / 'out.qdc'}: 262 codes\n"
    assert list(codebook.iter_errors(fromstring((tmp_path / "out.qdc").read_bytes()))) == []


def test_hostile_or_broken_files_fail_with_a_clear_message_and_change_nothing(run, tmp_path):
    bomb = tmp_path / "bomb.qde"
    bomb.write_bytes(b'<!DOCTYPE p [<!ENTITY a "aaaa">]><Project xmlns="urn:QDA-XML:project:1.0" name="&a;"/>')
    out = run("import-project", str(bomb), expect=1)
    assert out.stderr.startswith("Error: bomb.qde: refused: the XML declares a DTD or entities")
    evil = tmp_path / "evil.qdpx"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
        zf.writestr("../../escape.txt", "x")
    out = run("import-project", str(evil), expect=1)
    assert "points outside the archive (path traversal)" in out.stderr
    documents = json.loads(run("documents", "--json").stdout)
    assert documents == []


def test_exporting_an_empty_codebook_is_an_error(run, tmp_path):
    out = run("export", "qdc", str(tmp_path / "empty.qdc"), expect=1)
    assert "the codebook is empty" in out.stderr


def test_the_export_group_is_reusable_by_other_families():
    assert main.commands["export"] is export_group
    assert {"qdpx", "qdc"} <= set(export_group.commands)


def test_plain_import_hands_project_files_to_the_project_importer(run, tmp_path):
    out = run("import", str(shared_fixture("refi/samples/qc132_qualitative-coding_demo.qdpx")), "--json")
    direct = json.loads(out.stdout)
    assert direct["documents"] > 0 and direct["codings"] > 0 and "warnings" in direct
    (tmp_path / "t.txt").write_text("I: Hi.\nP: Hello.\n", encoding="utf-8")
    mixed = run("import", str(tmp_path / "t.txt"),
                str(shared_fixture("refi/samples/qc132_qualitative-coding_demo.qdpx")), expect=1)
    assert "one project file" in mixed.stderr
