"""The HubSpot connector's scheduled work: webhook events applied, write-backs sent, and the
catch-up sync. Each is safe to run twice or in two processes (ids and claims, DESIGN §5)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from connectors.hubspot.client import HubSpotError
from services.context import Services
from services.hubspot_sync import process_inbox, sync
from services.hubspot_write_back import send_write_backs

logger = logging.getLogger("smarketing.hubspot")


@dataclass
class _Running:
    again: bool = False


# One connector run at a time per store in this process: a burst of deliveries (HubSpot sends
# ten at once) each asks for a run; the one running goes round again instead of ten runs
# reading and applying the same events side by side.
_RUNNING: dict[str, _Running] = {}


async def run_connector(services: Services) -> None:
    """Apply what webhooks brought, then send what reps did; every minute and after each
    delivery."""
    if not services.settings.hubspot_on:
        return
    running = _RUNNING.get(services.db.url)
    if running is not None:
        running.again = True
        return
    running = _RUNNING[services.db.url] = _Running()
    try:
        while True:
            running.again = False
            if not await _once(services) and not running.again:
                return
    finally:
        del _RUNNING[services.db.url]


async def _once(services: Services) -> bool:
    """One pass; True when it applied or sent something (there may be more)."""
    try:
        applied = await process_inbox(services)
        sent = await send_write_backs(services)
    except SQLAlchemyError as error:
        logger.warning("HubSpot connector: the database did not answer (%s)", error)
        return False
    if applied.applied or applied.postponed or sent.sent or sent.retrying or sent.failed:
        logger.info(
            "HubSpot: %d webhook events applied (%d lead events), %d postponed; "
            "write-backs %d sent, %d to retry, %d failed",
            applied.applied,
            applied.stored,
            applied.postponed,
            sent.sent,
            sent.retrying,
            sent.failed,
        )
    return bool(applied.applied or sent.sent)


async def run_sync(services: Services) -> None:
    """The catch-up sync: contacts changed since the last one (what a lost webhook missed)."""
    if not services.settings.hubspot_on:
        return
    try:
        run = await sync(services)
    except (HubSpotError, SQLAlchemyError) as error:
        logger.warning("HubSpot sync stopped: %s; the next run starts from the same point", error)
        return
    logger.info("HubSpot sync: %d contacts read, %d lead events stored", run.contacts, run.stored)
