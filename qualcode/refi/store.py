""":class:`RefiProject` ⇄ the qualcode database.

Export reads the default project into dataclasses, using the stored ``guid`` columns so that
two exports of the same project name everything alike. Import writes a project into the
database in ONE transaction (documents with their turns and sentences, codes, coders,
codings, memos, participants and attributes): a file that fails half-way leaves nothing behind.
Importing the same file twice changes nothing the second time: everything is matched first by
GUID, then by name (codes, coders, attributes, participants) or by text (documents).

Where a REFI file names the coder twice (``PlainTextSelection/@creatingUser`` and
``Coding/@creatingUser``, which NVivo fills with different people), ``coder_from`` chooses:
``"coding"`` (the default: Coding, then Selection, then the project's creating user) or
``"selection"`` (Selection, then Coding, then the project's creating user). The report counts
both so the choice can be made knowingly.
"""

# Longer than 600 lines: export and import are the two directions of one mapping (REFI-QDA
# dataclasses ⇄ tables, the same GUID, type and coder rules both ways), and the importer is one
# class for one all-or-nothing transaction; splitting either would scatter that mapping.

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.team.access import visibility
from qualcode.team.changelog import log
from qualcode.project.codes import PALETTE, tree
from qualcode.store.db import Database, retrying
from qualcode.project.documents import content_hash, typed_value
from qualcode.importers.turns import detect
from qualcode.refi.media import attach_imported, media_sources, timed_turns
from qualcode.store.models import (
    Attribute,
    AttributeValue,
    Code,
    Coder,
    Coding,
    Document,
    DocumentGroup,
    DocumentGroupMember,
    Memo,
    Participant,
    Project,
    Sentence,
    Turn,
)
from qualcode.refi.model import (
    Case,
    CodeNode,
    Note,
    RefiError,
    RefiProject,
    Selection,
    Set,
    Source,
    User,
    Variable,
    attribute_coders,
)
from qualcode.refi.model import Coding as RefiCoding
from qualcode.refi.read import read_refi
from qualcode.refi.write import SUGGESTED_DESCRIPTION, derived_guid, write_qdc, write_qdpx
from qualcode.importers.segment import sentences

CODER_CHOICES = ("coding", "selection")
#: Coder name used when a file names nobody at all for a coding.
UNKNOWN_CODER = "unknown coder"
_TYPE_TO_REFI = {"text": "Text", "number": "Float", "date": "Date", "boolean": "Boolean"}
_REFI_TO_TYPE = {"Text": "text", "Integer": "number", "Float": "number", "Boolean": "boolean",
                 "Date": "date", "DateTime": "text"}


# -- export ---------------------------------------------------------------------------------------


def export_project(db: Database, *, viewer: str | None = None) -> RefiProject:
    """The default project as a :class:`RefiProject`; document groups become Sets.

    ``viewer``: the acting user; only the codings they may see are exported (blind coding),
    and while blind coding hides anything only the users those codings and notes name.
    """
    with db.session() as session:
        pid = db.project_id(session)
        seen = visibility(session, pid, viewer)
        project_row = session.get(Project, pid)
        project = RefiProject(name=project_row.name, guid=project_row.guid)
        coders = {c.id: c for c in session.scalars(select(Coder).where(Coder.project_id == pid).order_by(Coder.id))}
        nodes: dict[int, CodeNode] = {}
        for _path, code in tree(session, pid):
            node = CodeNode(code.guid, code.name, code.colour, code.definition, code.use_when,
                            code.do_not_use_when, code.example)
            nodes[code.id] = node
            (nodes[code.parent_id].children if code.parent_id else project.codes).append(node)
        docs = session.scalars(select(Document).where(Document.project_id == pid).order_by(Document.name)).all()
        doc_guid = {d.id: d.guid for d in docs}
        query = (select(Coding).join(Document).where(Document.project_id == pid)
                 .order_by(Coding.document_id, Coding.start, Coding.end, Coding.id))
        if seen.clause() is not None:
            query = query.where(seen.clause())
        codings = session.scalars(query).all()
        by_doc: dict[int, list[Coding]] = {}
        for c in codings:
            by_doc.setdefault(c.document_id, []).append(c)
        coding_guid = {c.id: c.guid for c in codings}
        recordings = media_sources(session, db, docs)
        for doc in docs:
            source = Source(doc.guid, doc.name, doc.text, media=recordings.get(doc.id))
            for c in by_doc.get(doc.id, []):
                coder = coders[c.coder_id].guid
                source.selections.append(Selection(
                    derived_guid("selection", c.guid), c.start, c.end, c.quote,
                    selection_user=coder,
                    description=SUGGESTED_DESCRIPTION if c.provenance == "suggested" else "",
                    codings=[RefiCoding(c.guid, nodes[c.code_id].guid, coder, _iso(c.created_at))],
                ))
                if c.memo:
                    project.notes.append(Note(derived_guid("coding-memo", c.guid), "Coding memo",
                                              c.memo, coder, [c.guid]))
            project.sources.append(source)
        for memo in session.scalars(select(Memo).where(Memo.project_id == pid).order_by(Memo.id)):
            if memo.coding_id is not None and memo.coding_id not in coding_guid:
                continue  # about a coding this viewer may not see
            target = (coding_guid.get(memo.coding_id) or doc_guid.get(memo.document_id)
                      or (nodes[memo.code_id].guid if memo.code_id in nodes else None) or project.guid)
            author = coders[memo.author_id].guid if memo.author_id in coders else None
            project.notes.append(Note(memo.guid, memo.title, memo.text, author, [target]))
        # The users list is a coder list: in blind coding it names no one whose work is hidden.
        named = {coders[c.coder_id].guid for c in codings} | {n.creating_user for n in project.notes}
        project.users = [User(c.guid, c.name) for c in coders.values()
                         if seen.everything or c.guid in named]
        _export_cases(session, pid, project, docs)
        _export_sets(session, pid, project, doc_guid)
    return project


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    text = moment.replace(microsecond=0).isoformat()
    return text.replace("+00:00", "Z") if "+" in text else text + "Z"


