"""Fixtures every test shares: the Slack emulator, a fresh database per test, the running app."""

from __future__ import annotations

import gc
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (every table in SQLModel.metadata)
from bot.settings import Settings, load_settings
from storage.db import Database
from tests.app_server import BOT_TOKEN, INGEST_TOKEN, SIGNING_SECRET, RunningApp, SharedServer
from tests.clock import FakeClock
from tests.slack.emulator import SlackEmulator

# PostgreSQL joins every database-backed test when TEST_DATABASE_URL names a server.
STORES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session")
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator(bot_token=BOT_TOKEN) as server:
        yield server


@pytest.fixture
def slack(emulator: SlackEmulator) -> SlackEmulator:
    emulator.reset()
    return emulator


def _postgres_admin_url() -> str:
    url = os.environ["TEST_DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def pytest_collection_finish(session: pytest.Session) -> None:
    """What is alive once the tests are collected (modules, the app's code, the libraries)
    lives to the end: frozen out of the garbage collector's reach, each collection walks only
    what the tests make. Collections of the youngest objects come less often too: the suite
    spent a tenth of its time collecting."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test process; each test that wants a migrated store
    gets a copy of it instead of running the migrations again."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated once per test process, copied by `CREATE DATABASE …
    TEMPLATE` for each test that wants a migrated store."""
    admin_url = make_url(_postgres_admin_url())
    name = f"smarketing_template_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(admin_url.set(database=name).render_as_string(hide_password=False))
    database.upgrade()
    database.dispose()  # a template must have no connections when it is copied
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database for this test alone: a SQLite file, or a PostgreSQL database. Empty,
    unless the test also asks for `db`: then a copy of the migrated template."""
    migrated = "db" in request.fixturenames
    if request.param == "sqlite":
        if migrated:
            # One path per test process, the template copied over it for each test: the test
            # process's engine for that path (see `db`) is then reused.
            path = request.getfixturevalue("sqlite_store_path")
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        else:
            path = tmp_path / "smarketing.sqlite3"
        yield f"sqlite:///{path}"
        return
    if migrated:
        pool: PostgresPool = request.getfixturevalue("postgres_pool")
        name = pool.take()
        try:
            yield pool.url(name)
        finally:
            pool.give_back(name)
        return
    admin_url = make_url(_postgres_admin_url())
    name = f"smarketing_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class PostgresPool:
    """Migrated PostgreSQL databases for one test process, each used by one test at a time:
    made from the template once, then emptied (every row of every table but Alembic's deleted,
    sequences restarted) between tests, which costs a fraction of creating one each time.
    DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE gives each of the 21 tables
    and their indexes new files, 60 ms a test against 4. A database a
    test dropped (the health check's "database gone") is simply not given back."""

    def __init__(self, template: str) -> None:
        self.admin_url = make_url(_postgres_admin_url())
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self.template = template
        self.free: list[str] = []
        self.made: list[str] = []
        # Children before parents, then every sequence back to its start, in one round trip.
        self.emptying = "; ".join(
            [f'DELETE FROM "{table.name}"' for table in reversed(SQLModel.metadata.sorted_tables)]
            + [
                "DO $$DECLARE s record; BEGIN FOR s IN SELECT sequencename FROM pg_sequences "
                "WHERE schemaname = 'public' LOOP "
                "EXECUTE 'ALTER SEQUENCE ' || quote_ident(s.sequencename) || ' RESTART'; "
                "END LOOP; END$$"
            ]
        )

    def url(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        name = f"smarketing_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.made.append(name)
        return name

    def give_back(self, name: str) -> None:
        engine = create_engine(self.url(name), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                # What a test left connected (a process it stopped) must not hold a lock.
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                connection.exec_driver_sql(self.emptying)
        except OperationalError:
            return  # the test dropped it, or made it unusable: the next test gets a new one
        finally:
            engine.dispose()
        self.free.append(name)

    def close(self) -> None:
        with self.admin.connect() as connection:
            for name in self.made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_pool(postgres_template: str) -> Iterator[PostgresPool]:
    pool = PostgresPool(postgres_template)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def sqlite_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store") / "smarketing.sqlite3"


@pytest.fixture(scope="session")
def databases() -> Iterator[dict[str, Database]]:
    """The test process's Database for each URL it has served. A test's migrated store comes
    back under the same URL (one SQLite path, PostgreSQL's pooled databases), so its engine is
    reused: SQLAlchemy keeps compiled statements and type processors per engine, and compiling
    them again for every test was a tenth of the suite's time. Its connections are closed
    after each test, before the store is emptied."""
    made: dict[str, Database] = {}
    yield made
    for database in made.values():
        database.dispose()


@pytest.fixture
def db(database_url: str, databases: dict[str, Database]) -> Iterator[Database]:
    """The test's store, migrated (a copy of the template `database_url` made)."""
    database = databases.get(database_url) or databases.setdefault(
        database_url, Database(database_url)
    )
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str, slack: SlackEmulator) -> Settings:
    return load_settings(
        None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=database_url,
        smarketing_ingest_token=INGEST_TOKEN,
        smarketing_timezone="UTC",
        smarketing_admins="",
        slack_app_token=None,
        # Scheduled jobs run where a test asks for them (tests/bot/test_digest_job.py, …).
        smarketing_scheduler="off",
        # Slack's retry waits take no time, but where a test checks the wait itself.
        slack_retry_wait_scale=0,
    )


@pytest.fixture(scope="session")
def shared_server() -> Iterator[SharedServer]:
    """One uvicorn for the test process; each test's app is swapped in behind it."""
    server = SharedServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One HTTP client for the test process: building one loads the CA bundle, which costs more
    than the requests most tests make (the app is served over plain HTTP on 127.0.0.1)."""
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture
def app(
    settings: Settings,
    db: Database,
    clock: FakeClock,
    slack: SlackEmulator,
    shared_server: SharedServer,
    http: httpx.Client,
) -> Iterator[RunningApp]:
    slack.clock = clock  # Slack's message timestamps follow the test's time
    with shared_server.serving(settings, db, clock) as url:
        yield RunningApp(url=url, settings=settings, db=db, clock=clock, slack=slack, http=http)
