"""Media: the audio or video recording attached to a transcript.

``media`` holds one row per document that has a recording (``document_id`` unique; deleting
the document deletes the row). The file lives in the media folder, beside an SQLite file
(``NAME-media/``) or in ``QUALCODE_MEDIA_DIR``; ``stored_path`` is relative to that folder.

A plain CREATE TABLE, dialect-safe on SQLite and PostgreSQL.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("stored_path", sa.String(length=200), nullable=False),
        sa.Column("mime_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("guid", sa.String(length=36), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"],
                                name=op.f("fk_media_document_id_document"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("document_id", name=op.f("uq_media_document_id")),
    )


def downgrade() -> None:
    op.drop_table("media")
