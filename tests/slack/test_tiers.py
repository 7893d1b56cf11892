"""Slack's published rate limits, in the project's emulator and in the app's client: the
emulator refuses calls past a method's tier with 429 and Retry-After (as Slack does), and the
app's pacer keeps a run of calls inside the tier so that none is refused. The pacer's test
shrinks the minute a hundredfold on both sides, so it takes a second or two, not minutes; the
emulator's own tests keep Slack's minute, which they never wait out, so that a slow machine
cannot spread their calls past a shrunk one."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_client import PacedWebClient, TierPacer
from domain import slack_tiers
from tests.slack.emulator import SlackEmulator

SPEED = 100  # a Slack minute lasts 0.6 s here
TOKEN = "xoxb-test-token"


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    emulator = SlackEmulator(bot_token=TOKEN)
    emulator.start()
    emulator.add_user("U1", name="one")
    emulator.enforce_tiers(minute=60 / SPEED)
    yield emulator
    emulator.stop()


def client(slack: SlackEmulator, *, paced: bool) -> AsyncWebClient:
    if paced:
        return PacedWebClient(pacer=TierPacer(speed=SPEED), token=TOKEN, base_url=slack.api_url)
    return AsyncWebClient(token=TOKEN, base_url=slack.api_url)


def test_the_emulator_refuses_a_tier_2_method_past_20_a_minute(slack: SlackEmulator) -> None:
    slack.enforce_tiers(minute=60.0)  # Slack's own: 25 calls cannot outlast it, however slow

    async def calls() -> int:
        unpaced = client(slack, paced=False)
        for number in range(25):
            try:
                await unpaced.users_list(limit=200)
            except SlackApiError as error:
                assert error.response.status_code == 429
                assert int(error.response.headers["Retry-After"]) >= 1
                return number
        return 25

    assert asyncio.run(calls()) == slack_tiers.TIER_PER_MINUTE[2]  # users.list is Tier 2


def test_the_emulator_takes_one_message_a_second_per_channel(slack: SlackEmulator) -> None:
    # At Slack's own minute: shrunk, a channel's second lasts 10 ms, and on a busy machine two
    # posts one after the other can be that far apart (the second then rightly taken).
    slack.enforce_tiers(minute=60.0)

    async def posts() -> list[str]:
        unpaced = client(slack, paced=False)
        said = []
        for channel in ("C1", "C1", "C2"):
            try:
                await unpaced.chat_postMessage(channel=channel, text="hi")
                said.append("ok")
            except SlackApiError as error:
                said.append(str(error.response["error"]))
        return said

    assert asyncio.run(posts()) == ["ok", "ratelimited", "ok"]


def test_the_pacer_keeps_a_run_of_calls_inside_the_tier(slack: SlackEmulator) -> None:
    calls = 45  # more than two Slack minutes' worth of a Tier 2 method

    async def run() -> float:
        paced = client(slack, paced=True)
        started = time.monotonic()
        for _ in range(calls):
            await paced.users_list(limit=200)  # a 429 would raise: no retry handler here
        return time.monotonic() - started

    elapsed = asyncio.run(run())

    refused = [call for call in slack.calls if call.answered_status == 429]
    assert refused == []
    # The floor the tier imposes: 20 in any one minute, so 45 calls need two minutes past the
    # first; the pacer keeps to it, and not much more.
    floor = (math.ceil(calls / slack_tiers.TIER_PER_MINUTE[2]) - 1) * 60 / SPEED
    assert floor <= elapsed < floor * 1.5
