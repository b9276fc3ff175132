"""Blind (independent) coding: the documents each coder has marked done.

With the project setting ``blind_coding`` on (``qualcode.team.settings.set_blind``), a coder sees
only their own codings on a document until they mark it done here; from then on they see
everyone's there (for comparison and discussion). Who sees what is decided by one rule,
``qualcode.team.access.visibility``, which every read path (the workspace included) asks.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from qualcode.team.changelog import log
from qualcode.project.codings import coder_id
from qualcode.project.documents import find_document
from qualcode.store.db import Database, read_only, retrying
from qualcode.store.models import Coder, DocumentDone


@retrying
def mark_done(db: Database, document: int | str, coder: str) -> bool:
    """Record that ``coder`` has finished ``document``; returns False when it already was."""
    with db.session() as s:
        pid = db.project_id(s)
        doc = find_document(s, pid, document)
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
        doc = find_document(s, pid, document)
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
        doc = find_document(s, pid, document)
        return s.scalar(
            select(DocumentDone.id).join(Coder, Coder.id == DocumentDone.coder_id)
            .where(DocumentDone.document_id == doc.id, Coder.name == coder)
        ) is not None
