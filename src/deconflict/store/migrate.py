"""Bring a database to the newest schema (Alembic `upgrade head`), idempotently."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from deconflict.store.backend import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def upgrade(database: Database) -> None:
    """Apply every migration not yet applied."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
