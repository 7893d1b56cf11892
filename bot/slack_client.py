"""The one Web API client every outgoing Slack call goes through, with slack_sdk's retries."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

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
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.settings import Settings
from domain import slack_tiers

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


class _Bucket:
    """A token bucket: `rate` calls a second on average, `capacity` at once after a lull."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens, self.at = capacity, time.monotonic()
        self.lock = asyncio.Lock()

    async def take(self) -> None:
        async with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens < 1:
                await asyncio.sleep((1 - self.tokens) / self.rate)
                self.tokens, self.at = 1.0, time.monotonic()
            self.tokens -= 1


class TierPacer:
    """Keeps each method within its tier (domain/slack_tiers.py) before Slack has to refuse:
    one bucket per method, and for chat.postMessage one per channel (a message a second)
    under one for the workspace. A bucket refills at SHARE of the limit and holds the rest as
    a burst, so no window of the tier's length ever sees more calls than the tier allows.
    `speed` 1 is Slack's own pace; tests run it faster."""

    SHARE = 0.9

    def __init__(self, *, speed: float = 1.0) -> None:
        self.speed = speed
        self._buckets: dict[str, _Bucket] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def _bucket(self, key: str, limit: int, window: float) -> _Bucket:
        """`limit` calls in any `window` seconds (at speed 1)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            rate = self.SHARE * limit / window * self.speed
            bucket = self._buckets[key] = _Bucket(rate, max(1.0, (1 - self.SHARE) * limit))
        return bucket

    async def wait(self, method: str, channel: str | None) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # buckets' locks belong to one event loop
            self._buckets, self._loop = {}, loop
        if method == "chat.postMessage":
            if channel:
                per_second = slack_tiers.POSTS_PER_CHANNEL_PER_SECOND
                await self._bucket(f"post:{channel}", per_second, 1.0).take()
            await self._bucket("post", slack_tiers.POSTS_PER_MINUTE, 60.0).take()
            return
        per_minute = slack_tiers.per_minute(method)
        if per_minute is not None:
            await self._bucket(method, per_minute, 60.0).take()


class PacedWebClient(AsyncWebClient):
    """slack_sdk's client, each call first let through by the pacer (when there is one)."""

    def __init__(self, *, pacer: TierPacer | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pacer = pacer

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        if self.pacer is not None:
            sent = kwargs.get("json") or kwargs.get("data") or kwargs.get("params") or {}
            channel = sent.get("channel") if isinstance(sent, dict) else None
            await self.pacer.wait(api_method, str(channel) if channel else None)
        return await super().api_call(api_method, **kwargs)


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
    return PacedWebClient(
        # Paced to Slack's tiers at Slack's speed; tests that wait no Retry-After (scale 0)
        # are not paced, and a scale below 1 paces that much faster.
        pacer=TierPacer(speed=1 / scale) if scale > 0 else None,
        token=token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
            RateLimitWait(max_retry_count=3, scale=scale),
            AsyncServerErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
        ],
    )
