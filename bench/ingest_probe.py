"""Quick probe: ingestion rate over HTTP as the log grows (a real `smarketing run` process)."""

from __future__ import annotations

import itertools
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.server import served_app
from bench.workspace import Scale, lead_events

TOKEN = "bench-token"


def main() -> None:
    leads = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    events = int(sys.argv[2]) if len(sys.argv) > 2 else leads * 10
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    database_url = os.environ.get("BENCH_DATABASE_URL")
    folder = Path(tempfile.mkdtemp())
    database_url = database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    env = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": "bench",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "SMARKETING_INGEST_TOKEN": TOKEN,
    }
    with served_app(env) as url, httpx.Client(timeout=120) as http:
        stream = lead_events(
            Scale(reps=500, leads=leads, events=events, campaigns=50),
            end=datetime(2026, 11, 1, tzinfo=UTC),
            seed=seed,
        )
        rates: list[float] = []
        total = 0
        started = time.perf_counter()
        while batch := list(itertools.islice(stream, 500)):
            t = time.perf_counter()
            r = http.post(
                f"{url}/api/events",
                json={"events": batch},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            r.raise_for_status()
            rates.append(len(batch) / (time.perf_counter() - t))
            total += len(batch)
            if len(rates) % 200 == 0:
                print(
                    f"{total:>9,} events  median of last 200 batches: "
                    f"{statistics.median(rates[-200:]):,.0f} events/s",
                    flush=True,
                )
        print(
            f"total {total:,} events in {time.perf_counter() - started:.1f}s; "
            f"median batch rate {statistics.median(rates):,.0f} events/s; db {database_url}"
        )


if __name__ == "__main__":
    main()