def _fits(refi_type: str, value: str) -> bool:
    """Whether ``value`` is a valid lexical value of the REFI variable type."""
    try:
        if refi_type in ("Integer", "Float"):
            Decimal(value)
            return value.strip() == value and "e" not in value.lower() and value.lower() not in ("nan", "inf", "-inf", "infinity")
        if refi_type == "Date":
            datetime.strptime(value, "%Y-%m-%d")
        if refi_type == "Boolean":
            return value.lower() in ("true", "false", "yes", "no")
    except (InvalidOperation, ValueError):
        return False
    return True


def _export_cases(session: Session, pid: int, project: RefiProject, docs: list[Document]) -> None:
    attrs = session.scalars(select(Attribute).where(Attribute.project_id == pid).order_by(Attribute.id)).all()
    values = session.execute(
        select(AttributeValue.participant_id, AttributeValue.attribute_id, AttributeValue.value)
        .join(Attribute).where(Attribute.project_id == pid)
    ).all()
    per_attr: dict[int, list[str]] = {}
    for _p, a, v in values:
        per_attr.setdefault(a, []).append(v)
    types: dict[int, str] = {}
    for a in attrs:
        t = _TYPE_TO_REFI[a.type]
        if t == "Float" and all(v.lstrip("-").isdigit() for v in per_attr.get(a.id, [])):
            t = "Integer"
        if not all(_fits(t, v) for v in per_attr.get(a.id, [])):
            t = "Text"  # a value the typed form cannot carry: keep it, as text
        types[a.id] = t
        project.variables.append(Variable(a.guid, a.name, t))
    by_person: dict[int, dict[str, str]] = {}
    guid_of = {a.id: a.guid for a in attrs}
    for p, a, v in values:
        if types[a] == "Boolean":
            v = "true" if typed_value("boolean", v) else "false"
        by_person.setdefault(p, {})[guid_of[a]] = v
    for person in session.scalars(select(Participant).where(Participant.project_id == pid).order_by(Participant.external_id)):
        project.cases.append(Case(person.guid, person.external_id, by_person.get(person.id, {}),
                                  [d.guid for d in docs if d.participant_id == person.id]))


def _export_sets(session: Session, pid: int, project: RefiProject, doc_guid: dict[int, str]) -> None:
    """Each document group as a Set of MemberSources (members in document-name order)."""
    members: dict[int, list[int]] = {}
    for group_id, doc_id in session.execute(
            select(DocumentGroupMember.group_id, DocumentGroupMember.document_id)
            .join(Document, Document.id == DocumentGroupMember.document_id).order_by(Document.name)):
        members.setdefault(group_id, []).append(doc_id)
    for group in session.scalars(select(DocumentGroup).where(DocumentGroup.project_id == pid)
                                 .order_by(DocumentGroup.name)):
        st = Set(group.guid, group.name, member_sources=[doc_guid[d] for d in members.get(group.id, [])])
        st.description = group.description  # read back by write.project_xml
        project.sets.append(st)


