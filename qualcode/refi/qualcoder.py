"""Moving in from QualCoder: a project folder (``name.qda``) holding the SQLite ``data.qda``.

QualCoder keeps text sources in ``source.fulltext`` and codings in ``code_text`` with
``pos0``/``pos1`` (end exclusive) and the coder's name in ``owner``. The positions come from
QualCoder's Qt editor, which counts UTF-16 units, so after an emoji they differ from Python
string indices; which reading a source uses is decided per source, as for REFI-QDA files,
with each coding's stored text (``seltext``) as the witness (:func:`.offsets.choose_reading`).
Categories (``code_cat``, nested by ``supercatid``) become parent codes; codes (``code_name``)
hang under their category. Case attributes become participant attributes.
Image, audio and video codings, annotations and file attributes cannot come across and are
reported.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from qualcode.refi.model import (
    Case,
    CodeNode,
    Coding,
    Note,
    ReadReport,
    RefiError,
    RefiProject,
    Selection,
    Source,
    User,
    Variable,
    attribute_coders,
)
from qualcode.refi.offsets import CanonicalMap, RawSelection, choose_reading

_NS = uuid.UUID("3c2e9b1a-6f4d-4a8b-b7e2-0d5f1c9a4e63")
_NEEDED = {"project", "source", "code_name", "code_text"}


def _guid(*parts) -> str:
    return str(uuid.uuid5(_NS, ":".join(str(p) for p in parts)))


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("select name from sqlite_master where type='table'")}


def read_qualcoder(path: str | Path) -> RefiProject:
    """Read a QualCoder project (the ``.qda`` folder or its ``data.qda`` file)."""
    path = Path(path)
    db_file = path / "data.qda" if path.is_dir() else path
    if not db_file.exists():
        raise RefiError(str(path), "has no data.qda inside",
                        "Give the QualCoder project folder (its name ends in .qda)")
    try:
        con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        con.row_factory = sqlite3.Row
        missing = _NEEDED - _tables(con)
    except sqlite3.Error as exc:
        raise RefiError(str(db_file), f"is not an SQLite database ({exc})",
                        "Give the QualCoder project folder") from None
    try:
        if missing:
            raise RefiError(str(db_file), f"is not a QualCoder project (no {', '.join(sorted(missing))} table)",
                            "Give the QualCoder project folder (its name ends in .qda)")
        return _read(con, path.stem if path.is_dir() else path.parent.stem)
    except sqlite3.Error as exc:
        raise RefiError(str(db_file), f"could not be read as a QualCoder project ({exc})",
                        "Open it in QualCoder once (which upgrades old projects) and try again") from None
    finally:
        con.close()


def _read(con: sqlite3.Connection, name: str) -> RefiProject:
    tables = _tables(con)
    proj = con.execute("select * from project").fetchone()
    about = (proj["about"] if proj is not None else None) or "QualCoder"
    salt = f"{name}:{proj['date'] if proj is not None else ''}"
    report = ReadReport(kind="qualcoder", origin=about)
    project = RefiProject(name=name, origin=about, report=report)
    users: dict[str, User] = {}

    def user(owner: str | None) -> str:
        owner = (owner or "").strip() or "qualcoder"
        return users.setdefault(owner, User(_guid("user", owner), owner)).guid

    # The code tree: categories, then codes under them.
    cats: dict[int, CodeNode] = {}
    cat_rows = con.execute("select * from code_cat order by catid").fetchall() if "code_cat" in tables else []
    for c in cat_rows:
        cats[c["catid"]] = CodeNode(_guid(salt, "cat", c["catid"]), c["name"] or f"category {c['catid']}",
                                    definition=c["memo"] or "", codable=False)
    for c in cat_rows:
        parent = cats.get(c["supercatid"])
        (parent.children if parent is not None else project.codes).append(cats[c["catid"]])
    codes: dict[int, CodeNode] = {}
    for c in con.execute("select * from code_name order by cid").fetchall():
        node = CodeNode(_guid(salt, "code", c["cid"]), c["name"] or f"code {c['cid']}",
                        colour=c["color"] if c["color"] and len(c["color"]) == 7 else None,
                        definition=c["memo"] or "")
        codes[c["cid"]] = node
        parent = cats.get(c["catid"])
        (parent.children if parent is not None else project.codes).append(node)

    text_ids: dict[int, Source] = {}
    maps: dict[int, CanonicalMap] = {}
    media = 0
    for s in con.execute("select * from source order by id").fetchall():
        if not (s["fulltext"] or "").strip():
            media += 1
            continue
        cmap = CanonicalMap(s["fulltext"])
        src = Source(_guid(salt, "source", s["id"]), s["name"] or f"source {s['id']}", cmap.text,
                     creating_user=user(s["owner"]))
        text_ids[s["id"]] = src
        maps[s["id"]] = cmap
        project.sources.append(src)
        if (s["memo"] or "").strip():
            project.notes.append(Note(_guid(salt, "source-memo", s["id"]), f"Memo: {src.name}", s["memo"],
                                      src.creating_user, [src.guid]))
    if media:
        report.skipped.append(f"{media} sources without text (images, audio, video)")

    rows = con.execute("select * from code_text order by fid, pos0, pos1, ctid").fetchall()
    readings = _readings(rows, text_ids, maps, report)
    mismatched = outside = 0
    for r in rows:
        src, cmap = text_ids.get(r["fid"]), maps.get(r["fid"])
        node = codes.get(r["cid"])
        if src is None or node is None:
            outside += 1
            continue
        _label, unit, crlf = readings[r["fid"]]
        s, e = cmap.convert(r["pos0"], unit, crlf), cmap.convert(r["pos1"], unit, crlf)
        if s is None or e is None or not (0 <= s < e <= len(cmap.text)):
            outside += 1
            continue
        if (r["seltext"] or "") and " ".join(cmap.text[s:e].split()) != " ".join((r["seltext"] or "").split()):
            mismatched += 1
        coder = user(r["owner"])
        src.selections.append(Selection(
            _guid(salt, "selection", r["ctid"]), s, e, cmap.text[s:e], selection_user=coder,
            description=(r["memo"] or "").strip(),
            codings=[Coding(_guid(salt, "coding", r["ctid"]), node.guid, coder, r["date"])],
        ))
    if outside:
        report.warnings.append(f"{outside} codings point outside their text or to a missing code; left out")
    if mismatched:
        report.warnings.append(f"{mismatched} codings' stored text differs from the text at their offsets; "
                               "the text at the offsets was kept")

    if proj is not None and (proj["memo"] or "").strip():
        project.notes.append(Note(_guid(salt, "project-memo"), "Project memo", proj["memo"]))
    if "journal" in tables:
        for j in con.execute("select * from journal order by jid").fetchall():
            project.notes.append(Note(_guid(salt, "journal", j["jid"]), j["name"] or "Journal",
                                      j["jentry"] or "", user(j["owner"])))
    _cases(con, tables, salt, project, text_ids)
    for table, label in (("annotation", "annotations"), ("code_image", "image codings"),
                         ("code_av", "audio/video codings")):
        if table in tables:
            n = con.execute(f"select count(*) from {table}").fetchone()[0]
            if n:
                report.skipped.append(f"{n} {label} (not supported)")
    project.users = list(users.values())
    report.coder_attribution = attribute_coders(project)
    return project


#: QualCoder's own reading first: Python indices into ``fulltext`` as stored (CR included).
#: Its editor (Qt) counts UTF-16 units, so projects whose codings were made after an emoji
#: hold UTF-16 positions: the stored selection text decides, per source.
_QUALCODER_READINGS = ("code points, CRLF as 2", "code points", "UTF-16 units, CRLF as 2", "UTF-16 units")


def _readings(rows, text_ids: dict[int, Source], maps: dict[int, CanonicalMap],
              report: ReadReport) -> dict[int, tuple[str, str, int]]:
    """The offset reading of each text source, chosen on its codings' stored text (``seltext``)."""
    by_source: dict[int, list[RawSelection]] = {}
    for r in rows:
        if r["fid"] in maps:
            by_source.setdefault(r["fid"], []).append(RawSelection(r["pos0"], r["pos1"], r["seltext"]))
    out: dict[int, tuple[str, str, int]] = {}
    for fid, selections in by_source.items():
        label, unit, crlf, scores = choose_reading(maps[fid], selections, prefer=_QUALCODER_READINGS)
        out[fid] = (label, unit, crlf)
        source = text_ids[fid]
        source.offset_reading = label
        report.offset_readings[source.name] = label
        if label not in _QUALCODER_READINGS[:2]:
            report.warnings.append(
                f"text source {source.name!r}: offsets read as {label}, as QualCoder's editor counts them "
                "(fit: " + ", ".join(f"{k} {v}/{len(selections)}" for k, v in scores.items()) + " codings)"
            )
    return out


