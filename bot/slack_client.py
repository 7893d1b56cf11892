"""The one Web API client every outgoing Slack call goes through, with slack_sdk's retries."""

from __future__ import annotations

import asyncio
import random

from slack_sdk.http_retry.async_handler import RetryState
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings

BACKOFF = 0.5  # slack_sdk's default: 0.5 s, 1 s, 2 s … plus up to 1 s of jitter


class RateLimitWait(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, waiting Retry-After (plus up to 1 s of jitter) times `scale`:
    1 in production; tests that do not check the wait itself make it 0."""

    def __init__(self, *, max_retry_count: int, scale: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.scale = scale

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        named = next(
            (
                values[0]
                for name, values in response.headers.items()
                if name.lower() == "retry-after"
            ),
            "1",
        )
        await asyncio.sleep(self.scale * (int(named) + random.random()))
        state.increment_current_attempt()


class _NoJitter(Jitter):
    def recalculate(self, duration: float) -> float:
        return duration


def create_client(settings: Settings) -> AsyncWebClient:
    """429s wait for Retry-After; 5xx and dropped connections are retried with backoff. Each
    wait is scaled by SLACK_RETRY_WAIT_SCALE (1 unless a test says otherwise)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    scale = settings.slack_retry_wait_scale
    backoff = (
        BackoffRetryIntervalCalculator(backoff_factor=BACKOFF)
        if scale == 1
        else BackoffRetryIntervalCalculator(backoff_factor=BACKOFF * scale, jitter=_NoJitter())
    )
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
            RateLimitWait(max_retry_count=3, scale=scale),
            AsyncServerErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
        ],
    )
