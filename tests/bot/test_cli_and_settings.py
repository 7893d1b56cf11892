"""Start-up as an operator meets it: `smarketing run` and `db upgrade` in a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.app_server import BOT_TOKEN, SIGNING_SECRET, free_port, wait_until_healthy
from tests.slack.emulator import SlackEmulator

SMARKETING = [sys.executable, "-m", "bot"]
SECRETS = (BOT_TOKEN, SIGNING_SECRET)


def run_cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMARKETING_"))}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [*SMARKETING, *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_with_half_the_slack_credentials_says_what_to_set_and_where_to_get_it(
    tmp_path: Path,
) -> None:
    # With none at all it serves the local workspace (tests/local_workspace/).
    result = run_cli(["run"], tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN)

    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert BOT_TOKEN not in result.stderr
    assert "manifest.yml" in result.stderr and ".env.example" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://localhost/smarketing"),
        ("DATABASE_URL", "not a url"),
        ("SMARKETING_TIMEZONE", "Mars/Olympus_Mons"),
        ("PORT", "eighty"),
    ],
)
def test_a_wrong_setting_stops_start_up_with_one_line_naming_it(
    tmp_path: Path, variable: str, value: str
) -> None:
    result = run_cli(["run"], tmp_path, **{variable: value})

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_settings_are_read_from_a_dot_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SMARKETING_TIMEZONE=Nowhere/Land\n")

    result = run_cli(["db", "upgrade"], tmp_path)

    assert result.returncode == 2
    assert "SMARKETING_TIMEZONE" in result.stderr


@pytest.fixture
def served(tmp_path: Path, slack: SlackEmulator) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`smarketing db upgrade` then `smarketing run`, as the README's quick start does."""
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
    }
    assert run_cli(["db", "upgrade"], tmp_path, **env).returncode == 0
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMARKETING_"))}
    clean.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [*SMARKETING, "run", "--host", "127.0.0.1"],
        cwd=tmp_path,
        env={**clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url)
    yield url, process
    process.terminate()
    process.wait(timeout=10)


def test_the_run_command_serves_on_port_with_a_sqlite_file_by_default(
    served: tuple[str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    url, process = served

    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    assert (tmp_path / "smarketing.sqlite3").exists()
    # Real Slack is connected: no local workspace, no emulated Slack, no page.
    assert httpx.get(f"{url}/").status_code == 404
    assert httpx.get(f"{url}/local/api/world", params={"user": "U0ADMIN"}).status_code == 404
    assert not (tmp_path / "smarketing-local.sqlite3").exists()
    process.terminate()
    output, _ = process.communicate(timeout=10)
    assert not any(secret in output for secret in SECRETS)
