"""WAL pages a batch of events writes on SQLite: what a commit costs, counted rather than
timed, so the figure is the same on a busy machine as on an idle one.

The workspace's first events go through the app's own ingestion in process (`parse_batch`,
then `services.ingestion.ingest`, as `bench.ingest_profile` does) into a fresh SQLite file with
no checkpoints at all, and the `-wal` file's growth after each batch is its pages (4 KiB each,
plus a 24-byte frame header). `--raw` counts the raw insert of the same rows instead
(`bench.ingestion.RawLog`); `--drop INDEX` drops an index after migrating, to price it.

`python -m bench.wal_pages [--events 150000] [--raw] [--drop ix_lead_… …]`
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import event

from bench.ingestion import BATCH, RawLog
from bench.workspace import Scale, history_end, lead_events
from bot import events_api
from bot.settings import load_settings
from bot.slack_client import create_client
from services import ingestion as service
from services.clock import SystemClock
from services.context import Services
from storage.db import Database

FRAME_BYTES = 4096 + 24
console = Console(highlight=False)


def _no_checkpoints(engine: Any) -> None:
    """Each new connection of the engine leaves the WAL to grow (set after the app's pragmas)."""

    def connected(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    event.listen(engine, "connect", connected)


def _batches(events: int) -> Iterator[list[dict[str, Any]]]:
    stream = itertools.islice(
        lead_events(Scale(), end=history_end(datetime.now(UTC).date())), events
    )
    while batch := list(itertools.islice(stream, BATCH)):
        yield batch


def pages_per_batch(path: Path, events: int, *, raw: bool, drop: list[str]) -> list[float]:
    """The WAL pages each batch added, in order."""
    url = f"sqlite:///{path}"
    raw_log = RawLog(url, background_checkpoints=False) if raw else None
    db = raw_log.db if raw_log is not None else Database(url, background_checkpoints=False)
    if raw_log is None:
        db.upgrade()
    _no_checkpoints(db.engine)
    db.engine.dispose()  # the connections made while migrating checkpointed; start afresh
    with db.engine.begin() as connection:
        for name in drop:
            connection.exec_driver_sql(f"DROP INDEX {name}")
    settings = load_settings(None, database_url=url, smarketing_timezone="UTC")
    services = Services(settings, db, SystemClock(), create_client(settings))
    wal = Path(f"{path}-wal")
    sizes: list[int] = []

    async def store(batch: list[dict[str, Any]]) -> None:
        parsed = events_api.parse_batch(json.dumps({"events": batch}).encode())
        if parsed is None:
            raise RuntimeError("generated events refused")
        await service.ingest(services, parsed, origin="api")

    for batch in _batches(events):
        if raw_log is not None:
            raw_log.insert(batch)
        else:
            asyncio.run(store(batch))
        sizes.append(wal.stat().st_size)
    db.dispose()
    return [(after - before) / FRAME_BYTES for before, after in itertools.pairwise(sizes)]


def main(
    events: Annotated[int, typer.Option(help="Events to store.", min=BATCH * 4)] = 150_000,
    raw: Annotated[bool, typer.Option(help="The raw insert of the log rows instead.")] = False,
    drop: Annotated[list[str] | None, typer.Option(help="An index to drop first.")] = None,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        pages = pages_per_batch(Path(folder) / "wal.sqlite3", events, raw=raw, drop=drop or [])
    half = pages[len(pages) // 2 :]
    what = "the raw insert" if raw else "the app's ingestion"
    dropped = f", without {', '.join(drop)}" if drop else ""
    console.print(
        f"{what}{dropped}: WAL pages a batch of {BATCH}, median over the second half of "
        f"{len(pages) + 1} batches: {statistics.median(half):,.0f} "
        f"(mean {statistics.fmean(half):,.0f}; last batch {pages[-1]:,.0f})"
    )


if __name__ == "__main__":
    typer.run(main)
