"""Starting the app on the local workspace: the emulated Slack on 127.0.0.1, the app pointed at
it with a token and a signing secret made for this run, its own SQLite file seeded once with
the sample company, and the page mounted at `/`."""

from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path

import uvicorn
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.app import create_app
from bot.slack_client import create_client
from local_workspace import company
from local_workspace.emulator import SlackEmulator
from local_workspace.server import TEAM_ID, LocalWorkspace, mount
from services.clock import ShiftedClock
from services.config import Settings
from services.context import Services
from storage.db import Database

logger = logging.getLogger("smarketing.local")

HOST = "127.0.0.1"  # the local workspace is never served beyond this machine


def local_settings(settings: Settings, emulator: SlackEmulator, *, secret: str) -> Settings:
    """The settings with Slack replaced by the emulated one and the local workspace's store."""
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr(emulator.bot_token),
            "slack_signing_secret": SecretStr(secret),
            "slack_app_token": None,
            "slack_api_url": emulator.api_url,
            "database_url": settings.smarketing_local_database,
            "smarketing_digest_channel": None,
            "smarketing_management_channel": None,
        }
    )


def serve(settings: Settings, *, port: int) -> None:
    """Serve the local workspace until the process is stopped."""
    emulator = SlackEmulator(
        bot_token=f"xoxb-local-{secrets.token_hex(12)}", team_id=TEAM_ID, live=True
    )
    clock = ShiftedClock(
        settings.smarketing_local_days_ahead, settings.smarketing_local_hours_ahead
    )
    emulator.clock = clock  # messages carry the time they were posted, as in Slack
    emulator.start()
    company.populate(emulator)
    secret = secrets.token_hex(32)
    local = local_settings(settings, emulator, secret=secret)
    database = Database(local.database_url)
    database.upgrade()
    services = Services(local, database, clock, create_client(local))
    if not company.is_seeded(services):
        stored = asyncio.run(company.seed(services))
        logger.info("local workspace: the sample company's %d lead events stored", stored)
    app = create_app(local, clock=clock, db=database)
    mount(app, LocalWorkspace(emulator, signing_secret=secret))
    logger.info(
        "Local workspace at http://%s:%d/ — not connected to Slack (its data: %s). To connect "
        "your Slack workspace instead, set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (README, "
        "'Connect your Slack workspace').",
        HOST,
        port,
        local.database_url,
    )
    try:
        uvicorn.run(app, host=HOST, port=port)
    finally:
        emulator.stop()


def reset(settings: Settings) -> Path | None:
    """Forget the local workspace: its SQLite file goes, and the next run seeds it again."""
    path = make_url(settings.smarketing_local_database).database
    if not path:
        return None
    file = Path(path)
    for stale in (file, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    return file