def export_qdpx(db: Database, *, viewer: str | None = None) -> bytes:
    """The default project as .qdpx bytes (the codings ``viewer`` may see)."""
    return write_qdpx(export_project(db, viewer=viewer))


def export_qdc(db: Database, *, viewer: str | None = None) -> bytes:
    """The code tree as .qdc bytes (``viewer``: the acting user; with accounts required)."""
    return write_qdc(export_project(db, viewer=viewer))


# -- import ---------------------------------------------------------------------------------------


@retrying
def import_project(db: Database, project: RefiProject, *, coder_from: str | None = None,
                   actor: str | None = None, doc_format: str | None = None) -> dict:
    """Write ``project`` into the default project in one transaction; returns the report.

    The report: ``{"documents", "codes", "codings": new rows, "coders": names used,
    "warnings", "skipped", "existing": {...} (already present, left alone), "offset_readings",
    "kind", "origin", "coder_attribution", "memos", "participants", "groups": new document groups}``.

    ``coder_from``: whether a coding's coder is the user named on the ``Coding`` or on its
    selection. By default the file's evidence decides (:func:`qualcode.refi.model.attribute_coders`:
    NVivo for Windows names the exporting user on every coding and the real coders on the
    selections); the report's ``coder_attribution`` says which was taken and why.
    """
    attribution = project.report.coder_attribution or attribute_coders(project) or {}
    suggested = attribution.get("chosen", "coding")
    reason = attribution.get("reason")
    if coder_from is None:
        coder_from = suggested
    else:
        reason = f"chosen with --coder-from {coder_from} (the file's evidence suggests {suggested})"
    if coder_from not in CODER_CHOICES:
        raise ValueError(f"coder_from must be one of {CODER_CHOICES}, not {coder_from!r}")
    rep = project.report
    out = {"documents": 0, "codes": 0, "codings": 0, "coders": [], "warnings": list(rep.warnings),
           "skipped": list(rep.skipped), "existing": Counter(), "offset_readings": rep.offset_readings,
           "kind": rep.kind, "origin": project.origin}
    fmt = (doc_format or rep.kind or "refi")[:10]
    # Sentence cutting is CPU work: do it before the transaction opens.
    prepared = {}
    for src in project.sources:
        found = detect(src.text)
        turns = timed_turns(found.turns, src.media.sync) if src.media is not None else found.turns
        prepared[src.guid] = (turns, found.warnings, found.recognised,
                              sentences(src.text, [(t.start, t.end) for t in found.turns]))
    with db.session() as session:
        pid = db.project_id(session, name=project.name or "qualcode project")
        ctx = _Importer(session, pid, project, out, actor)
        ctx.coders(coder_from, reason, suggested)
        ctx.codes()
        for src in project.sources:
            ctx.document(src, fmt, *prepared[src.guid])
        ctx.codings()
        ctx.notes()
        ctx.cases()
        ctx.sets()
        log(session, project_id=pid, actor=actor, action="import", entity="project",
            kind=rep.kind, origin=project.origin, documents=out["documents"], codes=out["codes"],
            codings=out["codings"])
    out["existing"] = dict(out["existing"])
    recordings = [(ctx.doc_ids[s.guid], s.media) for s in project.sources
                  if s.media is not None and s.guid in ctx.doc_ids]
    if recordings:  # files, after the rows are committed: each is its own all-or-nothing write
        out["recordings"], warnings = attach_imported(db, recordings, actor=actor)
        out["warnings"] += warnings
    return out


