"""Part 2: `smarketing import` of the workspace's leads as a CSV file, in a child process:
wall time, rows a second, and the child's peak resident memory.

The file has every column the import reads (services/csv_import.py, examples/leads.csv); a lead
the generator assigns names its rep in `owner_email`, so the import asks Slack (the emulator)
who each of the reps is, once each, as it would in a real workspace.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.server import child_env
from bench.workspace import Scale, lead_events

COLUMNS = (
    "external_id",
    "email",
    "name",
    "company",
    "source",
    "campaign",
    "persona",
    "fit",
    "interest",
    "owner_email",
    "created_at",
)


def owner_email(rep: str) -> str:
    return f"{rep.lower()}@reps.example"


@dataclass
class Imported:
    rows: int
    stored: int
    seconds: float
    rows_per_second: float
    peak_rss_mib: float  # the child's peak resident memory (ru_maxrss), mapped database included
    peak_heap_mib: float  # its peak RssAnon, sampled every SAMPLE_SECONDS: the heap alone
    file_mib: float


def write_leads_csv(path: Path, scale: Scale, *, end: datetime) -> int:
    """One row per lead of the workspace (its creation and first owner); rows written."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        pending: dict[str, Any] | None = None

        def flush(owner: str | None) -> None:
            nonlocal rows
            assert pending is not None
            lead = pending["lead"]
            writer.writerow(
                [
                    *(lead[column] for column in COLUMNS[:9]),
                    owner_email(owner) if owner else "",
                    pending["occurred_at"],
                ]
            )
            rows += 1

        for event in lead_events(scale, end=end):
            if event["type"] == "lead.created":
                if pending is not None:
                    flush(None)
                pending = event
            elif event["type"] == "lead.assigned" and pending is not None:
                flush(event["owner"]["slack_user_id"])
                pending = None
        if pending is not None:
            flush(None)
    return rows


SAMPLE_SECONDS = 0.05


class _HeapSampler(threading.Thread):
    """The highest RssAnon a process shows while it runs: its heap, without the pages of the
    database SQLite maps in (which ru_maxrss counts, and which the OS may drop at will)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            try:
                with open(f"/proc/{self.pid}/status") as status:
                    for line in status:
                        if line.startswith("RssAnon:"):
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
            except OSError:  # ended between two samples
                return


def run_import(csv_path: Path, env: dict[str, str]) -> Imported:
    """`python -m bot import FILE` with the settings in `env` (the database migrated already),
    run beside the file; its own rusage from wait4, so no other child's memory is counted."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "bot", "import", str(csv_path)],
            env=child_env(env),
            cwd=csv_path.parent,
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        sampler = _HeapSampler(child.pid)
        sampler.start()
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        report = out.read()
    if child.returncode != 0:
        raise RuntimeError(f"smarketing import exited {child.returncode}:\n{report}")
    rows = _count(report, "Rows read from")
    stored = _count(report, "Leads stored")
    return Imported(
        rows=rows,
        stored=stored,
        seconds=seconds,
        rows_per_second=rows / seconds,
        peak_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        peak_heap_mib=sampler.peak_kib / 1024,
        file_mib=csv_path.stat().st_size / 2**20,
    )


def _count(report: str, label: str) -> int:
    found = re.search(rf"^{label}[^:]*: ([\d,]+)", report, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no {label!r} line in the import's report:\n{report}")
    return int(found.group(1).replace(",", ""))
