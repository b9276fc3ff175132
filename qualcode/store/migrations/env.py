"""Alembic environment: always driven from qualcode.db with a live connection.

qualcode never runs Alembic from an alembic.ini; ``qualcode.store.db.Database.migrate`` builds the
configuration in code and hands over its connection, so the CLI, the app and the tests all
migrate the same way.
"""

from alembic import context

from qualcode.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds tables for it.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
