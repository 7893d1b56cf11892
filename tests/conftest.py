"""Fixtures every test shares: the Slack emulator, a fresh database per test, the running app."""

from __future__ import annotations

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
        path = tmp_path / "smarketing.sqlite3"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template") if migrated else None
    admin_url = make_url(_postgres_admin_url())
    name = f"smarketing_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        copied = f' TEMPLATE "{template}"' if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{copied}'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The test's store, migrated (a copy of the template `database_url` made)."""
    database = Database(database_url)
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


@pytest.fixture
def app(
    settings: Settings,
    db: Database,
    clock: FakeClock,
    slack: SlackEmulator,
    shared_server: SharedServer,
) -> Iterator[RunningApp]:
    slack.clock = clock  # Slack's message timestamps follow the test's time
    with (
        shared_server.serving(settings, db, clock) as url,
        httpx.Client(timeout=30) as http,
    ):
        yield RunningApp(url=url, settings=settings, db=db, clock=clock, slack=slack, http=http)
