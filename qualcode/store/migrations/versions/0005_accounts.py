"""Accounts, project roles and login sessions; a version column on codes.

Written by hand to stay dialect-safe: new tables are plain CREATE TABLE statements; the new
NOT NULL columns on ``code`` and ``project`` are plain ``ALTER TABLE ... ADD COLUMN`` with
constant server defaults, which fill existing rows on both engines. Not batch mode: on SQLite
that rebuilds the table (copy, DROP, rename), and dropping ``project`` with foreign keys on
would cascade-delete every document and code of the project.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("code", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("project", sa.Column("coders_edit_codebook", sa.Boolean(create_constraint=False),
                                       nullable=False, server_default=sa.text("false")))

    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("name", name=op.f("uq_account_name")),
    )
    op.create_table(
        "membership",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'coder', 'viewer')", name=op.f("ck_membership_role")),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"],
                                name=op.f("fk_membership_project_id_project"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"],
                                name=op.f("fk_membership_account_id_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "account_id", name=op.f("pk_membership")),
    )
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"],
                                name=op.f("fk_login_session_account_id_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_session_token_hash")),
    )
    op.create_index(op.f("ix_login_session_account_id"), "login_session", ["account_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_session_account_id"), table_name="login_session")
    op.drop_table("login_session")
    op.drop_table("membership")
    op.drop_table("account")
    # Plain DROP COLUMN (SQLite 3.35+), never a batch rebuild of ``project`` (see above).
    op.execute("ALTER TABLE project DROP COLUMN coders_edit_codebook")
    op.execute("ALTER TABLE code DROP COLUMN version")
