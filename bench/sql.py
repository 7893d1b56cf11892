"""The SQL a request or a job issues, as the driver received it, and the time of that same SQL
replayed alone on a warm connection: the floor under the app's own time."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event

from storage.db import create_engine_for


@dataclass(frozen=True)
class Statement:
    text: str
    parameters: Any  # a tuple (SQLite) or a dict (psycopg); a list of them when `many`
    many: bool


def _frozen(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return dict(parameters)
    if isinstance(parameters, list):
        return [_frozen(item) for item in parameters]
    return parameters


class Recorder:
    """Notes every statement run on an engine while `recording` is open (from any thread)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._seen: list[Statement] | None = None
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(
        self,
        _conn: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        with self._lock:
            if self._seen is not None:
                self._seen.append(Statement(statement, _frozen(parameters), executemany))

    @contextmanager
    def recording(self) -> Iterator[list[Statement]]:
        seen: list[Statement] = []
        with self._lock:
            self._seen = seen
        try:
            yield seen
        finally:
            with self._lock:
                self._seen = None

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)


@dataclass(frozen=True)
class Replayed:
    total_ms: float  # median over repeats of the whole sequence
    each_ms: list[float]  # each statement's median, in the order run


def replay(database_url: str, statements: list[Statement], *, repeats: int) -> Replayed:
    """Run `statements` in order, rows fetched, on one warm connection of an engine tuned as
    the app's, `repeats` times (after one to warm the connection and the cache); each repeat
    is rolled back, so writes among them change nothing."""
    if not statements:
        return Replayed(0.0, [])
    engine = create_engine_for(database_url)
    raw = engine.raw_connection()
    totals: list[float] = []
    each: list[list[float]] = [[] for _ in statements]
    try:
        for attempt in range(repeats + 1):
            cursor = raw.cursor()
            run: list[float] = []
            for statement in statements:
                started = time.perf_counter()
                if statement.many:
                    cursor.executemany(statement.text, statement.parameters)
                else:
                    cursor.execute(statement.text, statement.parameters)
                if cursor.description is not None:
                    cursor.fetchall()
                run.append((time.perf_counter() - started) * 1000)
            cursor.close()
            raw.rollback()
            if attempt:
                totals.append(sum(run))
                for times, elapsed in zip(each, run, strict=True):
                    times.append(elapsed)
    finally:
        raw.close()
        engine.dispose()
    return Replayed(statistics.median(totals), [statistics.median(times) for times in each])


def one_line(text: str, width: int = 160) -> str:
    """A statement on one line, cut to `width` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
