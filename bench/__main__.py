"""`python -m bench`: the benchmark suite of issue 7 — ingestion, CSV import, command latency,
the scheduled jobs and how they grow — on SQLite or PostgreSQL; a table and a JSON file.

For each size (100% of `--scale`, and 10% of it for the growth figures) a synthetic workspace
(bench/workspace.py) is sent to a real `smarketing run` process over POST /api/events (part 1;
without it the workspace is stored in process, or reused from $BENCH_DIR), its reps, managers
and target are added, the commands are timed against the same process with the Slack emulator
as Slack (part 3), and the jobs are run (part 4). At 100% only: the raw insert baseline (part 1)
and the CSV import (part 2). The served app runs without its scheduler, so no job interferes.
Part `hubspot` (issue 14): the HubSpot connector's webhooks and backfill (bench/hubspot.py).
Issue 18: part `burst`, the Monday-09:00 burst against the 100% workspace (bench/burst.py), and
part `tiers`, a nudge run within Slack's rate-limit tiers (bench/tiers.py).
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench import burst, hubspot, ingestion, jobs, latency, leads_import, tiers
from bench.report import Results, SizeRun, judge, show, write_json
from bench.server import BOT_TOKEN, Served, app_env, migrate, served_app
from bench.stores import Stores, normalise, shown, sqlite_path, version
from bench.workspace import (
    Scale,
    add_people,
    fill_in_process,
    history_end,
    manager_count,
    manager_id,
    rep_id,
)
from tests.slack.emulator import SlackEmulator

console = Console(highlight=False)
cli = typer.Typer(add_completion=False)
SMALL_SHARE = 0.1


class Part(StrEnum):
    ingest = "ingest"
    csv = "csv"
    latency = "latency"
    jobs = "jobs"
    growth = "growth"
    hubspot = "hubspot"
    burst = "burst"
    tiers = "tiers"


def _folder() -> Path:
    folder = Path(os.environ.get("BENCH_DIR") or Path(tempfile.gettempdir()) / "smarketing-bench")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _app_env(database_url: str, slack: SlackEmulator) -> dict[str, str]:
    return app_env(database_url, slack.api_url, smarketing_ingest_token=ingestion.INGEST_TOKEN)


def _people_in_slack(slack: SlackEmulator, scale: Scale) -> None:
    """Slack's side of the workspace: every rep (with the e-mail the CSV names) and manager."""
    for n in range(scale.reps):
        slack.add_user(rep_id(n), name=f"Rep {n}", email=leads_import.owner_email(rep_id(n)))
    for m in range(manager_count(scale)):
        slack.add_user(manager_id(m), name=f"Manager {m}")


@contextmanager
def _counting(what: str, total: int) -> Iterator[Progress]:
    progress = Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with progress:
        yield progress


