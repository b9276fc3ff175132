"""ORM tables (SQLAlchemy 2 typed declarative). See ARCHITECTURE.md for the data model.

All positions are code-point offsets into ``Document.text``, end exclusive (the offset rule).
The schema itself is created by the Alembic migrations in ``qualcode/migrations``; these
classes must stay in step with them (``tests/test_db.py`` compares the two).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Deterministic constraint names keep Alembic diffs and SQLite batch migrations sane.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the models use."""
    return datetime.now(timezone.utc)


def new_guid() -> str:
    """A GUID for REFI-QDA interchange, stored so it stays stable across exports."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Project(Base):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    blind_coding: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether members with the coder role may change the codebook (owners always may).
    coders_edit_codebook: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Projects as first-class (migration 0006): what the study is, and whether it is retired
    # (archived: read-only, hidden from lists by default). Names are unique (``uq_project_name``).
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    __table_args__ = (Index("uq_project_name", "name", unique=True),)


class Participant(Base):
    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("project_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)

    values: Mapped[list[AttributeValue]] = relationship(
        back_populates="participant", cascade="all, delete-orphan"
    )


class Attribute(Base):
    __tablename__ = "attribute"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        CheckConstraint("type IN ('text', 'number', 'date', 'boolean')", name="type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(10), default="text")
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)


class AttributeValue(Base):
    __tablename__ = "attribute_value"
    __table_args__ = (UniqueConstraint("participant_id", "attribute_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    attribute_id: Mapped[int] = mapped_column(ForeignKey("attribute.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(Text)

    participant: Mapped[Participant] = relationship(back_populates="values")
    attribute: Mapped[Attribute] = relationship()


class AttributeGrouping(Base):
    """How a derived attribute's values were made from another attribute's (migration 0008).

    ``mapping`` is JSON ``{source value: group}``; the derived values are ordinary
    ``attribute_value`` rows of ``attribute_id``.
    """

    __tablename__ = "attribute_grouping"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    attribute_id: Mapped[int] = mapped_column(ForeignKey("attribute.id", ondelete="CASCADE"), unique=True)
    source_attribute_id: Mapped[int] = mapped_column(ForeignKey("attribute.id", ondelete="CASCADE"))
    mapping: Mapped[str] = mapped_column(Text)


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    original_filename: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(String(40))
    import_report: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), index=True
    )
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    turns: Mapped[list[Turn]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="Turn.ordinal",
        passive_deletes=True,
    )
    participant: Mapped[Participant | None] = relationship()


class Turn(Base):
    __tablename__ = "turn"
    __table_args__ = (
        UniqueConstraint("document_id", "ordinal"),
        CheckConstraint("start >= 0 AND start < \"end\"", name="span"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str | None] = mapped_column(String(200))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    media_start: Mapped[float | None] = mapped_column(Float)
    media_end: Mapped[float | None] = mapped_column(Float)

    document: Mapped[Document] = relationship(back_populates="turns")


class Media(Base):
    """The audio or video recording of one document (migration 0009).

    The file itself lives in the media folder (``qualcode.store.media_files.media_dir``: beside
    an SQLite file, or ``QUALCODE_MEDIA_DIR``); ``stored_path`` is relative to it and named by
    the content's SHA-256, so equal bytes are stored once and a backup's files copy back
    without clashing.
    """

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), unique=True)
    filename: Mapped[str] = mapped_column(String(500))
    stored_path: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    duration: Mapped[float | None] = mapped_column(Float)  # seconds, when cheaply known (WAV)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    added_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Sentence(Base):
    __tablename__ = "sentence"
    __table_args__ = (
        UniqueConstraint("document_id", "ordinal"),
        CheckConstraint("start >= 0 AND start < \"end\"", name="span"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)


class Code(Base):
    __tablename__ = "code"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    # RESTRICT: a parent with children cannot vanish silently; the library re-parents first.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("code.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    colour: Mapped[str | None] = mapped_column(String(7))
    definition: Mapped[str] = mapped_column(Text, default="")
    use_when: Mapped[str] = mapped_column(Text, default="")
    do_not_use_when: Mapped[str] = mapped_column(Text, default="")
    example: Mapped[str] = mapped_column(Text, default="")
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    # Optimistic locking as on codings (migration 0005): two people renaming one code cannot
    # silently overwrite each other.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A level cutting across the tree (migration 0008), e.g. "Institutional" on both
    # Barriers/Institutional and Enablers/Institutional; None when the codebook gives none.
    level: Mapped[str | None] = mapped_column(String(200))

    parent: Mapped[Code | None] = relationship(remote_side="Code.id")

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}


class Coder(Base):
    __tablename__ = "coder"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)


class Coding(Base):
    __tablename__ = "coding"
    __table_args__ = (
        UniqueConstraint("document_id", "code_id", "coder_id", "start", "end"),
        CheckConstraint("start >= 0 AND start < \"end\"", name="span"),
        CheckConstraint("provenance IN ('suggested')", name="provenance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), index=True
    )
    # RESTRICT: a code in use is never deleted by accident; codings are moved or confirmed away.
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="RESTRICT"), index=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coder.id", ondelete="RESTRICT"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(Text)
    memo: Mapped[str | None] = mapped_column(Text)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # Bumped by the ORM on every UPDATE (optimistic locking, migration 0003): a page that shows
    # version 3 can refuse to change a coding someone else has changed since.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # How the coding came about (migration 0007): None when recorded directly (by hand, a sheet,
    # an import, keyword autocoding); "suggested" when the coder accepted a learned suggestion
    # (``qualcode.suggest``), which agreement statistics can leave out.
    provenance: Mapped[str | None] = mapped_column(String(20))
    # A representative quote for reports (migration 0008), starred by a coder.
    key_quote: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    document: Mapped[Document] = relationship()
    code: Mapped[Code] = relationship()
    coder: Mapped[Coder] = relationship()

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}


class SuggestionRejection(Base):
    """A passage a coder turned down for a code: it is never suggested to them again.

    Deleting the document, the code or the coder deletes the rejection with it.
    """

    __tablename__ = "suggestion_rejection"
    __table_args__ = (
        UniqueConstraint("document_id", "code_id", "coder_id", "start", "end"),
        CheckConstraint("start >= 0 AND start < \"end\"", name="span"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coder.id", ondelete="CASCADE"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)  # what the model gave it, for the record
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Memo(Base):
    __tablename__ = "memo"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("coder.id", ondelete="SET NULL"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    code_id: Mapped[int | None] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"))
    coding_id: Mapped[int | None] = mapped_column(ForeignKey("coding.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ChangeLog(Base):
    """Append-only: database triggers reject UPDATE and DELETE (migration 0002)."""

    __tablename__ = "change_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    project_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: outlives rows
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON


class EditHistory(Base):
    """One workspace action of one actor, with the primitive changes that redo and undo it.

    ``forward`` and ``inverse`` are JSON lists of operations (see ``qualcode/undo.py``) that
    name codes and codings by GUID, so an undo can re-create a deleted row exactly. Unlike the
    change log this table is edited: ``undone`` flips, and a new action drops the redo tail.
    """

    __tablename__ = "edit_history"
    __table_args__ = (UniqueConstraint("project_id", "actor", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    forward: Mapped[str] = mapped_column(Text)  # JSON
    inverse: Mapped[str] = mapped_column(Text)  # JSON
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DocumentDone(Base):
    """A coder has finished a document: in blind coding they may now see everyone's codings."""

    __tablename__ = "document_done"
    __table_args__ = (UniqueConstraint("document_id", "coder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coder.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DocumentGroup(Base):
    """A named set of documents (REFI-QDA exports it as a ``Set`` with ``MemberSource``s)."""

    __tablename__ = "document_group"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)


class DocumentGroupMember(Base):
    """One document in one group; deleting either side removes the membership."""

    __tablename__ = "document_group_member"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("document_group.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[int] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True
    )


class Account(Base):
    """A person who logs in. With no rows in this table qualcode runs in single-user mode.

    ``password_hash`` is an argon2id hash (``qualcode.team.accounts``); an admin is an owner of
    every project. ``failed_logins``/``locked_until`` slow down password guessing.
    """

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Membership(Base):
    """An account's role in a project: owner, coder or viewer (see ``qualcode.team.access``)."""

    __tablename__ = "membership"
    __table_args__ = (CheckConstraint("role IN ('owner', 'coder', 'viewer')", name="role"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))


class LoginSession(Base):
    """A logged-in browser session. Only a SHA-256 of the token is stored, so a copy of the
    database does not let anyone log in; rows are deleted on logout and when they expire."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
