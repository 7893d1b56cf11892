"""The suite's results: what was measured at each size, the targets of issue 7 beside the
figures, how each figure grows from 10% to 100% of the scale; a rich table and a JSON file."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import burst, tiers
from bench.hubspot import HubSpotFigures
from bench.hubspot import show as show_hubspot
from bench.hubspot import target as hubspot_target
from bench.ingestion import Rate
from bench.jobs import DigestFigures, FollowUpFigures
from bench.latency import Latency
from bench.leads_import import Imported
from bench.workspace import Scale

P99_LIMIT_MS = 500.0
INGEST_RATE = 5_000.0
INGEST_SHARE_OF_RAW = 0.5
DIGEST_LIMIT_MS = 1_000.0
NUDGE_PLAN_LIMIT_MS = 2_000.0
# Memory "flat in the size of the log": what stays within FLAT when the log grows LOG_GROWTH
# times (10% → 100% of the scale); see _memory_target.
FLAT = 1.5
LOG_GROWTH = 10.0


@dataclass
class SizeRun:
    label: str  # "100%" or "10%" of the --scale
    scale: Scale
    workspace: str  # how the workspace was made: over HTTP, in process, or reused
    seconds: float = 0.0  # this size's whole run
    ingest: Rate | None = None
    latency: list[Latency] = field(default_factory=list)
    app_memory_mib: dict[str, float] = field(default_factory=dict)  # the served app, at the end
    digest: DigestFigures | None = None
    follow_up: FollowUpFigures | None = None
    burst: list[burst.Figures] = field(default_factory=list)  # the Monday burst (100% only)


@dataclass
class Target:
    what: str
    measured: str
    target: str
    met: bool | None  # None: not measured in this run


@dataclass
class Growth:
    what: str
    small: float
    full: float
    ratio: float
    unit: str
    statements: tuple[int, int] | None = None  # SQL statements at 10% and at 100%


@dataclass
class Results:
    command: str
    timestamp: str
    machine: dict[str, Any]
    database: str
    scale: Scale
    history_end: str
    sizes: list[SizeRun]
    raw_insert: Rate | None = None
    ingest_share_of_raw: float | None = None  # HTTP median rate ÷ raw median rate
    ingest_wall_share_of_raw: float | None = None  # the same over all batches' time
    csv_import: Imported | None = None
    hubspot: HubSpotFigures | None = None
    tiers: tiers.TierRun | None = None
    targets: list[Target] = field(default_factory=list)
    growth: list[Growth] = field(default_factory=list)
    statements_grew: list[str] = field(default_factory=list)

    def size(self, label: str) -> SizeRun | None:
        return next((size for size in self.sizes if size.label == label), None)


# ---------------------------------------------------------------------------- judging


def _ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 else f"{value:,.1f} ms"


def judge(results: Results) -> None:
    """Fill in `targets`, `growth` and `statements_grew` from the figures."""
    full, small = results.size("100%"), results.size("10%")
    targets: list[Target] = []
    if full is not None:
        for latency in full.latency:
            targets.append(
                Target(
                    f"{latency.name} p99",
                    f"{_ms(latency.p99_ms)} (p50 {_ms(latency.p50_ms)})",
                    f"< {P99_LIMIT_MS:.0f} ms",
                    latency.p99_ms < P99_LIMIT_MS,
                )
            )
        if full.ingest is not None:
            targets.append(
                Target(
                    "ingestion over HTTP, batches of 500",
                    f"{full.ingest.median:,.0f} events/s",
                    f"≥ {INGEST_RATE:,.0f} events/s",
                    full.ingest.median >= INGEST_RATE,
                )
            )
        if results.ingest_share_of_raw is not None and results.raw_insert is not None:
            targets.append(
                Target(
                    "ingestion ÷ raw executemany insert",
                    f"{results.ingest_share_of_raw:.0%} of the median "
                    f"(raw {results.raw_insert.median:,.0f} events/s)"
                    + (
                        f"; {results.ingest_wall_share_of_raw:.0%} over all batches' time"
                        if results.ingest_wall_share_of_raw is not None
                        else ""
                    ),
                    f"≥ {INGEST_SHARE_OF_RAW:.0%}",
                    results.ingest_share_of_raw >= INGEST_SHARE_OF_RAW,
                )
            )
        if full.digest is not None:
            digest = full.digest
            targets.append(
                Target(
                    "weekly digest build",
                    f"{_ms(digest.warm_ms)} warm, {_ms(digest.cold_ms)} cold",
                    f"< {DIGEST_LIMIT_MS:,.0f} ms",
                    max(digest.warm_ms, digest.cold_ms) < DIGEST_LIMIT_MS,
                )
            )
        if full.follow_up is not None:
            nudges, escalations = full.follow_up.nudges, full.follow_up.escalations
            targets.append(
                Target(
                    f"nudge planning, {full.follow_up.overdue_leads:,} overdue leads",
                    f"{_ms(nudges.plan_ms)}; {nudges.messages_per_person:g} message per person "
                    f"({nudges.sent:,} sent)",
                    f"< {NUDGE_PLAN_LIMIT_MS:,.0f} ms, 1 message per person",
                    nudges.plan_ms < NUDGE_PLAN_LIMIT_MS
                    and nudges.messages_per_person == 1
                    and nudges.sent == nudges.planned,
                )
            )
            targets.append(
                Target(
                    "escalation run",
                    f"{_ms(escalations.run_ms)}; {escalations.messages_per_person:g} message per "
                    f"person ({escalations.sent:,} sent)",
                    "1 message per person",
                    escalations.messages_per_person == 1
                    and escalations.sent == escalations.planned,
                )
            )
        for found in full.burst:
            postgres = results.machine["database"] == "postgresql"
            where = "two web processes" if postgres else "one web process"
            targets.append(
                Target(
                    f"Monday burst ({where}): {found.kind}",
                    f"p99 {_ms(found.p99)} (p50 {_ms(found.p50)}, max {_ms(found.worst)}; "
                    f"{found.count} requests)",
                    f"< {burst.TARGET_P99_MS:.0f} ms",
                    found.p99 < burst.TARGET_P99_MS,
                )
            )
    if results.tiers is not None:
        run = results.tiers
        targets.append(
            Target(
                f"nudge run to {run.reps:,} reps within Slack's tiers",
                f"{run.seconds:.1f} s against a floor of {run.floor_seconds:.1f} s "
                f"(minute shrunk {run.speed:g}×): ×{run.ratio:.2f}; DMs a rep: {run.dms_each}",
                f"≤ ×{tiers.TARGET_RATIO}, each rep one DM",
                run.ratio <= tiers.TARGET_RATIO and run.dms_each == [1],
            )
        )
    if results.hubspot is not None and results.hubspot.runs:
        targets.append(Target(*hubspot_target(results.hubspot)))
    results.growth = _growth(small, full) if small is not None and full is not None else []
    targets.append(_memory_target(results.growth))
    results.targets = targets
    results.statements_grew = [
        row.what
        for row in results.growth
        if row.statements is not None and row.statements[1] > row.statements[0]
    ]


def _memory_target(growth: list[Growth]) -> Target:
    """The app's heap must stay flat as the log grows ten times; the digest's must grow less
    than the log; the follow-up jobs' heap per overdue lead (what they show) must stay flat."""
    rows = {row.what: row for row in growth}
    app = rows.get("served app heap (RssAnon)")
    digest = rows.get("weekly digest heap peak")
    per_lead = [rows[what] for what in rows if what.endswith("heap per overdue lead")]
    if app is None and digest is None and not per_lead:
        return Target("memory flat in the size of the log", "not measured (needs growth)", "", None)
    shown = [f"app heap ×{app.ratio:.2f}"] if app is not None else []
    shown += [f"digest heap ×{digest.ratio:.1f}"] if digest is not None else []
    shown += [f"{row.what.split()[0]} heap per lead ×{row.ratio:.2f}" for row in per_lead]
    met = (
        (app is None or app.ratio <= FLAT)
        and (digest is None or digest.ratio < LOG_GROWTH)
        and all(row.ratio <= FLAT for row in per_lead)
    )
    return Target(
        "memory flat in the size of the log (10% → 100%)",
        ", ".join(shown),
        f"app ≤ ×{FLAT:g}; digest < ×{LOG_GROWTH:g} (the log's growth); "
        f"follow-ups ≤ ×{FLAT:g} per overdue lead",
        met,
    )


