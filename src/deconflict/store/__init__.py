"""Persistence: repositories over SQLAlchemy Core, on SQLite (default) or PostgreSQL.

One set of tables (`tables`), one migration history (`migrations/`, Alembic), one
repository module per entity. The only backend-specific code is in `backend.py`
(connections, locking) and `space_index.py` (the 4D candidate index: SQLite R*Tree or
PostGIS n-D GiST).
"""
