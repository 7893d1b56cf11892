"""The one Web API client every outgoing Slack call goes through, with slack_sdk's retries."""

from __future__ import annotations

import asyncio
import collections
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


class _Window:
    """At most `limit` calls in any `window` seconds: the calls' times are kept, and a call
    that would be one too many waits until the oldest leaves the window."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.times: collections.deque[float] = collections.deque()
        self.lock = asyncio.Lock()

    async def take(self) -> None:
        async with self.lock:
            now = time.monotonic()
            while self.times and self.times[0] <= now - self.window:
                self.times.popleft()
            if len(self.times) >= self.limit:
                await asyncio.sleep(self.times[0] + self.window - now)
                self.times.popleft()
            self.times.append(time.monotonic())


class TierPacer:
    """Keeps each method within its tier (domain/slack_tiers.py) before Slack has to refuse:
    at most a tier's calls in any minute per method, and for chat.postMessage a message a
    second per channel under the workspace's cap — Slack's own windows, a little longer
    (MARGIN) so that the two clocks never disagree into a 429. Bursts go at once; only a
    call past the limit waits. `speed` 1 is Slack's own pace; tests run it faster."""

    MARGIN = 1.02

    def __init__(self, *, speed: float = 1.0) -> None:
        self.speed = speed
        self._windows: dict[str, _Window] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def _window(self, key: str, limit: int, seconds: float) -> _Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(limit, seconds * self.MARGIN / self.speed)
        return window

    async def wait(self, method: str, channel: str | None) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # the windows' locks belong to one event loop
            self._windows, self._loop = {}, loop
        if method == "chat.postMessage":
            if channel:
                per_second = slack_tiers.POSTS_PER_CHANNEL_PER_SECOND
                await self._window(f"post:{channel}", per_second, 1.0).take()
            await self._window("post", slack_tiers.POSTS_PER_MINUTE, 60.0).take()
            return
        per_minute = slack_tiers.per_minute(method)
        if per_minute is not None:
            await self._window(method, per_minute, 60.0).take()


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
