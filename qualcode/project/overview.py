"""A study's path at a glance: documents, codebook, coding per coder, blind coding, comparison,
adjudication — plain counts for the app's Home page (and anyone else who asks).

Every count of codings goes through the one blind-coding rule (``access.visibility``): under
blind coding a coder sees their own progress, and other coders' only on documents they marked
done, as on every other page. The counts come from a handful of aggregate queries, whatever the
number of documents (no per-document loops).
"""

from __future__ import annotations

from sqlalchemy import distinct, func, select

from qualcode.store.db import Database, read_only
from qualcode.store.models import Code, Coder, Coding, Document, Participant, Project
from qualcode.team.access import visibility
from qualcode.project.codings import CONSENSUS



@read_only
def study_overview(db: Database, *, viewer: str | None) -> dict:
    """The project's path as plain counts, as ``viewer`` may see them.

    Returns ``{"project", "documents", "participants", "codes", "blind", "coders_edit_codebook",
    "codings", "coders": [{"name", "documents", "codings"}] (by name, the consensus coder left
    out), "compare": bool (two or more coders coded a common document), "consensus_documents",
    "consensus_codings", "me": {"name", "documents", "codings", "done"} or None}``. ``codings``,
    ``coders``, ``compare`` and the consensus counts count only the codings ``viewer`` may see.
    """
    with db.session() as s:
        pid = db.project_id(s)
        seen = visibility(s, pid, viewer)  # refuses nobody when the database has accounts
        project = s.get(Project, pid)
        documents = s.scalar(select(func.count(Document.id)).where(Document.project_id == pid))
        participants = s.scalar(select(func.count(Participant.id)).where(Participant.project_id == pid))
        codes = s.scalar(select(func.count(Code.id)).where(Code.project_id == pid))
        per_coder = (select(Coder.name, func.count(distinct(Coding.document_id)), func.count(Coding.id))
                     .join(Coding, Coding.coder_id == Coder.id)
                     .where(Coder.project_id == pid).group_by(Coder.name).order_by(Coder.name))
        common = (select(Coding.document_id).join(Coder, Coder.id == Coding.coder_id)
                  .where(Coder.project_id == pid, Coder.name != CONSENSUS)
                  .group_by(Coding.document_id).having(func.count(distinct(Coding.coder_id)) >= 2)
                  .limit(1))
        if seen.clause() is not None:
            per_coder = per_coder.where(seen.clause())
            common = common.where(seen.clause())
        rows = s.execute(per_coder).all()
        compare = s.scalar(common) is not None
    coders = [{"name": name, "documents": docs, "codings": n} for name, docs, n in rows
              if name != CONSENSUS]
    consensus = next(((docs, n) for name, docs, n in rows if name == CONSENSUS), (0, 0))
    me = None
    if viewer:
        mine = next((c for c in coders if c["name"] == viewer), None)
        me = {"name": viewer, "documents": mine["documents"] if mine else 0,
              "codings": mine["codings"] if mine else 0,
              "done": len(seen.done) if not seen.everything else None}
    return {
        "project": project.name,
        "documents": documents,
        "participants": participants,
        "codes": codes,
        "blind": bool(project.blind_coding),
        "coders_edit_codebook": bool(project.coders_edit_codebook),
        "codings": sum(n for _name, _docs, n in rows),
        "coders": coders,
        "compare": compare,
        "consensus_documents": consensus[0],
        "consensus_codings": consensus[1],
        "me": me,
    }
