"""The real app served by uvicorn on a free port, and a client that talks to it as Slack does."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
import uvicorn
from slack_sdk.models.blocks import Block

from bot.app import create_app
from bot.settings import Settings
from storage.db import Database
from tests.clock import FakeClock
from tests.slack.emulator import SlackEmulator
from tests.slack.signing import slack_headers, slash_command_body

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
INGEST_TOKEN = "test-ingest-token"


SMARKETING = [sys.executable, "-m", "bot"]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def app_process(env: dict[str, str], log: IO[str]) -> Iterator[str]:
    """A real `smarketing run` process with `env`, its output to `log`; yields its URL once it
    answers, and stops it after."""
    port = free_port()
    process = subprocess.Popen(
        [*SMARKETING, "run", "--host", "127.0.0.1"],
        env={**env, "PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def app_environment(database_url: str, api_url: str, **extra: str) -> dict[str, str]:
    """The environment of a real `smarketing` process under test: this shell's, less its Slack
    and Smarketing settings, plus the test's store and Slack, with Slack's retry waits at 0."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMARKETING_"))}
    return {
        **clean,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "SLACK_RETRY_WAIT_SCALE": "0",
        "DATABASE_URL": database_url,
        "SMARKETING_TIMEZONE": "UTC",
        **extra,
    }


@dataclass(frozen=True)
class Ran:
    """What a `smarketing` command did: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def smarketing(
    args: list[str], env: dict[str, str], *, cwd: Path | None = None, process: bool = False
) -> Ran:
    """`smarketing ARGS` with exactly `env`: in this process through the CLI's own entry point
    (typer's runner), or (`process`) as a real process, for what only a process shows."""
    if process:
        done = subprocess.run(
            [*SMARKETING, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
        )
        return Ran(done.returncode, done.stdout, done.stderr)
    from typer.testing import CliRunner

    from bot.cli import cli

    exact: dict[str, str | None] = {name: None for name in os.environ if name not in env}
    with contextlib.chdir(cwd or Path.cwd()):
        result = CliRunner().invoke(cli, args, env={**exact, **env})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def wait_until_healthy(url: str, *, seconds: float = 30) -> None:
    """Poll a served app's /healthz until it answers 200 (a process still starting refuses);
    raise if it does not within `seconds`."""
    deadline = time.monotonic() + seconds
    with httpx.Client(verify=False) as http:  # one client: each new one loads the CA bundle
        while time.monotonic() < deadline:
            try:
                if http.get(f"{url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"the app at {url} did not answer /healthz in {seconds:.0f} s")


@dataclass
class RunningApp:
    url: str
    settings: Settings
    db: Database
    clock: FakeClock
    slack: SlackEmulator
    http: httpx.Client

    def command(
        self, command: str, text: str = "", *, user_id: str = "U0REP", **signing: Any
    ) -> httpx.Response:
        """POST a slash command to /slack/events, signed as Slack signs it."""
        body = slash_command_body(
            command=command,
            text=text,
            user_id=user_id,
            response_url=self.slack.new_response_url(),
        )
        response = self.post_slack(body, **signing)
        if response.status_code == 200 and response.content:
            assert_fits_slack(response.json())
        return response

    def post_slack(
        self,
        body: str,
        *,
        signing_secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = (
            headers
            if headers is not None
            else slack_headers(body, signing_secret=signing_secret, timestamp=timestamp)
        )
        return self.http.post(f"{self.url}/slack/events", content=body, headers=sent)


def assert_fits_slack(message: dict[str, Any], *, max_blocks: int = 50) -> None:
    """Every reply any test receives is checked as Slack would: valid blocks, within limits."""
    blocks = message.get("blocks", [])
    assert len(blocks) <= max_blocks, f"{len(blocks)} blocks: Slack allows {max_blocks}"
    assert message.get("text") or max_blocks > 50, "a message needs a text fallback"
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
        assert block.to_dict() == raw
        assert len(raw.get("text", {}).get("text", "")) <= 3000
        assert len(raw.get("fields", [])) <= 10


def ephemeral_reply(response: httpx.Response) -> dict[str, Any]:
    """A slash command's reply as the person sees it: only to them, never a traceback."""
    assert response.status_code == 200
    assert "Traceback" not in response.text
    reply: dict[str, Any] = response.json()
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"]
    return reply


def blocks_text(message: dict[str, Any]) -> str:
    """Everything a person reads in a message or view: sections, fields, headers, context."""
    parts: list[str] = []
    for block in message.get("blocks", []):
        if "text" in block:
            parts.append(block["text"]["text"])
        parts.extend(field["text"] for field in block.get("fields", []))
        parts.extend(
            element["text"]
            for element in block.get("elements", [])
            if isinstance(element.get("text"), str)  # a context's text, not a button's label
        )
    return "\n".join(parts)


class AppServer:
    """Starts `create_app` under uvicorn in a thread, on port 0, and stops it."""

    def __init__(self, settings: Settings, db: Database, clock: FakeClock) -> None:
        self.settings, self.db, self.clock = settings, db, clock
        config = uvicorn.Config(
            create_app(settings, clock=clock, db=db),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the app did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class _Swappable:
    """An ASGI app that hands each request to the app of the test now running: one server for
    the whole test process, each test's app (and store) swapped in behind it."""

    def __init__(self) -> None:
        self.current: Any = None
        self.loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # the server's own; each app's is run by `serving`
            self.loop = asyncio.get_running_loop()
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if self.current is None:
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b"no app is being tested"})
            return
        await self.current(scope, receive, send)


class SharedServer:
    """uvicorn, started once per test process, serving whichever app `serving` swaps in."""

    def __init__(self) -> None:
        self.dispatch = _Swappable()
        config = uvicorn.Config(
            self.dispatch, host="127.0.0.1", port=0, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = ""

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started or self.dispatch.loop is None:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the shared test server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        assert self.dispatch.loop is not None
        return asyncio.run_coroutine_threadsafe(work, self.dispatch.loop).result(timeout=60)

    @contextmanager
    def serving(self, settings: Settings, db: Database, clock: FakeClock) -> Iterator[str]:
        """The test's app, its lifespan run on the server's loop as uvicorn would run it; after
        the test, what the app left running (lazy listeners) is cancelled, as a stopped server
        would, before its lifespan ends and its store closes."""
        app = create_app(settings, clock=clock, db=db)
        lifespan = app.router.lifespan_context(app)
        before = self._run(_tasks())
        self._run(lifespan.__aenter__())
        self.dispatch.current = app
        try:
            yield self.url
        finally:
            self.dispatch.current = None
            self._run(_cancel_all_but(before))
            self._run(lifespan.__aexit__(None, None, None))


async def _tasks() -> set[asyncio.Task[Any]]:
    return set(asyncio.all_tasks())


async def _cancel_all_but(kept: set[asyncio.Task[Any]]) -> None:
    left = set(asyncio.all_tasks()) - kept - {asyncio.current_task()}
    for task in left:
        task.cancel()
    await asyncio.gather(*left, return_exceptions=True)
