"""Reads of many documents at once, in a fixed number of queries whatever their number.

A page that lists or shows documents must not query once per document (issue #13): selectors
take :func:`document_names` (names only), a page showing excerpts of several documents takes
:func:`show_documents` (one look-up for all of them), and ``documents.list_documents`` counts
characters and words with ``text_sizes.text_sizes``, which loads a text only the first time
it is counted in this process.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from qualcode.project.documents import document_dict, get_document, participant_attributes
from qualcode.store.db import Database
from qualcode.store.models import Document, Participant, Turn


def document_names(db: Database, *, viewer: str | None = None) -> list[str]:
    """The project's document names, by name: one names-only query, for selectors.

    ``viewer``: the acting user, who must be able to read the project (``access.reader``).
    """
    from qualcode.team.access import reader

    with db.session() as session:
        pid = db.project_id(session)
        reader(session, pid, viewer)
        return list(session.scalars(select(Document.name).where(Document.project_id == pid)
                                    .order_by(Document.name)))


def show_documents(db: Database, names: Iterable[str], *, viewer: str | None = None) -> dict[str, dict]:
    """``documents.show_document`` of each name (name → its answer), in a fixed number of queries.

    The access check comes first, as there; a name that is no document's name is looked up as a
    file name, and one that is neither raises the same LookupError.
    """
    from qualcode.team.access import reader

    wanted = list(dict.fromkeys(names))
    with db.session() as session:
        pid = db.project_id(session)
        reader(session, pid, viewer)
        if not wanted:
            return {}
        found = {
            doc.name: (doc, participant)
            for doc, participant in session.execute(
                select(Document, Participant.external_id)
                .outerjoin(Participant, Participant.id == Document.participant_id)
                .where(Document.project_id == pid, Document.name.in_(wanted)))
        }
        for name in wanted:
            if name not in found:  # a file name, or a LookupError naming close matches
                doc = get_document(session, pid, name)
                found[name] = (doc, doc.participant.external_id if doc.participant else None)
        turns: dict[int, list] = {}
        for turn in session.execute(
                select(Turn.document_id, Turn.speaker, Turn.media_start, Turn.media_end, Turn.start,
                       Turn.end)
                .where(Turn.document_id.in_([doc.id for doc, _ in found.values()]))
                .order_by(Turn.document_id, Turn.ordinal)):
            turns.setdefault(turn.document_id, []).append(turn)
        attributes = participant_attributes(session, pid)
        return {name: document_dict(doc, participant, attributes.get(doc.participant_id, {}),
                                    turns.get(doc.id, []))
                for name, (doc, participant) in ((n, found[n]) for n in wanted)}
