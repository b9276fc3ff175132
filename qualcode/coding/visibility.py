"""Blind (independent) coding: who may see whose codings on a document.

With the project setting ``blind_coding`` on, a coder sees only their own codings on a document
until they mark it done; from then on they see everyone's (for comparison and discussion).
With the setting off everybody sees everything.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from qualcode.team.changelog import log
from qualcode.project.codings import coder_id
from qualcode.store.db import Database, read_only, retrying
from qualcode.store.models import Coder, Document, DocumentDone, Project


class VisibilityError(ValueError):
    """A blind-coding request that cannot be carried out; the message says what to do."""


def _document(session: Session, project_id: int, document: int | str) -> Document:
    # Imported here, not at the top: qualcode.coding.editing imports this module.
    from qualcode.coding.editing import document_row

    return document_row(session, project_id, document)


@read_only
def is_blind(db: Database) -> bool:
    """Whether the project codes blind."""
    with db.session() as s:
        return bool(s.get(Project, db.project_id(s)).blind_coding)


@retrying
def set_blind(db: Database, on: bool, *, actor: str) -> None:
    """Turn blind coding on or off for the project (logged)."""
    if not isinstance(on, bool):
        raise VisibilityError("blind coding is switched with True or False")
    with db.session() as s:
        project = s.get(Project, db.project_id(s))
        if bool(project.blind_coding) == on:
            return
        project.blind_coding = on
        log(s, project_id=project.id, actor=actor, action="update", entity="project",
            entity_id=project.id, blind_coding=on)


@retrying
def mark_done(db: Database, document: int | str, coder: str) -> bool:
    """Record that ``coder`` has finished ``document``; returns False when it already was."""
    with db.session() as s:
        pid = db.project_id(s)
        doc = _document(s, pid, document)
        cid = coder_id(s, pid, coder)
        if s.scalar(select(DocumentDone.id).where(DocumentDone.document_id == doc.id,
                                                  DocumentDone.coder_id == cid)) is not None:
            return False
        s.add(DocumentDone(document_id=doc.id, coder_id=cid))
        log(s, project_id=pid, actor=coder, action="mark_done", entity="document",
            entity_id=doc.id, document=doc.name, coder=coder)
        return True


@retrying
def unmark_done(db: Database, document: int | str, coder: str) -> bool:
    """Take back ``mark_done``; returns False when the document was not marked done."""
    with db.session() as s:
        pid = db.project_id(s)
        doc = _document(s, pid, document)
        cid = s.scalar(select(Coder.id).where(Coder.project_id == pid, Coder.name == coder))
        if cid is None:
            return False
        gone = s.execute(delete(DocumentDone).where(DocumentDone.document_id == doc.id,
                                                    DocumentDone.coder_id == cid)).rowcount
        if gone:
            log(s, project_id=pid, actor=coder, action="unmark_done", entity="document",
                entity_id=doc.id, document=doc.name, coder=coder)
        return bool(gone)


@read_only
def is_done(db: Database, document: int | str, coder: str) -> bool:
    """Whether ``coder`` has marked ``document`` done."""
    with db.session() as s:
        pid = db.project_id(s)
        doc = _document(s, pid, document)
        return s.scalar(
            select(DocumentDone.id).join(Coder, Coder.id == DocumentDone.coder_id)
            .where(DocumentDone.document_id == doc.id, Coder.name == coder)
        ) is not None


def visible_coder_ids(session: Session, document_id: int, viewer: str | None) -> set[int] | None:
    """The coders whose codings ``viewer`` may see on the document; None means everyone's.

    Blind coding off → None. Blind coding on → the viewer's own coder id only, until the viewer
    has marked the document done (then None). In blind mode a viewer who is not named, or has
    never coded, sees nobody's codings (an empty set): blind coding must not leak by default.
    """
    doc = session.get(Document, document_id)
    if doc is None:
        raise VisibilityError(f"no document with id {document_id}; reload the page")
    project = session.get(Project, doc.project_id)
    if not project.blind_coding:
        return None
    if viewer is None:
        return set()
    cid = session.scalar(select(Coder.id).where(Coder.project_id == doc.project_id,
                                                Coder.name == viewer))
    if cid is None:
        return set()
    done = session.scalar(select(DocumentDone.id).where(DocumentDone.document_id == document_id,
                                                        DocumentDone.coder_id == cid))
    return None if done is not None else {cid}
