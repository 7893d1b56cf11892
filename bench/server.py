"""The app under measure: a real `smarketing run` process on a free port, and the same app in
this process (uvicorn in a thread) where the SQL it issues is to be watched."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from bot.app import create_app
from bot.settings import Settings
from storage.db import Database
from tests.app_server import free_port, wait_until_healthy

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench"


def app_env(database_url: str, slack_api_url: str, **extra: str) -> dict[str, str]:
    """The settings of an app under measure: the bench's Slack credentials and emulator, no
    scheduler (so no job interferes), UTC; plus `extra` (upper-cased names)."""
    return {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "SMARKETING_SCHEDULER": "off",
        "SMARKETING_TIMEZONE": "UTC",
        **{name.upper(): value for name, value in extra.items()},
    }


@dataclass(frozen=True)
class Served:
    url: str
    pid: int

    def memory_mib(self) -> dict[str, float]:
        """The process's memory now, MiB, as Linux counts it: `VmHWM` its peak resident size so
        far, `RssAnon` its heap now (Python objects, SQLite's page cache), `RssFile` the pages of
        mapped files (the database through SQLite's mmap, shared with the OS page cache)."""
        found: dict[str, float] = {}
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmHWM", "RssAnon", "RssFile"):
                    found[name] = int(value.split()[0]) / 1024
        return found


def child_env(env: dict[str, str]) -> dict[str, str]:
    """The environment for a child `smarketing`: this one less any app setting of the
    caller's own (a Socket Mode token would take the app off HTTP), plus `env`."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "SMARKETING_")) and name not in ("DATABASE_URL", "PORT")
    }
    return {**inherited, **env}


def migrate(env: dict[str, str], *, cwd: str | None = None) -> None:
    """`smarketing db upgrade` with the settings in `env`."""
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=child_env(env),
        cwd=cwd,
        check=True,
        stderr=subprocess.DEVNULL,
    )


@contextmanager
def served_app(env: dict[str, str], *, cwd: str | None = None) -> Iterator[Served]:
    """Migrate, start `smarketing run` with the settings in `env`, yield it, stop it. `cwd`:
    where it runs (a folder without a `.env` of someone's own)."""
    port = free_port()
    migrate(env, cwd=cwd)
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1"],
        env=child_env({**env, "PORT": str(port)}),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, seconds=60)
        yield Served(url, server.pid)
    finally:
        server.terminate()
        server.wait()


@contextmanager
def app_in_process(settings: Settings, db: Database) -> Iterator[str]:
    """`create_app` under uvicorn in a thread of this process, on a free port: its engine is
    `db.engine`, so listeners on it see every statement a request issues."""
    config = uvicorn.Config(
        create_app(settings, db=db), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start in this process")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
