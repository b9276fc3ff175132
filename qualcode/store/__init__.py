"""Where data lives: the engine and its sessions (`db`), the ORM tables (`models`) and the
Alembic migrations that alone create and upgrade the schema (`migrations/`)."""
