"""What every listener and job needs: settings, the store, the clock and the Slack client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from slack_sdk.web.async_client import AsyncWebClient

from services.clock import Clock
from services.config import Settings
from storage.db import Database

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    clock: Clock
    client: AsyncWebClient

    async def in_thread(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run blocking storage work off the event loop, so one slow query stalls no one else."""
        return await asyncio.to_thread(function, *args, **kwargs)
