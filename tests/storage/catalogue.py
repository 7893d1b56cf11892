"""The indexes of a table as the database itself wrote them (SQLite's `sqlite_master`,
PostgreSQL's `pg_indexes`): what reflection cannot show, such as expressions and conditions."""

from __future__ import annotations

from storage.db import Database


def index_definitions(db: Database, table: str) -> dict[str, str]:
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
                (table,),
            )
        else:
            rows = connection.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", (table,)
            )
        return {name: definition for name, definition in rows if definition}