def _cases(con, tables: set[str], salt: str, project: RefiProject, text_ids: dict[int, Source]) -> None:
    if "cases" not in tables:
        return
    variables: dict[str, Variable] = {}
    if "attribute_type" in tables:
        for a in con.execute("select * from attribute_type order by name").fetchall():
            if (a["caseOrFile"] or "").lower() == "case":
                kind = "Float" if (a["valuetype"] or "").lower() == "numeric" else "Text"
                variables[a["name"]] = Variable(_guid(salt, "attribute", a["name"]), a["name"], kind)
            else:
                project.report.skipped.append(f"file attribute {a['name']!r} (only case attributes come across)")
    project.variables = list(variables.values())
    for c in con.execute("select * from cases order by caseid").fetchall():
        case = Case(_guid(salt, "case", c["caseid"]), c["name"] or f"case {c['caseid']}")
        if "attribute" in tables:
            for a in con.execute("select name, value from attribute where attr_type = 'case' and id = ?",
                                 (c["caseid"],)):
                var = variables.get(a["name"])
                if var is not None and (a["value"] or "") != "":
                    case.values[var.guid] = str(a["value"])
        if "case_text" in tables:
            for ct in con.execute("select distinct fid from case_text where caseid = ?", (c["caseid"],)):
                if ct["fid"] in text_ids:
                    case.source_guids.append(text_ids[ct["fid"]].guid)
        project.cases.append(case)
