"""Append-only change log; code names unique among siblings.

Both rules are enforced by the database itself so that no code path (a script, a future
service, a bug) can rewrite history or create two same-named siblings that a path like
``Barriers/Financial`` could no longer tell apart.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SIBLINGS = (
    "CREATE UNIQUE INDEX uq_code_sibling_name "
    "ON code (project_id, COALESCE(parent_id, 0), lower(name))"
)


def upgrade() -> None:
    op.execute(SIBLINGS)
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER change_log_no_{verb.lower()} BEFORE {verb} ON change_log "
                "BEGIN SELECT RAISE(ABORT, 'change_log is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION change_log_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'change_log is append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER change_log_append_only BEFORE UPDATE OR DELETE ON change_log "
            "FOR EACH ROW EXECUTE FUNCTION change_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER change_log_no_update")
        op.execute("DROP TRIGGER change_log_no_delete")
    else:
        op.execute("DROP TRIGGER change_log_append_only ON change_log")
        op.execute("DROP FUNCTION change_log_append_only()")
    op.execute("DROP INDEX uq_code_sibling_name")