def _growth(small: SizeRun, full: SizeRun) -> list[Growth]:
    rows: list[Growth] = []

    def add(
        what: str, a: float, b: float, unit: str, statements: tuple[int, int] | None = None
    ) -> None:
        rows.append(Growth(what, a, b, b / a if a else 0.0, unit, statements))

    if small.ingest is not None and full.ingest is not None:
        add("ingestion over HTTP (median)", small.ingest.median, full.ingest.median, "events/s")
    if small.app_memory_mib and full.app_memory_mib:
        add(
            "served app heap (RssAnon)",
            small.app_memory_mib["RssAnon"],
            full.app_memory_mib["RssAnon"],
            "MiB",
        )
    by_name = {latency.name: latency for latency in small.latency}
    for latency in full.latency:
        before = by_name.get(latency.name)
        if before is None:
            continue
        statements = (before.statements, latency.statements)
        add(f"{latency.name} p50", before.p50_ms, latency.p50_ms, "ms", statements)
        add(f"{latency.name} p99", before.p99_ms, latency.p99_ms, "ms")
        add(f"{latency.name} bare SQL", before.bare_sql_ms, latency.bare_sql_ms, "ms")
    if small.digest is not None and full.digest is not None:
        statements = (small.digest.statements, full.digest.statements)
        add(
            "weekly digest build (warm)",
            small.digest.warm_ms,
            full.digest.warm_ms,
            "ms",
            statements,
        )
        add("weekly digest build (cold)", small.digest.cold_ms, full.digest.cold_ms, "ms")
        add("weekly digest heap peak", small.digest.heap_mib, full.digest.heap_mib, "MiB")
    if small.follow_up is not None and full.follow_up is not None:
        add(
            "overdue leads",
            small.follow_up.overdue_leads,
            full.follow_up.overdue_leads,
            "leads",
        )
        for name in ("nudges", "escalations"):
            a, b = getattr(small.follow_up, name), getattr(full.follow_up, name)
            statements = (a.plan_statements, b.plan_statements)
            add(f"{name} planning (dry run)", a.plan_ms, b.plan_ms, "ms", statements)
            add(f"{name} run", a.run_ms, b.run_ms, "ms")
            add(f"{name} heap peak", a.heap_mib, b.heap_mib, "MiB")
            add(
                f"{name} heap per overdue lead",
                a.heap_mib * 2**10 / small.follow_up.overdue_leads,
                b.heap_mib * 2**10 / full.follow_up.overdue_leads,
                "KiB",
            )
            per_person = (round(a.statements_per_person), round(b.statements_per_person))
            add(
                f"{name}: statements per person",
                a.statements_per_person,
                b.statements_per_person,
                "statements",
                per_person,
            )
            add(f"{name}: Slack calls per person", a.calls_per_person, b.calls_per_person, "calls")
    return rows


