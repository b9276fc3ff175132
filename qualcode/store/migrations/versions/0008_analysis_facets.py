"""Analysis facets: a code's level, key quotes, and derived attribute groupings.

* ``code.level`` (NULL = none): a level that cuts across the code tree, defined once in the
  codebook (``level: Institutional`` on Barriers/Institutional and Enablers/Institutional), so
  tables can roll codes up by level as well as by branch.
* ``coding.key_quote``: a coder marked this coding as a representative quote (a star), which
  theme reports put beside the theme's row.
* ``attribute_grouping``: the definition of a derived participant attribute (for example role →
  stakeholder group). The derived values themselves are ordinary ``attribute_value`` rows, so
  every table, filter and export sees them; this table keeps where they came from
  (``source_attribute_id``) and the value → group mapping (JSON), so the grouping can be shown,
  re-applied after new participants arrive, and exported.

Written by hand to stay dialect-safe: plain ``ALTER TABLE ... ADD COLUMN`` (never batch mode,
which rebuilds ``coding`` on SQLite and cascades its DROP) and a plain CREATE TABLE.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE code ADD COLUMN level VARCHAR(200)")
    op.execute("ALTER TABLE coding ADD COLUMN key_quote BOOLEAN DEFAULT false NOT NULL")
    op.create_table(
        "attribute_grouping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("attribute_id", sa.Integer(), nullable=False),
        sa.Column("source_attribute_id", sa.Integer(), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"],
                                name=op.f("fk_attribute_grouping_project_id_project"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["attribute_id"], ["attribute.id"],
                                name=op.f("fk_attribute_grouping_attribute_id_attribute"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["source_attribute_id"], ["attribute.id"],
                                name=op.f("fk_attribute_grouping_source_attribute_id_attribute"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribute_grouping")),
        sa.UniqueConstraint("attribute_id", name=op.f("uq_attribute_grouping_attribute_id")),
    )
    op.create_index(op.f("ix_attribute_grouping_project_id"), "attribute_grouping", ["project_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_attribute_grouping_project_id"), table_name="attribute_grouping")
    op.drop_table("attribute_grouping")
    op.execute("ALTER TABLE coding DROP COLUMN key_quote")
    op.execute("ALTER TABLE code DROP COLUMN level")