class _Importer:
    """The state of one import transaction: GUID → row id maps and the report."""

    def __init__(self, session: Session, pid: int, project: RefiProject, out: dict, actor: str | None):
        self.s, self.pid, self.p, self.out, self.actor = session, pid, project, out, actor
        self.coder_ids: dict[str, int] = {}  # user guid (lower) → coder id
        self.code_ids: dict[str, int] = {}
        self.doc_ids: dict[str, int] = {}
        self.coding_ids: dict[str, int] = {}  # coding guid → id
        self.selection_coding: dict[str, int] = {}  # selection guid → first coding id
        self.coding_rows: dict[str, Coding] = {}

    # coders ----------------------------------------------------------------------------------
    def _coder(self, name: str, guid: str | None) -> int:
        by_guid = self.s.scalar(select(Coder).where(Coder.project_id == self.pid, Coder.guid.in_(
            [guid, guid.lower(), guid.upper()]))) if guid else None
        row = by_guid or self.s.scalar(select(Coder).where(Coder.project_id == self.pid, Coder.name == name))
        if row is None:
            row = Coder(project_id=self.pid, name=name[:200], **({"guid": guid} if guid else {}))
            self.s.add(row)
            self.s.flush()
            log(self.s, project_id=self.pid, actor=self.actor, action="create", entity="coder",
                entity_id=row.id, name=name)
        if row.name not in self.out["coders"]:
            self.out["coders"].append(row.name)
        return row.id

    def coders(self, coder_from: str, reason: str | None = None, suggested: str | None = None) -> None:
        p = self.p
        chosen: dict[str, str | None] = {}  # coding guid → user guid
        by_coding, by_selection = Counter(), Counter()
        for src in p.sources:
            for sel in src.selections:
                for c in sel.codings:
                    first, second = ((c.coding_user, sel.selection_user) if coder_from == "coding"
                                     else (sel.selection_user, c.coding_user))
                    chosen[c.guid] = first or second or p.creating_user
                    by_coding[p.user_name(c.coding_user) or "(none)"] += 1
                    by_selection[p.user_name(sel.selection_user) or "(none)"] += 1
        self.chosen = chosen
        if chosen:
            self.out["coder_attribution"] = {"chosen": coder_from, "reason": reason,
                                             "suggested": suggested, "coding": dict(by_coding),
                                             "selection": dict(by_selection)}
            disagree = sum(1 for src in p.sources for sel in src.selections for c in sel.codings
                           if c.coding_user and sel.selection_user
                           and c.coding_user.lower() != sel.selection_user.lower())
            if disagree:
                self.out["warnings"].append(
                    f"{disagree} codings name one user on the selection and another on the coding; "
                    f"coders were taken from the {coder_from}"
                    + (f" ({reason})" if reason else "") + "; override with --coder-from")
        used = {g.lower() for g in chosen.values() if g}
        for user in p.users:
            if user.pseudo and user.guid.lower() not in used:
                continue
            self.coder_ids[user.guid.lower()] = self._coder(user.name, user.guid)
        for guid in used - set(self.coder_ids):
            self.out["warnings"].append(f"user {guid} is not listed among the users; imported as {guid[:8]}")
            self.coder_ids[guid] = self._coder(f"user {guid[:8]}", guid)

    def coder_for(self, coding_guid: str) -> int:
        guid = self.chosen.get(coding_guid)
        if guid:
            return self.coder_ids[guid.lower()]
        if len(self.coder_ids) == 1:
            return next(iter(self.coder_ids.values()))
        if "unknown" not in self.coder_ids:
            self.out["warnings"].append(f"some codings name no coder; they are attributed to {UNKNOWN_CODER!r}")
            self.coder_ids["unknown"] = self._coder(UNKNOWN_CODER, None)
        return self.coder_ids["unknown"]

    # codes -----------------------------------------------------------------------------------
    def codes(self) -> None:
        existing = {c.guid.lower(): c for _p, c in tree(self.s, self.pid)}
        colours = sum(1 for c in existing.values() if c.colour)
        noncodable = 0

        def walk(nodes: list[CodeNode], parent_id: int | None) -> None:
            nonlocal colours, noncodable
            siblings = {c.name.lower(): c for c in self.s.scalars(select(Code).where(
                Code.project_id == self.pid, Code.parent_id.is_(None) if parent_id is None
                else Code.parent_id == parent_id))}
            taken_in_file: set[str] = set()
            for ordinal, node in enumerate(nodes):
                noncodable += not node.codable
                name = node.name.strip()[:200] or "(unnamed)"
                row = existing.get(node.guid.lower())
                if row is None and name.lower() not in taken_in_file:
                    row = siblings.get(name.lower())
                if row is not None:
                    self.out["existing"]["codes"] += 1
                else:
                    base, n = name, 2
                    while name.lower() in siblings or name.lower() in taken_in_file:
                        name, n = f"{base} ({n})", n + 1
                    if name != base:
                        self.out["warnings"].append(f"two codes named {base!r} under one parent; the second "
                                                    f"is called {name!r}")
                    colour = node.colour
                    if colour is None:
                        colour, colours = PALETTE[colours % len(PALETTE)], colours + 1
                    guid_free = node.guid.lower() not in existing
                    row = Code(project_id=self.pid, parent_id=parent_id, name=name, colour=colour,
                               definition=node.definition, use_when=node.use_when,
                               do_not_use_when=node.do_not_use_when, example=node.example,
                               ordinal=ordinal, **({"guid": node.guid} if guid_free else {}))
                    self.s.add(row)
                    self.s.flush()
                    existing[row.guid.lower()] = row
                    siblings[name.lower()] = row
                    self.out["codes"] += 1
                    log(self.s, project_id=self.pid, actor=self.actor, action="create", entity="code",
                        entity_id=row.id, name=name, guid=row.guid)
                taken_in_file.add(row.name.lower())
                self.code_ids[node.guid.lower()] = row.id
                walk(node.children, row.id)

        walk(self.p.codes, None)
        if noncodable:
            self.out["warnings"].append(f"{noncodable} codes marked not codable (categories) were imported "
                                        "as ordinary codes")

    # documents -------------------------------------------------------------------------------
    def document(self, src: Source, fmt: str, turns, turn_warnings, recognised, sents) -> None:
        digest = content_hash(src.text)
        row = self.s.scalar(select(Document).where(Document.project_id == self.pid, Document.guid == src.guid))
        if row is not None and row.text != src.text:
            self.out["warnings"].append(f"document {row.name!r} has this file's GUID for {src.name!r} but a "
                                        "different text; the source and its codings were left out")
            return
        if row is None:
            row = self.s.scalar(select(Document).where(Document.project_id == self.pid,
                                                       Document.content_hash == digest))
        if row is not None:
            self.out["existing"]["documents"] += 1
            self.doc_ids[src.guid] = row.id
            return
        name, n = src.name.strip()[:290] or src.guid, 2
        base = name
        while self.s.scalar(select(Document.id).where(Document.project_id == self.pid, Document.name == name)):
            name, n = f"{base} ({n})", n + 1
        if name != base:
            self.out["warnings"].append(f"a different document named {base!r} exists; imported as {name!r}")
        report = {"warnings": list(turn_warnings), "format": fmt, "encoding": "utf-8",
                  "offset_reading": src.offset_reading, "origin": self.p.origin, "recognised": recognised}
        row = Document(project_id=self.pid, name=name, original_filename=src.name[:500], format=fmt,
                       content_hash=digest, text=src.text, encoding="utf-8", guid=src.guid,
                       import_report=json.dumps(report, ensure_ascii=False))
        self.s.add(row)
        self.s.flush()
        conn = self.s.connection()
        if turns:
            conn.execute(Turn.__table__.insert(), [
                {"document_id": row.id, "ordinal": i, "speaker": t.speaker, "start": t.start, "end": t.end,
                 "media_start": t.media_start, "media_end": t.media_end} for i, t in enumerate(turns)])
        if sents:
            conn.execute(Sentence.__table__.insert(), [
                {"document_id": row.id, "ordinal": i, "start": s, "end": e} for i, (s, e) in enumerate(sents)])
        log(self.s, project_id=self.pid, actor=self.actor, action="import", entity="document",
            entity_id=row.id, name=name, origin=self.p.origin, characters=len(src.text))
        self.doc_ids[src.guid] = row.id
        self.out["documents"] += 1

    # codings ---------------------------------------------------------------------------------
    def codings(self) -> None:
        memo_notes = {n.guid.lower(): n for n in self.p.notes}
        duplicates = 0
        for src in self.p.sources:
            doc_id = self.doc_ids.get(src.guid)
            if doc_id is None:
                continue
            present = {(c.code_id, c.coder_id, c.start, c.end): c for c in self.s.scalars(
                select(Coding).where(Coding.document_id == doc_id))}
            used_guids = set(self.s.scalars(select(Coding.guid).join(Document).where(
                Document.project_id == self.pid)))
            for sel in src.selections:
                for c in sel.codings:
                    code_id = self.code_ids[c.code_guid.lower()]
                    coder_id = self.coder_for(c.guid)
                    key = (code_id, coder_id, sel.start, sel.end)
                    row = present.get(key)
                    # Our own exports carry a coding's memo as a Note with a derived GUID.
                    note = memo_notes.pop(derived_guid("coding-memo", c.guid).lower(), None)
                    if row is not None:
                        if row.guid == c.guid:
                            self.out["existing"]["codings"] += 1
                        else:
                            duplicates += 1
                    else:
                        # Our exports mark a coding accepted from a suggestion in the Description.
                        suggested = sel.description == SUGGESTED_DESCRIPTION
                        memo = note.text if note is not None else (
                            None if suggested else (sel.description or None))
                        row = Coding(document_id=doc_id, code_id=code_id, coder_id=coder_id,
                                     start=sel.start, end=sel.end, quote=sel.quote, memo=memo,
                                     provenance="suggested" if suggested else None,
                                     **({"guid": c.guid} if c.guid not in used_guids else {}),
                                     **({"created_at": t} if (t := _parse_time(c.created)) else {}))
                        self.s.add(row)
                        self.s.flush()
                        present[key] = row
                        used_guids.add(row.guid)
                        self.out["codings"] += 1
                    self.coding_ids[c.guid.lower()] = row.id
                    self.selection_coding.setdefault(sel.guid.lower(), row.id)
        self.p.notes = [n for n in self.p.notes if n.guid.lower() in memo_notes]  # the rest
        if duplicates:
            self.out["warnings"].append(f"{duplicates} codings repeat a passage already coded with the same "
                                        "code by the same coder; kept once")
        if self.out["codings"]:
            log(self.s, project_id=self.pid, actor=self.actor, action="import", entity="coding",
                count=self.out["codings"], origin=self.p.origin)

    # memos -----------------------------------------------------------------------------------
    def notes(self) -> None:
        created = 0
        for note in self.p.notes:
            if self.s.scalar(select(Memo.id).where(Memo.project_id == self.pid, Memo.guid == note.guid)):
                self.out["existing"]["memos"] += 1
                continue
            memo = Memo(project_id=self.pid, title=(note.name or "")[:300], text=note.text, guid=note.guid)
            if note.creating_user and note.creating_user.lower() in self.coder_ids:
                memo.author_id = self.coder_ids[note.creating_user.lower()]
            for target in (t.lower() for t in note.targets):
                if target in self.coding_ids or target in self.selection_coding:
                    memo.coding_id = self.coding_ids.get(target) or self.selection_coding[target]
                elif target in {g.lower(): g for g in self.doc_ids}:
                    memo.document_id = next(v for k, v in self.doc_ids.items() if k.lower() == target)
                elif target in self.code_ids:
                    memo.code_id = self.code_ids[target]
                else:
                    continue
                break
            self.s.add(memo)
            created += 1
        self.s.flush()
        self.out["memos"] = created

    # participants ----------------------------------------------------------------------------
    def cases(self) -> None:
        attrs: dict[str, Attribute] = {}
        for var in self.p.variables:
            row = self.s.scalar(select(Attribute).where(Attribute.project_id == self.pid,
                                                        Attribute.name == var.name[:200]))
            if row is None:
                row = Attribute(project_id=self.pid, name=var.name[:200], guid=var.guid,
                                type=_REFI_TO_TYPE.get(var.type, "text"))
                self.s.add(row)
                self.s.flush()
            attrs[var.guid.lower()] = row
        people = 0
        for case in self.p.cases:
            external = (case.name or case.guid[:8]).strip()[:200]
            person = self.s.scalar(select(Participant).where(Participant.project_id == self.pid,
                                                             Participant.guid == case.guid))
            person = person or self.s.scalar(select(Participant).where(
                Participant.project_id == self.pid, Participant.external_id == external))
            if person is None:
                person = Participant(project_id=self.pid, external_id=external, guid=case.guid)
                self.s.add(person)
                self.s.flush()
                people += 1
            current = {v.attribute_id: v for v in person.values}
            for var_guid, value in case.values.items():
                attr = attrs.get(var_guid.lower())
                if attr is None:
                    continue
                if attr.type == "boolean":
                    value = value.strip().lower()
                if attr.id in current:
                    current[attr.id].value = value
                else:
                    person.values.append(AttributeValue(attribute_id=attr.id, value=value))
            for source in case.source_guids:
                doc_id = self.doc_ids.get(source)
                if doc_id is not None:
                    self.s.get(Document, doc_id).participant_id = person.id
        self.out["participants"] = people
        if self.p.cases:
            log(self.s, project_id=self.pid, actor=self.actor, action="import", entity="attributes",
                participants=len(self.p.cases), origin=self.p.origin)

    # document groups ---------------------------------------------------------------------------
    def sets(self) -> None:
        """Sets of sources become document groups, matched by GUID, then by name.

        Sets of codes only (MemberCode, e.g. a codebook's code sets) have no place here: they are
        reported as skipped. A Set's members that were not imported (pictures, PDFs, sources
        left out) are reported too; the group keeps the rest, and a Set left with none is skipped.
        An empty Set (no members at all, as we export an empty group) becomes an empty group.
        """
        created, code_sets, unplaced, missing = 0, [], [], 0
        doc_ids = {g.lower(): i for g, i in self.doc_ids.items()}
        for st in self.p.sets:
            if st.member_codes and not st.member_sources:
                code_sets.append(st.name or st.guid)
                continue
            members = [doc_ids.get(g.lower()) for g in st.member_sources]
            if members and not any(members):
                unplaced.append(st.name or st.guid)  # would be an empty group that never was one
                continue
            name = (st.name or "").strip()[:300] or f"set {st.guid[:8]}"
            group = self.s.scalar(select(DocumentGroup).where(DocumentGroup.project_id == self.pid,
                                                             DocumentGroup.guid.in_([st.guid, st.guid.lower(),
                                                                                     st.guid.upper()])))
            group = group or self.s.scalar(select(DocumentGroup).where(DocumentGroup.project_id == self.pid,
                                                                      DocumentGroup.name == name))
            if group is None:
                group = DocumentGroup(project_id=self.pid, name=name, guid=st.guid,
                                      description=st.description or "")
                self.s.add(group)
                self.s.flush()
                created += 1
                log(self.s, project_id=self.pid, actor=self.actor, action="create", entity="document_group",
                    entity_id=group.id, name=name, guid=group.guid, origin=self.p.origin)
            else:
                self.out["existing"]["groups"] += 1
            present = set(self.s.scalars(select(DocumentGroupMember.document_id)
                                         .where(DocumentGroupMember.group_id == group.id)))
            for doc_id in members:
                if doc_id is None:
                    missing += 1
                elif doc_id not in present:
                    self.s.add(DocumentGroupMember(group_id=group.id, document_id=doc_id))
                    present.add(doc_id)
            if st.member_codes:
                self.out["warnings"].append(f"set {name!r} also lists {_count(len(st.member_codes), 'code')}; only its "
                                            "documents were imported (qualcode groups documents, not codes)")
        self.s.flush()
        self.out["groups"] = created
        if code_sets:
            self.out["skipped"].append(f"{_count(len(code_sets), 'code set')} ({', '.join(code_sets)}): sets "
                                       "of codes have no place in qualcode, only sets of documents become groups")
        if unplaced:
            self.out["skipped"].append(f"{_count(len(unplaced), 'set')} whose sources were not imported "
                                       f"({', '.join(unplaced)})")
        if missing:
            self.out["skipped"].append(f"{_count(missing, 'set membership')} of sources that were not imported "
                                       "(non-text or left-out sources)")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)  # Python 3.11 reads a trailing Z
    except ValueError:
        return None