# ---------------------------------------------------------------------------- showing


def _mark(met: bool | None) -> str:
    return {True: "[green]met[/green]", False: "[red]missed[/red]", None: "[dim]—[/dim]"}[met]


def _calls(calls: dict[str, int]) -> str:
    return ", ".join(f"{method} {count}" for method, count in sorted(calls.items())) or "none"


def show(console: Console, results: Results) -> None:
    machine = results.machine
    console.print(
        f"[bold]Smarketing benchmark[/bold] — {results.command}\n"
        f"{machine['cores']} cores, Python {machine['python']}, {machine['database_version']} "
        f"({results.database}); scale {results.scale.reps:,} reps, {results.scale.leads:,} leads, "
        f"{results.scale.events:,} events, {results.scale.campaigns} campaigns; history to "
        f"{results.history_end}; {results.timestamp}",
        highlight=False,
    )
    for size in results.sizes:
        _show_size(console, size)
    if results.sizes and results.sizes[-1].latency:
        largest = results.sizes[-1]
        table = Table(
            title=f"Dearest statements of each command at {largest.label} (replayed alone, median)",
            title_justify="left",
        )
        table.add_column("command")
        table.add_column("ms", justify="right")
        table.add_column("statement")
        for latency in largest.latency:
            for ms, statement in latency.slowest[:2]:
                table.add_row(latency.name, f"{ms:.1f}", statement[:110])
        console.print(table)
    if results.raw_insert is not None or results.csv_import is not None:
        table = Table(title="Ingestion baseline and CSV import (100%)", title_justify="left")
        table.add_column("what")
        table.add_column("figure", justify="right")
        if results.raw_insert is not None:
            raw = results.raw_insert
            table.add_row(
                "raw executemany into lead_event, batches of 500, interleaved",
                f"{raw.median:,.0f} events/s median ({raw.last_tenth:,.0f} last tenth)",
            )
        if results.ingest_share_of_raw is not None:
            table.add_row(
                "HTTP ingestion ÷ raw insert (medians)", f"{results.ingest_share_of_raw:.0%}"
            )
        if results.ingest_wall_share_of_raw is not None:
            table.add_row(
                "HTTP ingestion ÷ raw insert (all batches' time)",
                f"{results.ingest_wall_share_of_raw:.0%}",
            )
        if results.csv_import is not None:
            imported = results.csv_import
            table.add_row(
                f"smarketing import, {imported.rows:,} rows ({imported.file_mib:.1f} MiB)",
                f"{imported.seconds:.1f} s, {imported.rows_per_second:,.0f} rows/s, "
                f"heap peak {imported.peak_heap_mib:.0f} MiB, "
                f"RSS peak {imported.peak_rss_mib:.0f} MiB",
            )
        console.print(table)
    if results.growth:
        table = Table(title="Growth: 10% → 100% of the scale", title_justify="left")
        for column in ("figure", "10%", "100%", "×", "SQL statements"):
            table.add_column(column, justify="left" if column == "figure" else "right")
        for row in results.growth:
            statements = ""
            if row.statements is not None:
                a, b = row.statements
                statements = f"{a} → {b}" + (" [red]grew[/red]" if b > a else "")
            table.add_row(
                row.what,
                f"{row.small:,.1f} {row.unit}",
                f"{row.full:,.1f} {row.unit}",
                f"×{row.ratio:.2f}",
                statements,
            )
        console.print(table)
    if results.statements_grew:
        console.print(
            "[red]SQL statements grew from 10% to 100%:[/red] " + ", ".join(results.statements_grew)
        )
    if results.hubspot is not None:
        show_hubspot(console, results.hubspot)
    if results.tiers is not None:
        run = results.tiers
        console.print(
            f"Nudge run within Slack's tiers: calls {_calls(run.calls)}; answered 429: "
            f"{run.refused}; at Slack's own pace {run.seconds * run.speed / 60:.1f} min against "
            f"a floor of {run.floor_seconds * run.speed / 60:.1f} min"
        )
    table = Table(title="Targets (issues 7, 14 and 18)", title_justify="left")
    for column in ("target", "measured", "limit", ""):
        table.add_column(column)
    for target in results.targets:
        table.add_row(target.what, target.measured, target.target, _mark(target.met))
    console.print(table)


