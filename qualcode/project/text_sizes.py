"""Characters and words of documents' texts, counted once per text and process.

A document's canonical text never changes after import (a new text is a new document, or a new
content hash when a document is replaced), so its counts can be kept under its content hash and
a document list need not load every transcript on every rerun (issue #13).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.store.models import Document

#: content hash → (characters, words) of that canonical text. A document's text never changes
#: (a new text is a new document or a new hash), so its counts are computed once per process.
_TEXT_SIZES: dict[str, tuple[int, int]] = {}
_TEXT_SIZES_MAX = 100_000


def text_sizes(session: Session, project_id: int, hashes: set[str]) -> dict[str, tuple[int, int]]:
    """(characters, words) of the texts with these content hashes (``len(text)``,
    ``len(text.split())``), loading in one query only the texts not counted before.

    Safe under Streamlit's threads: the answer is built from local reads of the shared dict.
    """
    out = {h: sizes for h in hashes if (sizes := _TEXT_SIZES.get(h)) is not None}
    missing = hashes - out.keys()
    if missing:
        if len(_TEXT_SIZES) + len(missing) > _TEXT_SIZES_MAX:
            _TEXT_SIZES.clear()
        query = select(Document.content_hash, Document.text).where(Document.project_id == project_id)
        if len(missing) < len(hashes):  # else every text of the project: no long IN list
            query = query.where(Document.content_hash.in_(list(missing)))
        for digest, text in session.execute(query):
            out[digest] = _TEXT_SIZES[digest] = (len(text), len(text.split()))
    return out
