"""Stores: SQLite (a file, the default) or PostgreSQL (a server), chosen by ``--db``."""

from __future__ import annotations

from storyline.store.base import Store

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(db: str) -> bool:
    return str(db).startswith(POSTGRES_SCHEMES)


def open_store(db: str, *, create: bool = True) -> Store:
    """The store ``db`` names: a ``postgresql://`` URL, else an SQLite file path."""
    if is_postgres(db):
        from storyline.store.postgres import PostgresStore

        return PostgresStore(str(db), create=create)
    from storyline.store.sqlite import SQLiteStore

    return SQLiteStore(db, create=create)