def _show_size(console: Console, size: SizeRun) -> None:
    scale = size.scale
    title = (
        f"{size.label}: {scale.reps:,} reps, {scale.leads:,} leads, {scale.events:,} events "
        f"({size.workspace}; {size.seconds:.0f} s)"
    )
    table = Table(title=title, title_justify="left")
    for column in ("figure", "p50", "p95", "p99", "bare SQL", "p50 ÷ SQL", "statements", "Slack"):
        table.add_column(column, justify="left" if column in ("figure", "Slack") else "right")
    if size.ingest is not None:
        rate = size.ingest
        table.add_row(
            "ingestion over HTTP",
            f"{rate.median:,.0f}/s",
            "",
            "",
            "",
            "",
            "",
            f"last tenth {rate.last_tenth:,.0f}/s; wall {rate.wall:,.0f}/s",
        )
    for latency in size.latency:
        table.add_row(
            latency.name,
            _ms(latency.p50_ms),
            _ms(latency.p95_ms),
            _ms(latency.p99_ms),
            _ms(latency.bare_sql_ms),
            f"×{latency.ratio:.1f}",
            str(latency.statements),
            _calls(latency.slack_calls),
        )
    if size.digest is not None:
        digest = size.digest
        table.add_row(
            "weekly digest build",
            f"{_ms(digest.warm_ms)} warm",
            f"{_ms(digest.cold_ms)} cold",
            "",
            _ms(digest.sql_ms),
            f"heap {digest.heap_mib:.2f} MiB",
            str(digest.statements),
            _calls(digest.slack_calls),
        )
    for found in size.burst:
        table.add_row(
            f"Monday burst: {found.kind} ({found.count})",
            _ms(found.p50),
            "",
            _ms(found.p99),
            "",
            "",
            "",
            f"max {_ms(found.worst)}",
        )
    if size.follow_up is not None:
        follow = size.follow_up
        for name in ("nudges", "escalations"):
            run = getattr(follow, name)
            table.add_row(
                f"{name}: {follow.overdue_leads:,} overdue leads, plan / run",
                _ms(run.plan_ms),
                _ms(run.run_ms),
                "",
                "",
                f"heap {run.heap_mib:.1f} MiB",
                f"{run.plan_statements}; {run.statements_per_person:.1f}/person",
                f"{_calls(run.slack_calls)} ({run.planned:,} "
                f"{'person' if run.planned == 1 else 'people'})",
            )
    if size.app_memory_mib:
        memory = size.app_memory_mib
        table.add_row(
            "served app memory at the end",
            f"heap {memory.get('RssAnon', 0):.0f} MiB",
            f"peak {memory.get('VmHWM', 0):.0f} MiB",
            "",
            "",
            "",
            "",
            f"mapped files {memory.get('RssFile', 0):.0f} MiB",
        )
    console.print(table)


def write_json(path: Path, results: Results) -> None:
    path.write_text(json.dumps(asdict(results), indent=2, default=str) + "\n")