class Suite:
    def __init__(
        self, stores: Stores, slack: SlackEmulator, parts: set[Part], runs: int, end: datetime
    ) -> None:
        self.stores, self.slack, self.parts, self.runs, self.end = stores, slack, parts, runs, end
        self.folder = _folder()
        self.raw_insert: ingestion.Rate | None = None

    def size(self, label: str, scale: Scale) -> SizeRun:
        started = time.perf_counter()
        self.slack.reset()
        _people_in_slack(self.slack, scale)
        role = f"workspace-{scale.leads}-{scale.events}-{self.end:%Y%m%d}"
        run = SizeRun(label=label, scale=scale, workspace="")
        with self._workspace(role, scale, run) as (database_url, served):
            console.print(f"  {label}: workspace ready ({run.workspace})")
            add_people(database_url, scale, now=datetime.now(UTC))
            if Part.latency in self.parts:
                rep = latency.busiest_rep(database_url)
                cases = latency.cases(rep=rep, manager=manager_id(0))
                with (
                    nullcontext(served)
                    if served is not None
                    else served_app(_app_env(database_url, self.slack), cwd=str(self.folder))
                ) as app:
                    assert app is not None
                    console.print(f"  {label}: latency, {self.runs} requests per command …")
                    run.latency = latency.measure(
                        app, database_url, self.slack, cases, runs=self.runs
                    )
                    run.app_memory_mib = app.memory_mib()
            elif served is not None:
                run.app_memory_mib = served.memory_mib()
            if Part.burst in self.parts and label == "100%":
                # The workspace's reps each open App Home and type a command, within a minute.
                reps = [rep_id(n) for n in range(scale.reps)]
                console.print(f"  {label}: Monday burst, {len(reps)} App Home opens and commands …")
                run.burst = burst.measure(database_url, self.slack, reps, reps, str(self.folder))
            if Part.jobs in self.parts:
                console.print(f"  {label}: weekly digest …")
                channel = f"CDIGEST{self.stores.run_id.upper()}"
                run.digest = jobs.weekly_digest(
                    database_url, scale, end=self.end, slack=self.slack, channel=channel
                )
                console.print(f"  {label}: nudges and escalations …")
                follow_up_url = self.stores.fresh(f"follow-up-{scale.leads}")
                try:
                    run.follow_up = jobs.follow_ups(follow_up_url, scale, self.slack)
                finally:
                    self.stores.drop(follow_up_url)
        run.seconds = time.perf_counter() - started
        return run

    @contextmanager
    def _workspace(
        self, role: str, scale: Scale, run: SizeRun
    ) -> Iterator[tuple[str, Served | None]]:
        """The workspace's database (and, when ingested over HTTP, the app that took it in,
        kept running for the latency part)."""
        if Part.ingest in self.parts:
            database_url = self.stores.fresh(role)
            self._forget_done(role)
            # At full scale the raw baseline runs interleaved, batch by batch (bench.ingestion).
            raw_url = self.stores.fresh("raw") if run.label == "100%" else ""
            raw = ingestion.RawLog(raw_url) if raw_url else None
            what = "over HTTP" + (", and raw, batch by batch" if raw is not None else "")
            with served_app(_app_env(database_url, self.slack), cwd=str(self.folder)) as app:
                with _counting(f"  {run.label}: ingesting {what}", scale.events) as bar:
                    task = bar.add_task("", total=scale.events)
                    try:
                        run.ingest = ingestion.over_http(
                            app,
                            scale,
                            end=self.end,
                            progress=lambda n: bar.update(task, completed=n),
                            raw=raw,
                        )
                    finally:
                        if raw is not None:
                            raw.close()
                            self.stores.drop(raw_url)
                if raw is not None:
                    self.raw_insert = raw.rate()
                run.workspace = f"ingested over HTTP in {run.ingest.seconds:.0f} s"
                self._mark_done(role)
                yield database_url, app
            self._give_back(database_url)
            return
        if self.stores.sqlite and self._done(role):
            run.workspace = f"reused {self.stores.path(role)}"
            database_url = self.stores.kept(role)
            migrate(_app_env(database_url, self.slack), cwd=str(self.folder))
            yield database_url, None
            return
        database_url = self.stores.fresh(role)
        migrate(_app_env(database_url, self.slack), cwd=str(self.folder))
        started = time.perf_counter()
        console.print(f"  {run.label}: storing {scale.events:,} events in process …")
        fill_in_process(database_url, scale, end=self.end)
        run.workspace = f"stored in process in {time.perf_counter() - started:.0f} s"
        self._mark_done(role)
        yield database_url, None
        self._give_back(database_url)

    def _give_back(self, database_url: str) -> None:
        if not self.stores.sqlite:  # SQLite workspaces are kept, to be reused
            self.stores.drop(database_url)

    def _done_marker(self, role: str) -> Path | None:
        if not self.stores.sqlite:
            return None
        path = self.stores.path(role)
        return path.with_name(path.name + ".done")

    def _done(self, role: str) -> bool:
        marker = self._done_marker(role)
        return marker is not None and marker.exists() and self.stores.path(role).exists()

    def _mark_done(self, role: str) -> None:
        marker = self._done_marker(role)
        if marker is not None:
            marker.write_text(f"{self.end.isoformat()}\n")

    def _forget_done(self, role: str) -> None:
        marker = self._done_marker(role)
        if marker is not None:
            marker.unlink(missing_ok=True)

    def csv_import(self, scale: Scale) -> leads_import.Imported:
        self.slack.reset()
        _people_in_slack(self.slack, scale)
        csv_path = self.folder / f"leads-{self.stores.run_id}.csv"
        database_url = self.stores.fresh("csv")
        try:
            rows = leads_import.write_leads_csv(csv_path, scale, end=self.end)
            console.print(f"  CSV import of {rows:,} leads …")
            env = {
                key: value
                for key, value in _app_env(database_url, self.slack).items()
                if key
                in ("DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_API_URL", "SMARKETING_TIMEZONE")
            }
            migrate(env, cwd=str(self.folder))
            return leads_import.run_import(csv_path, env)
        finally:
            csv_path.unlink(missing_ok=True)
            self.stores.drop(database_url)


def _machine(database_url: str) -> dict[str, str | int | None]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "database": "sqlite" if database_url.startswith("sqlite") else "postgresql",
        "database_version": version(database_url),
    }


