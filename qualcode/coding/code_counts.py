"""Reads for the Code page: how often each code is used (in one document and in the whole
project), for the code panel, and the sentence bounds of a document, for the keyboard cursor.

One aggregate query, filtered by the one blind-coding rule (``qualcode.team.access.visibility``):
a coder under blind coding counts only the codings they may see.
"""

from __future__ import annotations

from sqlalchemy import case, func, select

from qualcode.project.documents import find_document
from qualcode.store.db import Database, read_only
from qualcode.store.models import Coding, Document, Sentence
from qualcode.team.access import reader, visibility


@read_only
def code_counts(db: Database, document: int | str | None, *, viewer: str | None
                ) -> dict[int, tuple[int, int]]:
    """Code id → (codings in ``document``, codings in the project) that ``viewer`` may see.

    Codes without any visible coding are left out (read them as (0, 0)).
    """
    with db.session() as s:
        pid = db.project_id(s)
        seen = visibility(s, pid, viewer)
        doc_id = find_document(s, pid, document).id if document is not None else -1
        here = func.sum(case((Coding.document_id == doc_id, 1), else_=0))
        q = (select(Coding.code_id, here, func.count(Coding.id))
             .join(Document, Document.id == Coding.document_id)
             .where(Document.project_id == pid)
             .group_by(Coding.code_id))
        clause = seen.clause()
        if clause is not None:
            q = q.where(clause)
        return {code_id: (int(n_doc or 0), int(n_all)) for code_id, n_doc, n_all in s.execute(q)}


@read_only
def sentence_bounds(db: Database, document: int | str, *, viewer: str | None) -> list[tuple[int, int]]:
    """(start, end) of every sentence of ``document`` in order, for the workspace's keyboard
    cursor (sentences are part of the text, which every reader of the project may read)."""
    with db.session() as s:
        pid = db.project_id(s)
        reader(s, pid, viewer)
        doc = find_document(s, pid, document)
        return [(a, b) for a, b in s.execute(select(Sentence.start, Sentence.end)
                                             .where(Sentence.document_id == doc.id)
                                             .order_by(Sentence.start))]
