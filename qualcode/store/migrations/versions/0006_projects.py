"""Projects as first-class: a description, an archived flag and unique project names.

Written by hand to stay dialect-safe: the two new NOT NULL columns on ``project`` are plain
``ALTER TABLE ... ADD COLUMN`` with constant server defaults (they fill existing rows on both
engines), and the unique name is a plain ``CREATE UNIQUE INDEX``. Never batch mode: on SQLite
that rebuilds ``project`` (copy, DROP, rename), and dropping it with foreign keys on would
cascade-delete every document, code and coding of every project.

A database made before projects could be chosen by name may hold two projects of one name (the
schema never forbade it); the later ones get `` (N)`` appended (N their id) before the index is
made, so the upgrade never fails on old data.


Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("project", sa.Column("description", sa.Text(), nullable=False,
                                       server_default=""))
    op.add_column("project", sa.Column("archived", sa.Boolean(create_constraint=False),
                                       nullable=False, server_default=sa.text("false")))
    # Make names unique before the index: every project but the first of a name gets " (id)".
    op.execute(
        "UPDATE project SET name = SUBSTR(name, 1, 180) || ' (' || CAST(id AS VARCHAR(20)) || ')' "
        "WHERE id NOT IN (SELECT MIN(id) FROM project GROUP BY name)"
    )
    op.create_index(op.f("uq_project_name"), "project", ["name"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("uq_project_name"), table_name="project")
    # Plain DROP COLUMN (SQLite 3.35+), never a batch rebuild of ``project`` (see above).
    op.execute("ALTER TABLE project DROP COLUMN archived")
    op.execute("ALTER TABLE project DROP COLUMN description")
