"""Part 1: the workspace's events sent to POST /api/events in batches of 500, against the raw
insert rate of the same rows into `lead_event` with SQLAlchemy Core `executemany`.

The baseline stores exactly the rows the API appends to the log — one `lead_event` row per
event, its payload as `bot.ingest` builds it — in batches of 500, one transaction per batch,
into a fresh database of the same kind with the same schema (indexes included). It does not
maintain the lead projection: that is the work the app does beyond the raw insert, and what
the ratio prices.

At full scale the two run interleaved, batch by batch (each batch posted, then the same
batch inserted raw): on a shared machine whose speed drifts by a third within minutes, two
runs made one after the other gave ratios from 21% to 30% for the same code. Interleaved,
both see the same machine and the same growth of the log.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import insert

from bench.server import Served
from bench.workspace import Scale, lead_events
from bot.events_api import parse_events
from services.lead_events import LeadAssigned, event_payloads
from storage.db import Database
from storage.models import LeadEvent

BATCH = 500
INGEST_TOKEN = "bench-ingest-token"


@dataclass
class Rate:
    """Events per second: the median over batches (each timed alone), the median over the
    last tenth of them (the log nearly whole), and the rate over all batches' time together
    (`wall`: the slow batches, those that checkpoint, weigh in it as they do on a clock)."""

    events: int
    batches: int
    seconds: float
    median: float
    last_tenth: float
    wall: float


def _rate(events: int, seconds: float, rates: list[float]) -> Rate:
    tenth = max(1, len(rates) // 10)
    return Rate(
        events=events,
        batches=len(rates),
        seconds=seconds,
        median=statistics.median(rates),
        last_tenth=statistics.median(rates[-tenth:]),
        wall=events / seconds,
    )


def _batches(scale: Scale, end: datetime) -> Iterator[list[dict[str, Any]]]:
    stream = lead_events(scale, end=end)
    while batch := list(itertools.islice(stream, BATCH)):
        yield batch


class RawLog:
    """The baseline's own database: each batch's log rows, one Core `executemany` and one
    transaction a batch, timed."""

    def __init__(self, database_url: str, *, background_checkpoints: bool = True) -> None:
        self.db = Database(database_url, background_checkpoints=background_checkpoints)
        self.db.upgrade()
        self.table = LeadEvent.__table__  # type: ignore[attr-defined]
        self.rates: list[float] = []
        self.events = 0
        self.spent = 0.0

    def insert(self, batch: list[dict[str, Any]]) -> None:
        rows = log_rows(batch, received_at=datetime.now(UTC))
        started = time.perf_counter()
        with self.db.engine.begin() as connection:
            connection.execute(insert(self.table), rows)
        elapsed = time.perf_counter() - started
        self.spent += elapsed
        self.rates.append(len(rows) / elapsed)
        self.events += len(rows)

    def rate(self) -> Rate:
        # The wall rate counts only the inserts: building the rows is the generator's work.
        return _rate(self.events, self.spent, self.rates)

    def close(self) -> None:
        self.db.dispose()


def over_http(
    served: Served,
    scale: Scale,
    *,
    end: datetime,
    progress: Any = None,
    raw: RawLog | None = None,
) -> Rate:
    """POST every event of the workspace, BATCH a request; each request timed from send to
    reply (the body is encoded before the clock starts). With `raw`, each batch is then
    inserted raw too (see the module's note). The wall rate counts the requests' time only."""
    rates: list[float] = []
    total = 0
    spent = 0.0
    headers = {"Authorization": f"Bearer {INGEST_TOKEN}", "Content-Type": "application/json"}
    with httpx.Client(timeout=300) as http:
        for batch in _batches(scale, end):
            body = json.dumps({"events": batch}).encode()
            sent = time.perf_counter()
            response = http.post(f"{served.url}/api/events", content=body, headers=headers)
            elapsed = time.perf_counter() - sent
            response.raise_for_status()
            if response.json()["stored"] != len(batch):
                raise RuntimeError(f"the app stored {response.json()} of {len(batch)} events")
            spent += elapsed
            rates.append(len(batch) / elapsed)
            total += len(batch)
            if raw is not None:
                raw.insert(batch)
            if progress is not None:
                progress(total)
    return _rate(total, spent, rates)


def log_rows(batch: list[dict[str, Any]], *, received_at: datetime) -> list[dict[str, Any]]:
    """The `lead_event` rows the API appends for these events (owners given by Slack id)."""
    parsed, problems = parse_events({"events": batch})
    if problems:
        raise RuntimeError(f"generated events refused: {problems[:3]}")
    rows = []
    for event, payload in zip(parsed, event_payloads(parsed), strict=True):
        if isinstance(event, LeadAssigned):
            payload["owner_id"] = event.owner.slack_user_id
            payload["owner_email"] = None
        rows.append(
            {
                "event_id": event.id,
                "type": event.type,
                "lead_external_id": event.lead.external_id,
                "occurred_at": event.occurred_at,
                "received_at": received_at,
                "origin": "api",
                "actor_id": None,
                "payload": payload,
            }
        )
    return rows


def raw_insert(database_url: str, scale: Scale, *, end: datetime, progress: Any = None) -> Rate:
    """The same rows with Core `executemany`, BATCH a transaction, into a fresh database."""
    raw = RawLog(database_url)
    try:
        for batch in _batches(scale, end):
            raw.insert(batch)
            if progress is not None:
                progress(raw.events)
    finally:
        raw.close()
    return raw.rate()
