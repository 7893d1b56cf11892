"""Configuration from the environment and `.env` (DESIGN §4), validated once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from services.config import Settings

__all__ = ["SLACK_SETUP_HELP", "ConfigurationError", "Settings", "load_settings"]


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the message is one line naming the variable."""


def load_settings(env_file: Path | None = Path(".env"), **overrides: Any) -> Settings:
    """Build settings from the environment (and `.env`), turning validation errors into one line."""
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigurationError(f"{name} {message}") from None


SLACK_SETUP_HELP = (
    "Slack credentials missing: set {names}. Create the app at https://api.slack.com/apps → "
    "'Create New App' → 'From an app manifest' and paste manifest.yml, install it to your "
    "workspace, then copy .env.example to .env and fill in SLACK_BOT_TOKEN (OAuth & Permissions → "
    "Bot User OAuth Token, xoxb-…) and SLACK_SIGNING_SECRET (Basic Information → Signing Secret)."
)