# -- files ----------------------------------------------------------------------------------------


def read_project_file(path: str | Path) -> RefiProject:
    """Read any supported interchange file into a :class:`RefiProject` (no database).

    ``.qdpx``/``.qde``/``.qdc``: REFI-QDA; a Taguette ``.sqlite3`` export or codebook ``.csv``;
    a QualCoder project folder (``X.qda`` holding ``data.qda``) or its ``data.qda``.
    """
    from qualcode.refi import qualcoder, taguette

    path = Path(path)
    if path.is_dir():
        return qualcoder.read_qualcoder(path)
    if not path.exists():
        raise RefiError(str(path), "no such file or folder", "Check the path")
    data = path.read_bytes()
    if data.startswith(b"SQLite format 3\x00"):
        if taguette.is_taguette(path):
            return taguette.read_taguette(path)
        return qualcoder.read_qualcoder(path)
    if path.suffix.lower() == ".csv":
        return taguette.read_codebook_csv(data, path.name)
    return read_refi(data, path.name)


def import_project_file(db: Database, path: str | Path, *, coder_from: str | None = None,
                        actor: str | None = None) -> dict:
    """Read ``path`` (see :func:`read_project_file`) and import it in one transaction."""
    project = read_project_file(path)
    return import_project(db, project, coder_from=coder_from, actor=actor)
