"""Coding workspace: coding versions, per-actor undo history, documents marked done.

Written by hand to stay dialect-safe: SQLite adds the column in batch mode (a NOT NULL column
needs its server default there), PostgreSQL with a plain ALTER TABLE.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coding", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default="1")
        )

    op.create_table(
        "edit_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("forward", sa.Text(), nullable=False),
        sa.Column("inverse", sa.Text(), nullable=False),
        sa.Column("undone", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"],
                                name=op.f("fk_edit_history_project_id_project"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edit_history")),
        sa.UniqueConstraint("project_id", "actor", "seq",
                            name=op.f("uq_edit_history_project_id_actor_seq")),
    )
    op.create_index(op.f("ix_edit_history_project_id"), "edit_history", ["project_id"], unique=False)

    op.create_table(
        "document_done",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coder_id"], ["coder.id"],
                                name=op.f("fk_document_done_coder_id_coder"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"],
                                name=op.f("fk_document_done_document_id_document"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_done")),
        sa.UniqueConstraint("document_id", "coder_id", name=op.f("uq_document_done_document_id_coder_id")),
    )
    op.create_index(op.f("ix_document_done_coder_id"), "document_done", ["coder_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_document_done_coder_id"), table_name="document_done")
    op.drop_table("document_done")
    op.drop_index(op.f("ix_edit_history_project_id"), table_name="edit_history")
    op.drop_table("edit_history")
    with op.batch_alter_table("coding", schema=None) as batch_op:
        batch_op.drop_column("version")
