"""Document groups: named sets of documents ("Wave 1", "Managers", "Site B").

Each function is one transaction and writes the change log with the actor. Groups and
documents are named by name (documents also by file name, as ``qualcode show`` accepts). A
group's ``guid`` is stored so REFI-QDA exports name it alike every time (it travels as a
``Set``, see :mod:`qualcode.refi.store`). Adding a document already in the group, or removing
one that is not, changes nothing and says so: the calls are safe to repeat.
"""

from __future__ import annotations

import difflib

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from qualcode.team.access import reader
from qualcode.team.changelog import log
from qualcode.store.db import Database, read_only, retrying
from qualcode.project.documents import get_document
from qualcode.store.models import Document, DocumentGroup, DocumentGroupMember

NAME_LENGTH = 300


class GroupError(ValueError):
    """A group change that cannot be made; the message says what is wrong and what to do."""


def _clean_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise GroupError("a group needs a name; give one, e.g. `Wave 1`")
    if len(cleaned) > NAME_LENGTH:
        raise GroupError(f"a group name has at most {NAME_LENGTH} characters, this one {len(cleaned)}; "
                         "shorten it and put the rest in the description")
    return cleaned


def group_row(session: Session, project_id: int, name: str) -> DocumentGroup:
    """The group called ``name``; :class:`GroupError` (with close names) otherwise."""
    row = session.scalar(select(DocumentGroup).where(DocumentGroup.project_id == project_id,
                                                     DocumentGroup.name == name.strip()))
    if row is None:
        names = session.scalars(select(DocumentGroup.name).where(DocumentGroup.project_id == project_id)).all()
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
        hint = f"Did you mean: {', '.join(close)}?" if close else "`qualcode groups` lists them."
        raise GroupError(f"no document group {name!r}. {hint}")
    return row


def _refuse_taken(session: Session, project_id: int, name: str) -> None:
    if session.scalar(select(DocumentGroup.id).where(DocumentGroup.project_id == project_id,
                                                     DocumentGroup.name == name)):
        raise GroupError(f"a document group named {name!r} already exists; choose another name")


def _documents(session: Session, project_id: int, names: list[str]) -> list[Document]:
    """The named documents, each once, in the order given; all must exist (nothing changes otherwise)."""
    if not names:
        raise GroupError("name at least one document (`qualcode documents` lists them)")
    docs: dict[int, Document] = {}
    for name in names:
        try:
            doc = get_document(session, project_id, name)
        except LookupError as exc:
            raise GroupError(exc.args[0]) from None
        docs.setdefault(doc.id, doc)
    return list(docs.values())


def _members(session: Session, group_id: int) -> set[int]:
    return set(session.scalars(select(DocumentGroupMember.document_id)
                               .where(DocumentGroupMember.group_id == group_id)))


def _view(session: Session, group: DocumentGroup) -> dict:
    documents = session.scalars(
        select(Document.name).join(DocumentGroupMember, DocumentGroupMember.document_id == Document.id)
        .where(DocumentGroupMember.group_id == group.id).order_by(Document.name)).all()
    return {"name": group.name, "description": group.description, "documents": list(documents),
            "guid": group.guid}


@retrying
def create_group(db: Database, name: str, *, description: str = "", actor: str | None = None) -> dict:
    """Create an empty group; returns it as :func:`list_groups` shows it. Refuses a taken name."""
    name = _clean_name(name)
    with db.session() as s:
        pid = db.project_id(s)
        _refuse_taken(s, pid, name)
        group = DocumentGroup(project_id=pid, name=name, description=description or "")
        s.add(group)
        s.flush()
        log(s, project_id=pid, actor=actor, action="create", entity="document_group", entity_id=group.id,
            name=name, guid=group.guid)
        return _view(s, group)


@retrying
def rename_group(db: Database, name: str, new_name: str, *, actor: str | None = None) -> dict:
    """Give a group a new name (its members and GUID stay)."""
    new_name = _clean_name(new_name)
    with db.session() as s:
        pid = db.project_id(s)
        group = group_row(s, pid, name)
        if new_name != group.name:
            _refuse_taken(s, pid, new_name)
            log(s, project_id=pid, actor=actor, action="rename", entity="document_group",
                entity_id=group.id, old=group.name, new=new_name)
            group.name = new_name
            s.flush()
        return _view(s, group)


@retrying
def delete_group(db: Database, name: str, *, actor: str | None = None) -> dict:
    """Delete a group (its documents stay in the project); returns what it held."""
    with db.session() as s:
        pid = db.project_id(s)
        group = group_row(s, pid, name)
        view = _view(s, group)
        s.execute(delete(DocumentGroupMember).where(DocumentGroupMember.group_id == group.id))
        log(s, project_id=pid, actor=actor, action="delete", entity="document_group", entity_id=group.id,
            name=group.name, guid=group.guid, documents=view["documents"])
        s.delete(group)
        return view


@retrying
def add_documents(db: Database, name: str, documents: list[str], *, actor: str | None = None) -> dict:
    """Put documents in a group: ``{"group", "added": [names], "already": [names]}``.

    Every document must exist, or nothing is added; ones already in the group are left alone.
    """
    with db.session() as s:
        pid = db.project_id(s)
        group = group_row(s, pid, name)
        docs = _documents(s, pid, list(documents))
        present = _members(s, group.id)
        new = [d for d in docs if d.id not in present]
        s.add_all(DocumentGroupMember(group_id=group.id, document_id=d.id) for d in new)
        s.flush()
        if new:
            log(s, project_id=pid, actor=actor, action="add_documents", entity="document_group",
                entity_id=group.id, name=group.name, documents=[d.name for d in new])
        return {"group": group.name, "added": [d.name for d in new],
                "already": [d.name for d in docs if d.id in present]}


@retrying
def remove_documents(db: Database, name: str, documents: list[str], *, actor: str | None = None) -> dict:
    """Take documents out of a group: ``{"group", "removed": [names], "not_members": [names]}``."""
    with db.session() as s:
        pid = db.project_id(s)
        group = group_row(s, pid, name)
        docs = _documents(s, pid, list(documents))
        present = _members(s, group.id)
        gone = [d for d in docs if d.id in present]
        if gone:
            s.execute(delete(DocumentGroupMember).where(
                DocumentGroupMember.group_id == group.id,
                DocumentGroupMember.document_id.in_([d.id for d in gone])))
            log(s, project_id=pid, actor=actor, action="remove_documents", entity="document_group",
                entity_id=group.id, name=group.name, documents=[d.name for d in gone])
        return {"group": group.name, "removed": [d.name for d in gone],
                "not_members": [d.name for d in docs if d.id not in present]}


@read_only
def list_groups(db: Database, *, viewer: str | None = None) -> list[dict]:
    """Every group by name: ``{"name", "description", "documents": [names, sorted], "guid"}``.

    ``viewer``: the acting user; with accounts they must be an active member of the project.
    """
    with db.session() as s:
        pid = db.project_id(s)
        reader(s, pid, viewer)
        groups = s.scalars(select(DocumentGroup).where(DocumentGroup.project_id == pid)
                           .order_by(DocumentGroup.name)).all()
        return [_view(s, g) for g in groups]