def _parts(only: list[str] | None) -> set[Part]:
    if not only:
        return set(Part)
    chosen = set()
    for item in only:
        for name in item.split(","):
            try:
                chosen.add(Part(name.strip()))
            except ValueError:
                names = ", ".join(part.value for part in Part)
                raise typer.BadParameter(f"{name!r} is not a part: use {names}") from None
    return chosen


@cli.command()
def main(
    scale: Annotated[
        float,
        typer.Option(
            help="Share of the default workspace (500 reps, 100k leads, 1M events, "
            "50 campaigns): 0.02 is 10 reps, 2,000 leads, 20,000 events.",
            min=0.0001,
        ),
    ] = 1.0,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="sqlite:///FILE (default: bench.sqlite3 in $BENCH_DIR or a temp dir; each "
            "part's database sits beside it) or postgresql://… (each part gets a database "
            "created for the run on that server and dropped after).",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            help="Parts to run (repeat or comma-separate): ingest, csv, latency, jobs, growth "
            "(growth: latency and jobs at 10% too), hubspot, burst (the Monday burst on the "
            "100% workspace), tiers (a nudge run within Slack's tiers). Default: all.",
        ),
    ] = None,
    json_path: Annotated[
        Path, typer.Option("--json", help="Where to write the results as JSON.")
    ] = Path("bench-results.json"),
    runs: Annotated[
        int, typer.Option(help="Requests per command for the latency percentiles.", min=1)
    ] = 200,
    hubspot_deliveries: Annotated[
        int, typer.Option(help="Part hubspot: webhook deliveries of 100 events.", min=0)
    ] = hubspot.DELIVERIES,
    hubspot_contacts: Annotated[
        int, typer.Option(help="Part hubspot: contacts the backfill reads.", min=0)
    ] = hubspot.CONTACTS,
    tier_reps: Annotated[
        int, typer.Option(help="Part tiers: reps the nudge run sends a DM each.", min=1)
    ] = 2_000,
    tier_speed: Annotated[
        float, typer.Option(help="Part tiers: how many times Slack's minute is shrunk.", min=1)
    ] = 10.0,
) -> None:
    """Measure ingestion, CSV import, command latency and the scheduled jobs against issue 7's
    targets; print a table and write the figures as JSON."""
    parts = _parts(only)
    url = normalise(database_url or f"sqlite:///{_folder() / 'bench.sqlite3'}")
    if url.startswith("sqlite"):
        sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    full = Scale().fraction(scale)
    sizes = [("100%", full)]
    if Part.growth in parts and parts & {Part.latency, Part.jobs, Part.ingest}:
        sizes.insert(0, ("10%", Scale().fraction(scale * SMALL_SHARE)))
    end = history_end(datetime.now(UTC).date())
    stores = Stores(url)
    results = Results(
        command=shlex.join(["python", "-m", "bench", *sys.argv[1:]]),
        timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=_machine(url),
        database=shown(url),
        scale=full,
        history_end=end.isoformat(),
        sizes=[],
    )
    console.print(f"[bold]python -m bench[/bold]: parts {', '.join(sorted(parts))}; {shown(url)}")
    try:
        with SlackEmulator(bot_token=BOT_TOKEN) as slack:
            suite = Suite(stores, slack, parts, runs, end)
            if parts & {Part.ingest, Part.latency, Part.jobs, Part.burst}:
                for label, size_scale in sizes:
                    results.sizes.append(suite.size(label, size_scale))
            if Part.ingest in parts:
                results.raw_insert = suite.raw_insert
                http = results.size("100%")
                if http is not None and http.ingest is not None and results.raw_insert is not None:
                    results.ingest_share_of_raw = http.ingest.median / results.raw_insert.median
                    results.ingest_wall_share_of_raw = http.ingest.wall / results.raw_insert.wall
            if Part.csv in parts:
                results.csv_import = suite.csv_import(full)
        if Part.tiers in parts:
            console.print(f"  nudge run to {tier_reps:,} reps within Slack's tiers …")
            results.tiers = tiers.run(reps=tier_reps, speed=tier_speed)
        if Part.hubspot in parts:
            console.print("  HubSpot connector …")
            results.hubspot = hubspot.run(
                url, deliveries=hubspot_deliveries, contacts=hubspot_contacts, console=console
            )
    finally:
        stores.close()
    judge(results)
    show(console, results)
    write_json(json_path, results)
    console.print(f"Results written to {json_path}")


if __name__ == "__main__":
    cli()
