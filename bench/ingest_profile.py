"""Where an ingested event's time goes (issue 18): the workspace's first events stored through
the app's own ingestion (`bot.events_api.parse_batch`, then `services.ingestion.ingest`, the
code behind POST /api/events, without HTTP) into a fresh database, BATCH at a time, with a
timer on each step and on every SQL statement (SQLAlchemy's cursor-execute events), against
the raw executemany of a generated workspace with as many events (bench/ingestion.py).

Figures are microseconds per event, summed over the run. Steps nest: `store` holds
`store_events`, which holds the reading, folding and writing below it; the SQL rows count the
database's own time for each kind of statement; "commit and the rest" is what `store` spent
outside the steps named (mostly the commit, which writes the WAL).

`python -m bench.ingest_profile [--database-url …] [--events 50000] [--without-lead-indexes]`
(the last drops every secondary index of `lead` first: the most fewer indexes could give)
"""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import itertools
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from bench import ingestion
from bench.stores import Stores, normalise
from bench.workspace import Scale, history_end, lead_events
from bot import events_api
from bot.settings import load_settings
from bot.slack_client import create_client
from services import duplicate_notices, speed_to_lead
from services import ingestion as service
from services.clock import SystemClock
from services.context import Services
from storage import events as storage_events
from storage import workspace
from storage.db import Database
from tests.storage.catalogue import index_definitions

BATCH = ingestion.BATCH
console = Console(highlight=False)
# (module, function, label): each is timed wherever it is called from.
STEPS: tuple[tuple[Any, str, str], ...] = (
    (events_api, "parse_batch", "parse and validate the body (pydantic-core)"),
    (service, "store", "store: one transaction"),
    (workspace, "rules", "  the rules in force (SLA, threshold)"),
    (service, "store_events", "  store_events"),
    (storage_events, "_known_event_ids", "    known event ids"),
    (storage_events, "_projection_rows", "    read the leads' rows"),
    (storage_events, "_facts_by_lead", "    read earlier history (re-folds)"),
    (storage_events, "fold", "    fold (new leads)"),
    (storage_events, "apply", "    apply (known leads)"),
    (storage_events, "_write_states", "    write the projection"),
    (storage_events, "_settle_duplicates", "      settle duplicates"),
    (storage_events, "_append", "    append to the log (what the raw insert does)"),
    (speed_to_lead, "queue", "  queue speed-to-lead messages"),
    (duplicate_notices, "queue", "  queue duplicate notices"),
)
COMMIT = "  commit (the WAL: the log's and the projection's pages)"


class Timers:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.sql: dict[str, float] = defaultdict(float)

    def wrap(self, function: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = function(*args, **kwargs)
                if inspect.isgenerator(result):  # its work is done as it is read: read it here
                    result = iter(list(result))
                return result
            finally:
                self.seconds[label] += time.perf_counter() - started

        return timed


@contextmanager
def timing(timers: Timers) -> Iterator[None]:
    """Timers on STEPS and on every statement, taken off afterwards."""
    saved = [(module, name, getattr(module, name)) for module, name, _ in STEPS]
    for (module, name, label), (_, _, original) in zip(STEPS, saved, strict=True):
        setattr(module, name, timers.wrap(original, label))

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started = conn.info["bench_started"].pop()
        timers.sql[_kind(statement)] += time.perf_counter() - started

    def committing(session: Any) -> None:
        session.info["bench_commit"] = time.perf_counter()

    def committed(session: Any) -> None:
        if "bench_commit" in session.info:
            timers.seconds[COMMIT] += time.perf_counter() - session.info.pop("bench_commit")

    listeners: list[tuple[Any, str, Callable[..., Any]]] = [
        (Engine, "before_cursor_execute", before),
        (Engine, "after_cursor_execute", after),
        (Session, "before_commit", committing),
        (Session, "after_commit", committed),
    ]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        yield
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)
        for module, name, original in saved:
            setattr(module, name, original)


def _kind(statement: str) -> str:
    """`SQL INSERT lead_event`: the statement's verb and its first table."""
    words = statement.replace('"', "").split()
    table = next(
        (words[i + 1] for i, word in enumerate(words[:-1]) if word in ("FROM", "INTO", "UPDATE")),
        "",
    )
    return f"SQL {words[0]} {table}".strip()


def drop_lead_indexes(db: Database) -> list[str]:
    """Every secondary index of `lead` dropped (its primary key and the unique external id
    stay): what the projection's indexes cost, priced by their absence. Returns their names."""
    names = sorted(name for name in index_definitions(db, "lead") if name.startswith("ix_lead_"))
    with db.engine.begin() as connection:
        for name in names:
            connection.exec_driver_sql(f"DROP INDEX {name}")
    return names


def profile(
    database_url: str, events: int, *, without_lead_indexes: bool = False
) -> tuple[int, float, Timers]:
    """Events stored, the seconds it took, and the timers."""
    db = Database(database_url)
    db.upgrade()
    if without_lead_indexes:
        console.print(f"without {len(drop_lead_indexes(db))} indexes of lead")
    settings = load_settings(None, database_url=database_url, smarketing_timezone="UTC")
    services = Services(settings, db, SystemClock(), create_client(settings))
    end = history_end(datetime.now(UTC).date())
    stream = itertools.islice(lead_events(Scale(), end=end), events)
    bodies = []  # as POST /api/events receives them
    count = 0
    while batch := list(itertools.islice(stream, BATCH)):
        bodies.append(json.dumps({"events": batch}).encode())
        count += len(batch)
    timers = Timers()

    async def store_all() -> None:
        for body in bodies:
            parsed = events_api.parse_batch(body)
            if parsed is None:
                _, problems = events_api.parse_events(json.loads(body))
                raise RuntimeError(f"generated events refused: {problems[:3]}")
            await service.ingest(services, parsed, origin="api")

    # As `smarketing run` does before serving: what start-up built is kept out of the collector.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    with timing(timers):
        asyncio.run(store_all())
    seconds = time.perf_counter() - started
    db.dispose()
    return count, seconds, timers


def show(stored: int, seconds: float, timers: Timers, raw_wall: float) -> None:
    per = 1e6 / stored
    table = Table(
        title=f"{stored:,} events in batches of {BATCH}: {seconds / stored * 1e6:.1f} µs an "
        f"event ({stored / seconds:,.0f} events/s) in process; the raw executemany of as many "
        f"rows: {1e6 / raw_wall:.1f} µs an event ({raw_wall:,.0f} events/s)",
        title_justify="left",
    )
    table.add_column("step")
    table.add_column("µs / event", justify="right")
    table.add_column("share", justify="right")
    total = seconds * 1e6 / stored
    for _, _, label in STEPS:
        if label in timers.seconds:
            value = timers.seconds[label] * per
            table.add_row(label, f"{value:.1f}", f"{value / total:.0%}")
    committing = timers.seconds[COMMIT] * per
    table.add_row(COMMIT, f"{committing:.1f}", f"{committing / total:.0%}")
    inside = sum(
        timers.seconds[label]
        for _, _, label in STEPS
        if label.startswith("  ") and not label.startswith("   ")
    )
    rest = (timers.seconds["store: one transaction"] - inside - timers.seconds[COMMIT]) * per
    table.add_row("  the rest of store", f"{rest:.1f}", f"{rest / total:.0%}")
    outside = total - (timers.seconds["store: one transaction"] + timers.seconds[STEPS[0][2]]) * per
    table.add_row("payloads, owners, the event loop", f"{outside:.1f}", f"{outside / total:.0%}")
    for what, value in sorted(timers.sql.items(), key=lambda item: -item[1]):
        table.add_row(
            f"{what} (the database's own time)", f"{value * per:.1f}", f"{value * per / total:.0%}"
        )
    console.print(table)


def main(
    database_url: Annotated[
        str | None, typer.Option(help="sqlite:///FILE (default: a temp file) or postgresql://…")
    ] = None,
    events: Annotated[int, typer.Option(help="Events to store.", min=BATCH)] = 50_000,
    without_lead_indexes: Annotated[
        bool, typer.Option(help="Drop every secondary index of lead first: what they cost.")
    ] = False,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = normalise(database_url or f"sqlite:///{Path(folder) / 'profile.sqlite3'}")
        stores = Stores(url)
        try:
            target, raw = stores.fresh("profile"), stores.fresh("profile-raw")
            stored, seconds, timers = profile(
                target, events, without_lead_indexes=without_lead_indexes
            )
            scale = Scale().fraction(events / Scale().events)
            raw_rate = ingestion.raw_insert(raw, scale, end=history_end(datetime.now(UTC).date()))
            show(stored, seconds, timers, raw_rate.wall)
            stores.drop(target)
            stores.drop(raw)
        finally:
            stores.close()


if __name__ == "__main__":
    typer.run(main)
