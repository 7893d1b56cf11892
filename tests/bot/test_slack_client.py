"""Outgoing Slack calls survive rate limits and server errors, as slack_sdk's retry handlers do."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.slack_client import create_client
from tests.slack.emulator import SlackEmulator


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """These tests talk to Slack alone and open no database: one store is enough (on
    PostgreSQL each made and dropped a database for nothing, once 11 s under load)."""
    return f"sqlite:///{tmp_path / 'unused.sqlite3'}"


async def test_a_429_is_retried_after_the_retry_after_it_names(
    settings: Settings, slack: SlackEmulator
) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=1)
    production = settings.model_copy(update={"slack_retry_wait_scale": 1.0})
    started = time.monotonic()

    response = await create_client(production).chat_postMessage(channel="C1", text="hello")

    assert response["ok"] is True
    assert time.monotonic() - started >= 1
    assert [call.answered_status for call in slack.calls] == [429, 200]


async def test_server_errors_are_retried(settings: Settings, slack: SlackEmulator) -> None:
    slack.fail("chat.postMessage", status=500, times=2)

    response = await create_client(settings).chat_postMessage(channel="C1", text="hello")

    assert response["ok"] is True
    assert [call.answered_status for call in slack.calls] == [500, 500, 200]
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_calls_go_to_the_configured_api_url_with_the_bot_token(
    settings: Settings, slack: SlackEmulator
) -> None:
    await create_client(settings).auth_test()

    (call,) = slack.calls
    assert call.method == "auth.test"
    assert call.headers.get("Authorization") == f"Bearer {slack.bot_token}"


async def test_the_test_suite_waits_no_time_between_retries(
    settings: Settings, slack: SlackEmulator
) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=30)
    started = time.monotonic()

    response = await create_client(settings).chat_postMessage(channel="C1", text="hello")

    assert response["ok"] is True
    assert time.monotonic() - started < 5
    assert [call.answered_status for call in slack.calls] == [429, 200]
