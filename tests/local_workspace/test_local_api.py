"""`smarketing run` with no Slack app serves the local workspace: a real process, its page, and
the JSON the page reads, driven as a person would drive it (the browser itself is in
test_browser.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from tests.app_server import app_process, smarketing

ADMIN, REP, OTHER_REP = "U0ADMIN", "U0DEV", "U0BEN"  # Dev lets leads go overdue
DIGEST_CHANNEL = "C0SMARKETING"


def local_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return {
        **env,
        "SMARKETING_LOCAL_DATABASE": f"sqlite:///{tmp / 'local.sqlite3'}",
        "DATABASE_URL": f"sqlite:///{tmp / 'real.sqlite3'}",
        "SMARKETING_SCHEDULER": "off",
    }


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, IO[str]]]:
    tmp = tmp_path_factory.mktemp("local")
    with (tmp / "log.txt").open("w+") as log, app_process(local_env(tmp), log) as url:
        yield url, tmp, log

# One client for the module: each new one loads the CA bundle (the page is plain HTTP).
HTTP = httpx.Client(timeout=10, verify=False)


def api(url: str, path: str, **params: str) -> Any:
    response = HTTP.get(f"{url}/local/api/{path}", params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def post(url: str, path: str, body: dict[str, Any]) -> Any:
    response = HTTP.post(f"{url}/local/api/{path}", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_page_says_where_it_is_and_that_it_is_not_slack(
    local: tuple[str, Path, IO[str]],
) -> None:
    url, tmp, log = local
    page = HTTP.get(f"{url}/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    world = api(url, "world", user=ADMIN)
    assert world["banner"] == "Local workspace — not connected to Slack"
    assert {person["role"] for person in world["people"]} == {"admin", "manager", "marketer", "rep"}
    assert len({person["tz"] for person in world["people"]}) >= 5
    log.seek(0)
    said = log.read()
    assert f"Local workspace at {url}/ — not connected to Slack" in said
    assert "SLACK_BOT_TOKEN" in said
    # Its own store: the real workspace's file is not even created.
    assert (tmp / "local.sqlite3").exists()
    assert not (tmp / "real.sqlite3").exists()


def test_a_slash_command_answers_only_the_person_who_typed_it(
    local: tuple[str, Path, IO[str]],
) -> None:
    url, _, _ = local
    command = {"conversation": DIGEST_CHANNEL, "command": "/leads-needed", "text": "100000 1000 4%"}

    assert post(url, "command", {"user": ADMIN, **command}) == {"ok": True}

    mine = api(url, "messages", user=ADMIN, conversation=DIGEST_CHANNEL)["messages"]
    replies = [m for m in mine if m.get("ephemeral")]
    assert "2,500 leads" in replies[-1]["text"]
    assert replies[-1]["command"] == "/leads-needed 100000 1000 4%"
    theirs = api(url, "messages", user=REP, conversation=DIGEST_CHANNEL)["messages"]
    assert not any("2,500 leads" in m.get("text", "") for m in theirs)


def test_a_command_the_app_does_not_know_fails_as_slack_says_it(
    local: tuple[str, Path, IO[str]],
) -> None:
    url, _, _ = local
    answer = post(url, "command", {"user": REP, "conversation": DIGEST_CHANNEL, "command": "/nope"})
    assert answer["ok"] is False
    assert "/nope" in answer["error"]


def test_app_home_is_published_when_a_rep_opens_it_and_a_touch_moves_its_count(
    local: tuple[str, Path, IO[str]],
) -> None:
    url, _, _ = local
    assert post(url, "home_opened", {"user": REP}) == {"ok": True}
    home = wait_for(lambda: api(url, "home", user=REP)["view"])
    buttons = [
        element
        for block in home["blocks"]
        for element in [*block.get("elements", []), block.get("accessory") or {}]
        if element.get("action_id") == "home_log_touch"
    ]
    assert buttons, "a rep with overdue leads sees a Log a touch button"
    lead_id = buttons[0]["value"].split(":", 1)[1]

    post(
        url,
        "action",
        {
            "user": REP,
            "view_id": "home",
            "action": {
                "action_id": "home_log_touch",
                "block_id": "b",
                "type": "button",
                "value": buttons[0]["value"],
            },
        },
    )

    def logged() -> dict[str, Any] | None:
        view = api(url, "home", user=REP)["view"]
        text = str(view)
        return view if "white_check_mark" in text and lead_id in text else None

    assert wait_for(logged)


def test_a_dm_is_seen_only_by_its_person(local: tuple[str, Path, IO[str]]) -> None:
    url, _, _ = local
    response = HTTP.get(
        f"{url}/local/api/messages", params={"user": REP, "conversation": f"D{OTHER_REP}"}
    )
    assert response.status_code == 403


def test_the_digest_runs_now_with_its_chart(local: tuple[str, Path, IO[str]]) -> None:
    url, _, _ = local
    said = post(url, "jobs/digest/run", {})
    assert said["ok"] is True
    assert "sent" in said["said"]
    messages = api(url, "messages", user=OTHER_REP, conversation=DIGEST_CHANNEL)["messages"]
    digest = [m for m in messages if m.get("text", "").startswith("Smarketing digest")]
    assert digest
    files = [f for m in messages for f in m.get("files", [])]
    assert files
    chart = HTTP.get(f"{url}{files[-1]['url']}")
    assert chart.status_code == 200
    assert chart.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_local_reset_forgets_the_sample_company(tmp_path: Path) -> None:
    env = local_env(tmp_path)
    (tmp_path / "local.sqlite3").write_text("stale")
    result = smarketing(["local", "reset"], env)
    assert result.returncode == 0, result.stderr
    assert "reset" in result.stdout
    assert not (tmp_path / "local.sqlite3").exists()


def wait_for(check: Any, *, seconds: float = 10) -> Any:
    """Lazy listeners answer after the request: poll what the page would show."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("the page never showed it")


def test_the_sample_marketer_opens_app_home_on_marketings_board(
    local: tuple[str, Path, IO[str]],
) -> None:
    url, _, _ = local
    assert post(url, "home_opened", {"user": "U0MARCO"}) == {"ok": True}

    home = wait_for(lambda: api(url, "home", user="U0MARCO")["view"])

    headers = [block["text"]["text"] for block in home["blocks"] if block["type"] == "header"]
    assert headers[0] == "Marketing"
    assert "Waiting for sales to accept" in str(home)
