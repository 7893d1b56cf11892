"""Where the benchmark's databases live: SQLite files beside `--database-url`, or fresh
PostgreSQL databases on the server it names, created for the run and dropped after it."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError


def normalise(database_url: str) -> str:
    """The URL as the app reads it: `postgres://` and `postgresql://` name the psycopg driver."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url.removeprefix(prefix)
    return database_url


def is_sqlite(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "sqlite"


def sqlite_path(database_url: str) -> Path:
    return Path(make_url(database_url).database or "")


def render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def shown(database_url: str) -> str:
    """The URL without its password, for the report."""
    return make_url(database_url).render_as_string(hide_password=True)


def version(database_url: str) -> str:
    """`SQLite 3.40.1` or `PostgreSQL 15.20 (…)`: the server the app talks to."""
    if is_sqlite(database_url):
        return f"SQLite {sqlite3.sqlite_version}"
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return "PostgreSQL " + str(connection.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


@dataclass
class Stores:
    """One database per role (`workspace-1`, `raw`, `csv`, …), each new and empty when asked for.

    SQLite: `{stem}-{role}{suffix}` beside the file `--database-url` names. PostgreSQL: a database
    `{prefix}_{role}` created on the server (dropped by `close`); where the role may not create
    databases, a schema of that name in the database the URL names (dropped likewise).
    """

    base_url: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _created: list[str] = field(default_factory=list)  # databases (or schemas) to drop
    _schemas: bool | None = None  # PostgreSQL: schemas instead of databases

    @property
    def sqlite(self) -> bool:
        return is_sqlite(self.base_url)

    def path(self, role: str) -> Path:
        base = sqlite_path(self.base_url)
        return base.with_name(f"{base.stem}-{role}{base.suffix or '.sqlite3'}")

    def fresh(self, role: str) -> str:
        """An empty database for `role` (an existing one of that role is deleted first)."""
        if self.sqlite:
            path = self.path(role)
            path.parent.mkdir(parents=True, exist_ok=True)
            remove_sqlite(path)
            return f"sqlite:///{path}"
        return self._fresh_postgres(role)

    def kept(self, role: str) -> str:
        """The SQLite file for `role`, kept between runs (for a workspace worth reusing)."""
        assert self.sqlite
        path = self.path(role)
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"

    def drop(self, database_url: str) -> None:
        """Give back a database the run no longer needs (big SQLite files cost disk)."""
        if self.sqlite:
            remove_sqlite(sqlite_path(database_url))
            return
        url = make_url(database_url)
        name = self._name_of(url)
        if name in self._created:
            self._drop_postgres(name)
            self._created.remove(name)

    def close(self) -> None:
        for name in list(self._created):
            self._drop_postgres(name)
        self._created.clear()

    # ------------------------------------------------------------------ PostgreSQL

    def _admin(self) -> URL:
        url = make_url(self.base_url)
        return url if url.database else url.set(database="postgres")

    def _name_of(self, url: URL) -> str:
        if self._schemas:
            options = str(url.query.get("options", ""))
            return options.removeprefix("-csearch_path=")
        return url.database or ""

    def _fresh_postgres(self, role: str) -> str:
        name = f"bench_{self.run_id}_{role.replace('-', '_').replace('.', '_')}"
        admin = create_engine(self._admin(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                if not self._schemas:
                    try:
                        connection.execute(text(f'CREATE DATABASE "{name}"'))
                        self._schemas = False
                    except DBAPIError as error:
                        # Only a first refusal for want of the right switches to schemas.
                        if self._schemas is False or "permission" not in str(error).lower():
                            raise
                        self._schemas = True
                if self._schemas:
                    connection.execute(text(f'CREATE SCHEMA "{name}"'))
        finally:
            admin.dispose()
        self._created.append(name)
        if self._schemas:
            url = self._admin().update_query_dict({"options": f"-csearch_path={name}"})
            return render(url)
        return render(self._admin().set(database=name))

    def _drop_postgres(self, name: str) -> None:
        admin = create_engine(self._admin(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                if self._schemas:
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
                else:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()


def remove_sqlite(path: Path) -> None:
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        file.unlink(missing_ok=True)
