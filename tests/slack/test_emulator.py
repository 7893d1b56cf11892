"""Tests of the Slack emulator and signing helpers, driven by real slack_sdk clients."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.slack.emulator import SlackEmulator
from tests.slack.signing import (
    event_body,
    interaction_body,
    json_headers,
    slack_headers,
    slash_command_body,
)

TOKEN = "xoxb-test-token"


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    emu = SlackEmulator(bot_token=TOKEN)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


def _client(emulator: SlackEmulator, **kwargs) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=emulator.api_url, **kwargs)


async def test_rate_limit_is_retried_after_retry_after(emulator: SlackEmulator) -> None:
    emulator.fail("chat.postMessage", status=429, retry_after=1)
    client = _client(emulator, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])

    resp = await client.chat_postMessage(channel="C123", text="hello")

    assert resp["ok"] is True
    calls = emulator.calls
    assert [c.method for c in calls] == ["chat.postMessage", "chat.postMessage"]
    assert [c.answered_status for c in calls] == [429, 200]
    assert len(emulator.calls_to("chat.postMessage")) == 1


async def test_server_error_is_retried(emulator: SlackEmulator) -> None:
    emulator.fail("auth.test", status=500)
    handler = AsyncServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
    )
    client = _client(emulator, retry_handlers=[handler])

    resp = await client.auth_test()

    assert resp["user_id"] == "UBOT"
    assert [c.answered_status for c in emulator.calls] == [500, 200]


async def test_lookup_by_unknown_email_is_users_not_found(emulator: SlackEmulator) -> None:
    emulator.add_user("U1", name="ada", email="Ada@Example.com", tz="Europe/London")
    client = _client(emulator)

    with pytest.raises(SlackApiError) as excinfo:
        await client.users_lookupByEmail(email="nobody@example.com")
    assert excinfo.value.response["error"] == "users_not_found"

    found = await client.users_lookupByEmail(email="ada@example.COM")
    assert found["user"]["id"] == "U1"
    assert found["user"]["profile"]["email"] == "Ada@Example.com"
    assert isinstance(found["user"]["tz_offset"], int)


async def test_invalid_block_is_rejected(emulator: SlackEmulator) -> None:
    client = _client(emulator)

    with pytest.raises(SlackApiError) as excinfo:
        await client.chat_postMessage(channel="C123", text="fallback", blocks=[{"type": "section"}])
    assert excinfo.value.response["error"] == "invalid_blocks"
    assert emulator.calls_to("chat.postMessage") == []

    good = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    resp = await client.chat_postMessage(channel="C123", text="fallback", blocks=good)
    assert resp["ts"]
    assert emulator.calls_to("chat.postMessage")[0].params["blocks"] == good


async def test_files_upload_v2_end_to_end(emulator: SlackEmulator) -> None:
    client = _client(emulator)

    resp = await client.files_upload_v2(
        channel="C123", content=b"png-bytes", filename="chart.png", initial_comment="numbers"
    )

    file_id = resp["file"]["id"]
    assert emulator.uploaded(file_id) == b"png-bytes"
    complete = emulator.calls_to("files.completeUploadExternal")[0]
    assert complete.params["channel_id"] == "C123"
    assert complete.params["files"][0]["id"] == file_id


async def test_conversations_open_gives_dm_channel(emulator: SlackEmulator) -> None:
    emulator.add_user("U42", name="grace")
    emulator.add_user("U43", name="gone", deleted=True)
    client = _client(emulator)

    resp = await client.conversations_open(users="U42")
    assert resp["channel"]["id"] == "DU42"

    with pytest.raises(SlackApiError) as excinfo:
        await client.conversations_open(users="U43")
    assert excinfo.value.response["error"] == "user_not_found"


async def test_channel_state_and_response_url(emulator: SlackEmulator) -> None:
    emulator.add_channel("CARCH", name="old", is_archived=True)
    emulator.add_channel("COUT", name="private-ish", bot_is_member=False)
    client = _client(emulator)

    for channel, error in (("CARCH", "is_archived"), ("COUT", "not_in_channel")):
        with pytest.raises(SlackApiError) as excinfo:
            await client.chat_postMessage(channel=channel, text="x")
        assert excinfo.value.response["error"] == error

    url = emulator.new_response_url()
    webhook = AsyncWebhookClient(url)
    sent = await webhook.send(text="done", response_type="ephemeral")
    assert sent.status_code == 200
    assert emulator.responses(url) == [{"text": "done", "response_type": "ephemeral"}]


def test_sync_client_auth_and_bad_token(emulator: SlackEmulator) -> None:
    assert WebClient(token=TOKEN, base_url=emulator.api_url).auth_test()["team_id"] == "T0TEST"
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(token="xoxb-wrong", base_url=emulator.api_url).auth_test()
    assert excinfo.value.response["error"] == "invalid_auth"
    emulator.reset()
    assert emulator.calls == []


def test_signing_helpers_verify() -> None:
    verifier = SignatureVerifier("shh")
    body = slash_command_body(
        command="/numbers", text="week", user_id="U1", response_url="http://x/response/1"
    )
    headers = slack_headers(body, signing_secret="shh")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert urllib.parse.parse_qs(body)["command"] == ["/numbers"]

    payload = json.loads(
        urllib.parse.parse_qs(interaction_body({"type": "block_actions"}))["payload"][0]
    )
    assert payload == {"type": "block_actions"}

    event = event_body({"type": "app_home_opened", "user": "U1"})
    jh = json_headers(event, signing_secret="shh")
    assert jh["Content-Type"] == "application/json"
    assert verifier.is_valid(event, jh["X-Slack-Request-Timestamp"], jh["X-Slack-Signature"])
    assert json.loads(event)["type"] == "event_callback"
