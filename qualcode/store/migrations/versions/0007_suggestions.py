"""Code suggestions: a coding's provenance and the suggestions a coder rejected.

``coding.provenance`` is NULL for a coding recorded directly (by hand, from a sheet, an import or
keyword autocoding) and ``'suggested'`` for one a coder accepted from a learned suggestion
(``qualcode.suggest``); agreement can leave those out, since they are not independent judgements.
``suggestion_rejection`` remembers a passage a coder turned down for a code, so it is never
suggested to them again.

Written by hand to stay dialect-safe: the new column is a plain ``ALTER TABLE ... ADD COLUMN``
(nullable, with a CHECK on its own values, which SQLite accepts in ADD COLUMN); the new table a
plain CREATE TABLE. Never batch mode: on SQLite that rebuilds ``coding`` (copy, DROP, rename),
and with foreign keys on the DROP would cascade to the memos about codings.


Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE coding ADD COLUMN provenance VARCHAR(20) "
               "CONSTRAINT ck_coding_provenance CHECK (provenance IN ('suggested'))")
    op.create_table(
        "suggestion_rejection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('start >= 0 AND start < "end"', name=op.f("ck_suggestion_rejection_span")),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"],
                                name=op.f("fk_suggestion_rejection_document_id_document"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["code_id"], ["code.id"],
                                name=op.f("fk_suggestion_rejection_code_id_code"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["coder_id"], ["coder.id"],
                                name=op.f("fk_suggestion_rejection_coder_id_coder"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_rejection")),
        sa.UniqueConstraint("document_id", "code_id", "coder_id", "start", "end",
                            name=op.f("uq_suggestion_rejection_document_id_code_id_coder_id_start_end")),
    )
    op.create_index(op.f("ix_suggestion_rejection_coder_id"), "suggestion_rejection", ["coder_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_suggestion_rejection_coder_id"), table_name="suggestion_rejection")
    op.drop_table("suggestion_rejection")
    # Plain DROP COLUMN (SQLite 3.35+; its CHECK is the column's own), never a batch rebuild.
    op.execute("ALTER TABLE coding DROP COLUMN provenance")
