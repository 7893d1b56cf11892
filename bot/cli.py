"""The `smarketing` command line: serve the app, migrate and rebuild the database."""

from __future__ import annotations

import logging
from pathlib import Path

import typer
import uvicorn
from rich.console import Console

from bot.settings import SLACK_SETUP_HELP, ConfigurationError, Settings, load_settings
from storage.db import Database

cli = typer.Typer(
    help="Smarketing bot: sales and marketing as one team, in Slack.", no_args_is_help=True
)
db_cli = typer.Typer(help="The database: migrations, projection rebuild.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
err = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    try:
        return load_settings(Path(".env"))
    except ConfigurationError as error:
        err.print(f"[red]Configuration error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from None


@cli.command()
def run(
    port: int | None = typer.Option(None, help="Port to serve on (default: $PORT, else 3000)."),
    host: str = typer.Option("0.0.0.0", help="Address to bind."),
) -> None:
    """Serve the app: Slack at POST /slack/events, the health check at GET /healthz."""
    settings = _settings()
    missing = settings.missing_slack_credentials()
    if settings.slack_app_token is not None:
        missing = [name for name in missing if name != "SLACK_SIGNING_SECRET"]
    if missing:
        err.print(SLACK_SETUP_HELP.format(names=" and ".join(missing)), highlight=False)
        raise typer.Exit(2)
    database = Database(settings.database_url)
    if not database.answers():
        err.print(
            "The database at DATABASE_URL does not answer or is not migrated: "
            "run `smarketing db upgrade` first.",
            highlight=False,
        )
        raise typer.Exit(2)
    from bot.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(create_app(settings, db=database), host=host, port=port or settings.port)


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

    settings = _settings()
    database = Database(settings.database_url)
    with database.session() as session:
        count = rebuild_projection(session, rules=workspace.rules(session), now=datetime.now(UTC))
    err.print(f"Rebuilt the projection: {count:,} leads from the event log.", highlight=False)


def _describe(database_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url).render_as_string(hide_password=True)


def main() -> None:
    cli()
