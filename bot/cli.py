"""The `smarketing` command line: serve the app, migrate and rebuild the database, import leads."""

from __future__ import annotations

import gc
import logging
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from bot.settings import SLACK_SETUP_HELP, ConfigurationError, Settings, load_settings
from services.context import Services
from storage.db import Database

cli = typer.Typer(
    help="Smarketing bot: sales and marketing as one team, in Slack.", no_args_is_help=True
)
db_cli = typer.Typer(help="The database: migrations, projection rebuild.", no_args_is_help=True)
local_cli = typer.Typer(
    help="The local workspace (served by `run` while no Slack app is connected).",
    no_args_is_help=True,
)
cli.add_typer(local_cli, name="local")
cli.add_typer(db_cli, name="db")
jobs_cli = typer.Typer(help="Scheduled jobs, run once by hand.", no_args_is_help=True)
cli.add_typer(jobs_cli, name="jobs")
hubspot_cli = typer.Typer(help="The HubSpot connector.", no_args_is_help=True)
cli.add_typer(hubspot_cli, name="hubspot")
err = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    try:
        return load_settings(Path(".env"))
    except ConfigurationError as error:
        err.print(f"[red]Configuration error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from None


def _log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _migrated_database(settings: Settings) -> Database:
    """The store, or a one-line reason and exit 2 when it does not answer or is not migrated."""
    database = Database(settings.database_url)
    if not database.answers():
        err.print(
            "The database at DATABASE_URL does not answer or is not migrated: "
            "run `smarketing db upgrade` first.",
            highlight=False,
        )
        raise typer.Exit(2)
    return database


@cli.command()
def run(
    port: int | None = typer.Option(None, help="Port to serve on (default: $PORT, else 3000)."),
    host: str = typer.Option("0.0.0.0", help="Address to bind."),
) -> None:
    """Serve the app: Slack at POST /slack/events, the health check at GET /healthz."""
    settings = _settings()
    missing = settings.missing_slack_credentials()
    if len(missing) == 2 and settings.slack_app_token is None:
        # No Slack app yet: the product shows itself on the local workspace instead.
        from local_workspace import runtime

        _log_to_stderr()
        runtime.serve(settings, port=port or settings.port)
        return
    if settings.slack_app_token is not None:
        missing = [name for name in missing if name != "SLACK_SIGNING_SECRET"]
    if missing:
        err.print(SLACK_SETUP_HELP.format(names=" and ".join(missing)), highlight=False)
        raise typer.Exit(2)
    database = _migrated_database(settings)
    from bot.app import create_app

    _log_to_stderr()
    app = create_app(settings, db=database)
    _freeze_start_up()
    uvicorn.run(app, host=host, port=port or settings.port)


def _freeze_start_up() -> None:
    """What start-up built (modules, the app, the Slack client) lives as long as the process,
    so it is moved out of the cyclic collector's reach. Otherwise each full collection walks it
    all again: 90 ms each, twelve of them while 100k events came in (a tenth of that time, and a
    command arriving meanwhile waits as long); 6 ms each once frozen."""
    gc.collect()
    gc.freeze()


@cli.command()
def clock() -> None:
    """Run only the scheduler (the Procfile's `clock` process): the digest and the monthly
    report at their times, with catch-up and retries. Web processes then run with
    SMARKETING_SCHEDULER=off."""
    import asyncio

    from bot.scheduler import Clockwork

    settings = _settings()
    if settings.missing_slack_credentials()[:1] == ["SLACK_BOT_TOKEN"]:
        err.print(SLACK_SETUP_HELP.format(names="SLACK_BOT_TOKEN"), highlight=False)
        raise typer.Exit(2)
    services = _services(settings)
    _log_to_stderr()

    async def serve() -> None:
        clockwork = Clockwork(services)
        await clockwork.start()
        try:
            await asyncio.Event().wait()  # until the process is stopped
        finally:
            clockwork.shutdown()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    finally:
        services.db.dispose()


@local_cli.command("reset")
def local_reset() -> None:
    """Start the local workspace again: its sample company is seeded anew at the next run."""
    from local_workspace import runtime

    removed = runtime.reset(_settings())
    where = f" ({removed})" if removed else ""
    typer.echo(f"The local workspace is reset{where}; `smarketing run` seeds it again.")


class Job(StrEnum):
    digest = "digest"
    monthly = "monthly"
    nudges = "nudges"
    escalations = "escalations"


@jobs_cli.command("run")
def jobs_run(
    job: Annotated[
        Job,
        typer.Argument(
            help="digest: the weekly digest; monthly: the report; nudges: DMs to reps with "
            "overdue leads; escalations: DMs to their managers."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the message instead of sending it.")
    ] = False,
) -> None:
    """Run a scheduled job now, as the scheduler would: it posts only when its time has come
    and it was not sent yet. With --dry-run it prints this period's message and sends nothing."""
    import asyncio

    from bot.jobs import scheduled_reports
    from services import people

    settings = _settings()
    if not dry_run and settings.missing_slack_credentials()[:1] == ["SLACK_BOT_TOKEN"]:
        err.print(SLACK_SETUP_HELP.format(names="SLACK_BOT_TOKEN"), highlight=False)
        raise typer.Exit(2)
    services = _services(settings)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    if job in (Job.nudges, Job.escalations):
        from bot.jobs import follow_up_runs

        work = follow_up_runs.run_nudges if job is Job.nudges else follow_up_runs.run_escalations

        async def run_and_name() -> tuple[follow_up_runs.FollowUpRun, list[str], list[str]]:
            # People by the names Slack gives them, not by their ids (`to @ana: …`).
            done = await work(services, dry_run=dry_run)
            texts = [await people.with_names(services, text) for text in done.texts]
            unreachable = [
                await people.with_names(services, f"  cannot reach @{person}: {reason}")
                for person, reason in sorted(done.unreachable.items())
            ]
            return done, texts, unreachable

        try:
            run, texts, unreachable = asyncio.run(run_and_name())
        finally:
            services.db.dispose()
        for text in texts:
            typer.echo(text)
        err.print(f"{job.value}: {run.describe()}", highlight=False, markup=False)
        for line in unreachable:
            err.print(line, highlight=False, markup=False)
        failed = run.count(scheduled_reports.Status.FAILED) + run.count(
            scheduled_reports.Status.WILL_RETRY
        )
        raise typer.Exit(1 if failed else 0)
    async def post_and_name() -> tuple[scheduled_reports.Outcome, str | None]:
        done = await scheduled_reports.JOBS[job.value](services, dry_run=dry_run)
        named = await people.channel_name(services, done.channel) if done.channel else None
        return done, named

    try:
        outcome, channel = asyncio.run(post_and_name())
    finally:
        services.db.dispose()
    if outcome.text is not None:
        typer.echo(outcome.text)
        return
    said = f"{job.value}: {outcome.describe(channel_name=channel)}"
    err.print(said, highlight=False, markup=False)
    if outcome.status in (scheduled_reports.Status.FAILED, scheduled_reports.Status.WILL_RETRY):
        raise typer.Exit(1)
    if outcome.status is scheduled_reports.Status.NO_CHANNEL:
        raise typer.Exit(2)


@hubspot_cli.command("sync")
def hubspot_sync(
    since: Annotated[
        datetime | None,
        typer.Option(
            "--since",
            formats=["%Y-%m-%d"],
            help="Read contacts changed since this day (default: since the last sync; "
            "the first sync reads them all).",
        ),
    ] = None,
) -> None:
    """Read HubSpot's contacts (with their deals, calls, e-mails and meetings) changed since
    the last sync and store what the bot lacks; running it twice changes nothing."""
    import asyncio
    from datetime import UTC

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from connectors.hubspot.client import HubSpotError
    from services import hubspot_sync as connector

    settings = _settings()
    if not settings.hubspot_on:
        err.print(
            "Set HUBSPOT_ACCESS_TOKEN (a HubSpot private app's token, README: Connecting "
            "HubSpot) and run it again.",
            highlight=False,
        )
        raise typer.Exit(2)
    services = _services(settings)
    progress = Progress(
        TextColumn("Syncing HubSpot contacts"), BarColumn(), MofNCompleteColumn(), console=err
    )
    try:
        with progress:
            task = progress.add_task("contacts", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            run = asyncio.run(
                connector.sync(
                    services,
                    since=since.replace(tzinfo=UTC) if since else None,
                    on_progress=advance,
                )
            )
    except HubSpotError as error:
        err.print(f"HubSpot sync stopped: {error}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    finally:
        services.db.dispose()
    err.print(
        f"HubSpot sync: {run.contacts:,} contacts read, {run.stored:,} lead events stored.",
        highlight=False,
    )


def _services(settings: Settings) -> Services:
    from bot.slack_client import create_client
    from services.clock import SystemClock

    return Services(
        settings=settings,
        db=_migrated_database(settings),
        clock=SystemClock(),
        client=create_client(settings),
    )


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the tables to the newest schema (safe to run again)."""
    settings = _settings()
    Database(settings.database_url).upgrade()
    err.print(f"Database is up to date ({_describe(settings.database_url)}).", highlight=False)


@db_cli.command("rebuild")
def db_rebuild() -> None:
    """Rebuild the lead projection from the event log (the log is the truth)."""
    from datetime import UTC, datetime

    from storage import workspace
    from storage.events import rebuild_projection

    database = _migrated_database(_settings())
    with database.session() as session:
        count = rebuild_projection(session, rules=workspace.rules(session), now=datetime.now(UTC))
    err.print(f"Rebuilt the projection: {count:,} leads from the event log.", highlight=False)


@cli.command("import")
def import_csv(
    file: Annotated[
        Path, typer.Argument(metavar="FILE.csv", help="Leads, one a row, under a header row.")
    ],
) -> None:
    """Import leads from a CSV file; importing the same file again adds nothing.

    Columns, named in the header row (external_id and created_at are required):
    external_id, email, name, company, source, campaign, persona,
    fit, interest, owner_email, created_at.

    Exit code 0: every row stored. 1: some rows rejected (listed by line).
    2: a problem with the file or the settings, or the import stopped part-way.
    """
    import asyncio

    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from services.csv_import import ImportFileError, ImportStopped, import_leads, open_leads_file
    from services.csv_import import render_report as render

    settings = _settings()
    token = settings.slack_bot_token
    try:
        with open_leads_file(file) as leads_file:
            needs_slack = (token is None or not token.get_secret_value().strip()) and (
                leads_file.has_owner_emails()
            )
    except ImportFileError as error:
        err.print(str(error), highlight=False, markup=False)
        raise typer.Exit(2) from None
    if needs_slack:
        err.print(
            "The file names owners in owner_email, who are looked up in Slack: set "
            "SLACK_BOT_TOKEN (or empty the owner_email column) and import again.",
            highlight=False,
        )
        raise typer.Exit(2)
    services = _services(settings)
    database = services.db
    progress = Progress(
        TextColumn("Importing {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeRemainingColumn(),
        console=err,
    )
    try:
        with open_leads_file(file) as leads_file, progress:
            task = progress.add_task(file.name, total=leads_file.size, rows=0)

            def advance(bytes_read: int, rows: int) -> None:
                progress.update(task, completed=bytes_read, rows=rows)

            report = asyncio.run(import_leads(services, leads_file, on_progress=advance))
    except ImportFileError as error:  # the file changed since its header was checked
        err.print(str(error), highlight=False, markup=False)
        raise typer.Exit(2) from None
    except ImportStopped as stopped:
        typer.echo(render(stopped.report, path=file))
        err.print(
            f"Import stopped: {stopped.reason}. Import the file again to go on: "
            "rows already imported are skipped.",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    typer.echo(render(report, path=file))
    raise typer.Exit(report.exit_code)


def _describe(database_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url).render_as_string(hide_password=True)


def main() -> None:
    cli()
