"""Fixtures every test shares: the Slack emulator, a fresh database per test, the running app."""

from __future__ import annotations

import os
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
from tests.app_server import BOT_TOKEN, INGEST_TOKEN, SIGNING_SECRET, AppServer, RunningApp
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


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database for this test alone: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'smarketing.sqlite3'}"
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


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
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
    )


@pytest.fixture
def app(
    settings: Settings, db: Database, clock: FakeClock, slack: SlackEmulator
) -> Iterator[RunningApp]:
    slack.clock = clock  # Slack's message timestamps follow the test's time
    server = AppServer(settings, db, clock)
    url = server.start()
    with httpx.Client(timeout=30) as http:
        yield RunningApp(url=url, settings=settings, db=db, clock=clock, slack=slack, http=http)
    server.stop()
