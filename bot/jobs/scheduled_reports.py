"""The scheduled runs of the weekly digest and the monthly report: services/digests.py, drawn
with blocks/digest_message.py. What the scheduler and `smarketing jobs run` call."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from blocks.digest_message import DRAWING
from services import digests
from services.context import Services
from services.posting import METADATA_TYPE, Outcome, Status
from storage.postings import DIGEST, MONTHLY

__all__ = ["JOBS", "METADATA_TYPE", "Outcome", "Status", "run_digest", "run_due", "run_monthly"]


async def run_digest(services: Services, *, dry_run: bool = False) -> Outcome:
    """This week's digest, if its time has passed and it was not sent yet. `dry_run` builds
    it whatever the time and sends nothing."""
    return await digests.run_digest(services, drawing=DRAWING, dry_run=dry_run)


async def run_monthly(services: Services, *, dry_run: bool = False) -> Outcome:
    """The monthly management report, from the first working day of the month."""
    return await digests.run_monthly(services, drawing=DRAWING, dry_run=dry_run)


async def run_due(services: Services) -> list[Outcome]:
    """Everything due and not yet sent: on start (catch-up) and every few minutes (retries)."""
    return await digests.run_due(services, drawing=DRAWING)


JOBS: dict[str, Callable[..., Coroutine[Any, Any, Outcome]]] = {
    DIGEST: run_digest,
    MONTHLY: run_monthly,
}
