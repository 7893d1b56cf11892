"""Engines and sessions for SQLite (default) and PostgreSQL, and schema migrations."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
logger = logging.getLogger("smarketing.store")


def create_engine_for(database_url: str, *, pooled: bool = True) -> Engine:
    """An engine tuned for the store: WAL, a page cache and mmap on SQLite; pre-ping on PostgreSQL.

    `pooled=False` opens a fresh connection per use: what the health check wants, since a
    pooled SQLite handle keeps reading a file that has been deleted.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        # Pooled connections keep their page cache warm between requests; a fresh
        # connection starts cold and re-reads the B-tree pages of a large log every time.
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            **({"pool_size": 5, "max_overflow": 10} if pooled else {"poolclass": NullPool}),
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if not pooled:
        return create_engine(url, poolclass=NullPool)
    # psycopg prepares a statement after five runs and keeps the plan it made then: made on
    # a young, empty table it stays a bad plan as the table grows. Plan each time instead.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args={"prepare_threshold": None},
    )


WAL_CHECKPOINT_PAGES = 40_000  # of 4 KiB
# How long the checkpointer lets commits gather before it copies them into the database.
CHECKPOINT_PAUSE_SECONDS = 0.2


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Checkpoints (copying the WAL back into the database and syncing it) are the
    # `Checkpointer`'s work, off the request. A commit checkpoints itself only if the WAL
    # has outgrown ~160 MiB anyway (the thread could not keep up, or a long read held it
    # back); once the WAL starts over, its file is cut back to 64 MiB.
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-32768")  # 32 MiB per connection
    cursor.execute("PRAGMA mmap_size=268435456")  # reads through the OS page cache, shared
    cursor.close()


class Checkpointer:
    """SQLite: the WAL copied back into the database by a thread of its own, a moment after
    commits, instead of inside whichever commit crosses the WAL's threshold.

    At full scale a batch of events dirties pages all over the projection's indexes, and the
    commit that checkpointed copied tens of MiB and synced the file while its request
    waited. Here that runs beside the requests; SQLite lets readers and the writer carry on
    during a PASSIVE checkpoint. Started by the first commit, stopped by `stop`.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine  # unpooled: a connection of its own for each checkpoint
        self._lock = threading.Lock()
        self._wrote = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def committed(self, *_: Any) -> None:
        self._wrote.set()
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stopping.is_set():
                    self._thread = threading.Thread(
                        target=self._run, name="sqlite-checkpoints", daemon=True
                    )
                    self._thread.start()

    def stop(self) -> None:
        """Stop the thread (it finishes a checkpoint under way); the next commit starts it."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._stopping.set()
            self._wrote.set()
            thread.join()
            self._stopping.clear()
            self._wrote.clear()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wrote.wait()
            if self._stopping.wait(CHECKPOINT_PAUSE_SECONDS):
                return
            self._wrote.clear()
            try:
                with self._engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").all()
            except OperationalError as error:  # locked or gone: a commit's own check stays
                logger.warning("WAL checkpoint failed: %s", error.orig)


class Database:
    """The store: one engine, short sessions. Every function in storage/ takes a session."""

    def __init__(self, database_url: str, *, background_checkpoints: bool = True) -> None:
        """`background_checkpoints=False` leaves SQLite's WAL to the commits' own checkpoints
        (what `bench.wal_pages` needs to count the pages each commit writes)."""
        self.url = database_url
        self.engine = create_engine_for(database_url)
        self._probe = create_engine_for(database_url, pooled=False)
        self._checkpoints: Checkpointer | None = None
        if self.engine.dialect.name == "sqlite" and background_checkpoints:
            self._checkpoints = Checkpointer(self._probe)
            event.listen(self.engine, "commit", self._checkpoints.committed)

    @contextmanager
    def session(self, *, write_lock: bool = False) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any error.

        `write_lock`: for work that reads rows and then writes over them (storing events reads
        each lead's row, then writes its next state). On SQLite the transaction begins with
        `BEGIN IMMEDIATE`, so the store's one write lock is held before the first read: the
        driver would otherwise begin only at the first write, and a batch stored meanwhile by
        another thread or process would be overwritten by a state computed without it. On
        PostgreSQL the work's own row locks (`SELECT … FOR UPDATE`) do this.
        """
        with Session(self.engine, expire_on_commit=False) as session:
            if write_lock and self.engine.dialect.name == "sqlite":
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def answers(self) -> bool:
        """True when the database is reachable and migrated (what /healthz reports)."""
        try:
            with self._probe.connect() as connection:
                connection.execute(text("SELECT version_num FROM alembic_version")).first()
        except Exception:
            return False
        return True

    def upgrade(self) -> None:
        upgrade(self.engine)

    def dispose(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.stop()
        self.engine.dispose()
        self._probe.dispose()


def alembic_config() -> Config:
    # Alembic is imported when migrating, not by every process that opens the store (it is a
    # seventh of a command's start-up).
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` on the engine's database."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
