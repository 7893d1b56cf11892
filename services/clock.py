"""The clock the app reads `now` from; tests inject their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, time-zone aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ShiftedClock:
    """The system's time moved by whole days (and hours): the local workspace played on another
    day, or at another hour."""

    def __init__(self, days: int, hours: int = 0) -> None:
        self.shift = timedelta(days=days, hours=hours)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift
