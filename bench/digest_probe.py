"""Quick probe: time and memory of building the weekly digest and the monthly report on SQLite
workspaces of growing size, in process, with the query plan of every statement they run.

    python -m bench.digest_probe [LEADS:EVENTS ...]
    (default: 1000:10000 10000:100000 100000:1000000)

Each workspace is generated once through the real ingestion path (`bot.ingest.ingest`, batches
of 1,000, no HTTP) into BENCH_DIR (default: $TMPDIR/smarketing-bench) and reused afterwards.
Every size and job is measured in a fresh process: first a cold build (new process, new
connection, the database file dropped from the OS page cache), then RUNS warm builds, then one
build under tracemalloc. A build is what `run_digest`/`run_monthly` do before posting: the
figures from storage plus the digest (`_weekly`/`_monthly`), the message, and the chart.
"""

from __future__ import annotations

import asyncio
import ctypes
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import event

from bench.workspace import Scale, lead_events

END = datetime(2026, 11, 1, tzinfo=UTC)  # as bench.ingest_probe: a year of history before it
WEEKLY_AT = datetime(2026, 10, 26, 9, 5, tzinfo=UTC)  # a Monday: reports 19–25 October
MONTHLY_AT = datetime(2026, 10, 1, 9, 5, tzinfo=UTC)  # first working day: reports September
RUNS = 7
REPLAYS = 5
SLOW_MS = 200.0
DEFAULT_SIZES = ("1000:10000", "10000:100000", "100000:1000000")
JOBS = ("weekly", "monthly")


@dataclass
class Statement:
    sql: str
    parameters: list[Any]
    caller: str
    plan: list[str] = field(default_factory=list)
    replay_ms: float = 0.0  # median of REPLAYS standalone runs, rows fetched


@dataclass
class Measured:
    job: str
    leads: int
    events: int
    cold: dict[str, float]  # phase → ms
    warm: dict[str, list[float]]  # phase → ms per run
    queries: int
    heap_build_mib: float  # tracemalloc peak: figures, digest, message
    heap_chart_mib: float  # tracemalloc peak: the chart
    # The cold build's growth of the process's resident memory, split as Linux counts it:
    # anon is the heap (Python objects, SQLite's page cache), file the pages of mapped files
    # (the database through SQLite's mmap: shared with the OS page cache, reclaimable).
    anon_build_mib: float  # over the figures, digest and message
    file_build_mib: float
    anon_chart_mib: float  # over the chart (the first in the process: matplotlib's fonts)
    peak_rss_mib: float  # the process's peak RSS at the end of the cold build
    sqlite_peak_mib: float  # SQLite's own allocations at their peak in the cold build (-1: unknown)
    statements: list[Statement]


class _Fixed:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


# ---------------------------------------------------------------------------- generating


def database_for(leads: int, events: int) -> Path:
    """The workspace's SQLite file, generated on first use."""
    folder = Path(os.environ.get("BENCH_DIR") or Path(tempfile.gettempdir()) / "smarketing-bench")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"digest-{leads}-{events}.sqlite3"
    if not path.exists():
        _generate(path, Scale(reps=500, leads=leads, events=events, campaigns=50))
    return path


def _generate(path: Path, scale: Scale) -> None:
    from bot.events_api import parse_events
    from bot.ingest import ingest
    from bot.services import Services
    from bot.settings import load_settings
    from storage import workspace
    from storage.db import Database

    # Written aside and renamed when whole, so an interrupted run is never reused.
    partial = path.with_name(path.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{partial}"
    db = Database(url)
    db.upgrade()
    settings = load_settings(None, database_url=url, smarketing_timezone="UTC")
    services = Services(settings, db, _Fixed(END), AsyncWebClient(token="xoxb-bench"))

    async def store_all() -> int:
        stream = lead_events(scale, end=END)
        total = 0
        started = time.perf_counter()
        while batch := list(itertools.islice(stream, 1_000)):
            parsed, problems = parse_events({"events": batch})
            if problems:
                raise RuntimeError(f"generated events refused: {problems[:3]}")
            await ingest(services, parsed, origin="api")
            total += len(batch)
            if total % 100_000 < len(batch):
                rate = total / (time.perf_counter() - started)
                print(f"  {path.name}: {total:>9,} events stored ({rate:,.0f}/s)", flush=True)
        return total

    started = time.perf_counter()
    total = asyncio.run(store_all())
    with db.session() as session:
        # A target, as in bench.latency_probe, so the digest computes its goal too.
        workspace.set_revenue_target(
            session, amount=Decimal(5_000_000), period="year", by="UBENCH", at=END
        )
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    partial.rename(path)
    print(f"  generated {path} ({total:,} events) in {time.perf_counter() - started:.0f}s")


# ---------------------------------------------------------------------------- measuring


def _memory() -> dict[str, float]:
    """MiB: peak RSS so far, and the RSS now as heap (RssAnon) and mapped file pages (RssFile)."""
    found = {"hwm": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("RssAnon", "RssFile"):
                found[name] = int(value.split()[0]) / 1024
    return found


def _sqlite_library() -> ctypes.CDLL | None:
    """The SQLite library the sqlite3 module runs on, when it is a shared one: its memory
    counters are then the ones our connections move (a private copy's would read zero)."""
    import sqlite3  # noqa: F401  (loads the library, if the engine has not yet)

    with open("/proc/self/maps") as maps:
        for line in maps:
            where = line.split()[-1]
            if "libsqlite3" in where:
                library = ctypes.CDLL(where)
                library.sqlite3_memory_highwater.restype = ctypes.c_int64
                return library
    return None


def _evict(path: Path) -> None:
    """Drop the database's pages from the OS page cache (clean pages only; no root needed)."""
    for file in (path, Path(f"{path}-wal")):
        if file.exists():
            fd = os.open(file, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def measure(path: Path, job: str, leads: int, events: int) -> Measured:
    """One job on one workspace, in this (fresh) process."""
    from bot.chart import render_pace_chart
    from bot.jobs import _monthly, _weekly
    from bot.services import Services
    from bot.settings import load_settings
    from bot.views.digest import digest_message, digest_text
    from domain import schedule
    from storage.db import Database

    url = f"sqlite:///{path}"
    settings = load_settings(None, database_url=url, smarketing_timezone="UTC")
    db = Database(url)
    now = WEEKLY_AT if job == "weekly" else MONTHLY_AT
    services = Services(settings, db, _Fixed(now), AsyncWebClient(token="xoxb-bench"))
    if job == "weekly":
        weekly_due = schedule.digest_due(schedule.DigestSchedule(), now=now, tz=settings.timezone)
        assert weekly_due is not None
        due = weekly_due
    else:
        monthly_due = schedule.monthly_due(schedule.DigestSchedule().at, now=now, tz=UTC)
        assert monthly_due is not None
        due = monthly_due
    build_job = _weekly if job == "weekly" else _monthly

    statements: list[Statement] = []
    sql = {"seconds": 0.0, "count": 0, "labelled": False}

    def before(conn: Any, cursor: Any, text: str, parameters: Any, *_: Any) -> None:
        if sql["labelled"]:
            statements.append(Statement(text, list(parameters), _caller()))
        sql["count"] += 1
        conn.info["started"] = time.perf_counter()

    def after(conn: Any, *_: Any) -> None:
        sql["seconds"] += time.perf_counter() - conn.info.pop("started")

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)

    def build(memory: dict[str, dict[str, float]] | None = None) -> dict[str, float]:
        """One build, timed by phase; with `memory`, the RSS after each phase too."""
        sql.update(seconds=0.0, count=0)
        started = time.perf_counter()
        with db.session() as session:
            built = build_job(session, services, due=due, now=now)
        built_at = time.perf_counter()
        digest_message(built.digest)
        digest_text(built.digest)
        message_at = time.perf_counter()
        if memory is not None:
            memory["message"] = _memory()
        chart_started = time.perf_counter()
        if built.chart is not None:
            render_pace_chart(built.chart)
        chart_at = time.perf_counter()
        if memory is not None:
            memory["chart"] = _memory()
        phases = {
            "build": (built_at - started) * 1000,
            "message": (message_at - built_at) * 1000,
            "chart": (chart_at - chart_started) * 1000,
        }
        return {"sql": float(sql["seconds"]) * 1000, **phases, "total": sum(phases.values())}

    _evict(path)
    sqlite_library = _sqlite_library()
    if sqlite_library is not None:
        sqlite_library.sqlite3_memory_highwater(1)
    rss = {"start": _memory()}
    cold = build(rss)
    sqlite_peak = -1.0
    if sqlite_library is not None:
        sqlite_peak = sqlite_library.sqlite3_memory_highwater(0) / 2**20
    warm: dict[str, list[float]] = {}
    for _ in range(RUNS):
        for phase, ms in build().items():
            warm.setdefault(phase, []).append(ms)
    queries = int(sql["count"])

    tracemalloc.start()
    with db.session() as session:
        built = build_job(session, services, due=due, now=now)
    digest_message(built.digest)
    digest_text(built.digest)
    _current, heap_build = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    if built.chart is not None:
        render_pace_chart(built.chart)
    _current, heap_chart = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # One more build, untimed, to note each statement and which function ran it.
    sql["labelled"] = True
    with db.session() as session:
        build_job(session, services, due=due, now=now)
    event.remove(db.engine, "before_cursor_execute", before)
    event.remove(db.engine, "after_cursor_execute", after)
    _explain(db, statements)
    db.dispose()
    return Measured(
        job=job,
        leads=leads,
        events=events,
        cold=cold,
        warm=warm,
        queries=queries,
        heap_build_mib=heap_build / 2**20,
        heap_chart_mib=heap_chart / 2**20 if built.chart is not None else 0.0,
        anon_build_mib=rss["message"]["RssAnon"] - rss["start"]["RssAnon"],
        file_build_mib=rss["message"]["RssFile"] - rss["start"]["RssFile"],
        anon_chart_mib=rss["chart"]["RssAnon"] - rss["message"]["RssAnon"],
        peak_rss_mib=rss["chart"]["hwm"],
        sqlite_peak_mib=sqlite_peak,
        statements=statements,
    )


def _caller() -> str:
    """The project function that ran the statement being executed: `storage/sla.py:_breaches`."""
    root = Path(__file__).resolve().parent.parent
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        where = Path(frame.f_code.co_filename)
        if where.is_relative_to(root) and where.parts[len(root.parts)] in ("storage", "bot"):
            return f"{where.relative_to(root)}:{frame.f_code.co_name}"
        frame = frame.f_back
    return "?"


def _explain(db: Any, statements: list[Statement]) -> None:
    """Each statement's plan, and its cost run alone (rows fetched) on a warm connection."""
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement in statements:
            rows = cursor.execute(
                "EXPLAIN QUERY PLAN " + statement.sql, statement.parameters
            ).fetchall()
            depth: dict[int, int] = {0: -1}
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, -1) + 1
                statement.plan.append("  " * depth[node] + str(detail))
            times = []
            for _ in range(REPLAYS):
                started = time.perf_counter()
                cursor.execute(statement.sql, statement.parameters).fetchall()
                times.append((time.perf_counter() - started) * 1000)
            statement.replay_ms = statistics.median(times)
    finally:
        raw.close()


# ---------------------------------------------------------------------------- reporting


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.1f} ms ({min(values):.1f}–{max(values):.1f})"


def _full_scans(statement: Statement) -> list[str]:
    """Plan lines that read a whole table or index of the lead data."""
    return [
        line.strip()
        for line in statement.plan
        if line.strip().startswith("SCAN ") and line.strip().split()[1] in ("lead", "lead_event")
    ]


def _report(results: list[Measured]) -> None:
    for job in JOBS:
        rows = [result for result in results if result.job == job]
        print(f"\n{job}: median of {RUNS} warm builds (min–max), then the cold first build")
        for result in rows:
            print(f"  {result.leads:,} leads / {result.events:,} events, {result.queries} queries")
            for phase in ("sql", "build", "message", "chart", "total"):
                cold = result.cold[phase]
                print(f"    {phase:8} {_spread(result.warm[phase])}   cold {cold:7.1f} ms")
            print(
                f"    memory   heap peak {result.heap_build_mib:.2f} MiB build+message, "
                f"{result.heap_chart_mib:.2f} MiB chart"
            )
            print(
                f"             cold RSS growth: build+message +{result.anon_build_mib:.1f} MiB "
                f"heap, +{result.file_build_mib:.1f} MiB mapped database; chart "
                f"+{result.anon_chart_mib:.1f} MiB heap; peak RSS {result.peak_rss_mib:.0f} MiB; "
                f"SQLite's own peak {result.sqlite_peak_mib:.1f} MiB (page cache, temp B-trees)"
            )
        for small, large in itertools.pairwise(rows):
            growth = large.events / small.events
            slower = statistics.median(large.warm["total"]) / statistics.median(small.warm["total"])
            queries = statistics.median(large.warm["sql"]) / statistics.median(small.warm["sql"])
            anon = large.anon_build_mib / max(small.anon_build_mib, 0.1)
            print(
                f"  ×{growth:.0f} log: total ×{slower:.2f}, queries ×{queries:.2f}, "
                f"heap peak ×{large.heap_build_mib / small.heap_build_mib:.2f}, "
                f"RSS heap growth ×{anon:.2f}"
            )
    largest = max((result.leads, result.events) for result in results)
    print(
        f"\nstatements at {largest[0]:,} leads / {largest[1]:,} events: each replayed alone on a "
        f"warm connection, rows fetched, median of {REPLAYS}; one line per run of it"
    )
    unique: dict[str, list[tuple[str, Statement]]] = {}
    for result in results:
        if (result.leads, result.events) == largest:
            for statement in result.statements:
                unique.setdefault(statement.sql, []).append((result.job, statement))
    for text, runs in unique.items():
        first = runs[0][1]
        flags = [f"FULL {scan}" for scan in _full_scans(first)]
        if "lead_event" in text:
            flags.append("READS THE EVENT LOG")
        if any(statement.replay_ms > SLOW_MS for _job, statement in runs):
            flags.append(f"SLOW (> {SLOW_MS:.0f} ms)")
        asked = [(job, repr(statement.parameters)) for job, statement in runs]
        if len(set(asked)) < len(asked):
            flags.append("RUN AGAIN WITH THE SAME PARAMETERS IN ONE BUILD")
        print(f"\n{first.caller}  {'  '.join(flags)}")
        print("  " + " ".join(text.split()))
        for line in first.plan:
            print(f"    {line}")
        times = ", ".join(f"{job} {statement.replay_ms:.2f}" for job, statement in runs)
        print(f"  ms: {times}")


def _run_child(path: Path, job: str, leads: int, events: int) -> Measured:
    """Measure in a fresh interpreter, so cold timings and RSS start from nothing."""
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.digest_probe",
            "measure",
            str(path),
            job,
            str(leads),
            str(events),
        ],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    data = json.loads(child.stdout.strip().splitlines()[-1])
    data["statements"] = [Statement(**statement) for statement in data["statements"]]
    return Measured(**data)


def _sizes(arguments: list[str]) -> Iterator[tuple[int, int]]:
    for argument in arguments or DEFAULT_SIZES:
        leads, _, events = argument.partition(":")
        yield int(leads), int(events or int(leads) * 10)


def main() -> None:
    if sys.argv[1:2] == ["measure"]:
        where, which, lead_count, event_count = sys.argv[2:6]
        measured = measure(Path(where), which, int(lead_count), int(event_count))
        print(json.dumps(asdict(measured), default=str))
        return
    stamp = "%a %Y-%m-%d %H:%M UTC"
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores; weekly digest at "
        f"{WEEKLY_AT.strftime(stamp)}, monthly report at {MONTHLY_AT.strftime(stamp)}"
    )
    results: list[Measured] = []
    for leads, events in _sizes(sys.argv[1:]):
        path = database_for(leads, events)
        size_mib = path.stat().st_size / 2**20
        print(f"{path} ({size_mib:,.0f} MiB)", flush=True)
        for job in JOBS:
            result = _run_child(path, job, leads, events)
            print(f"  {job}: median total {statistics.median(result.warm['total']):.1f} ms")
            results.append(result)
    _report(results)


if __name__ == "__main__":
    main()
