"""Document groups: named sets of documents (REFI-QDA ``Sets`` with ``MemberSource``).

Written by hand to stay dialect-safe: only new tables, so SQLite needs no batch rebuild and
PostgreSQL gets plain CREATE TABLE statements; constraint names follow the naming convention.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("guid", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"],
                                name=op.f("fk_document_group_project_id_project"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_group")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_document_group_project_id_name")),
    )
    op.create_index(op.f("ix_document_group_project_id"), "document_group", ["project_id"], unique=False)

    op.create_table(
        "document_group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["document_group.id"],
                                name=op.f("fk_document_group_member_group_id_document_group"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"],
                                name=op.f("fk_document_group_member_document_id_document"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "document_id", name=op.f("pk_document_group_member")),
    )


def downgrade() -> None:
    op.drop_table("document_group_member")
    op.drop_index(op.f("ix_document_group_project_id"), table_name="document_group")
    op.drop_table("document_group")
