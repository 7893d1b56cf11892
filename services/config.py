"""The Settings model: every knob the app reads (DESIGN §4), validated. Read from the
environment by `bot.settings.load_settings`; kept here so that the use cases can read it."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///smarketing.sqlite3"
LOCAL_DATABASE_URL = "sqlite:///smarketing-local.sqlite3"
SLACK_API_URL = "https://slack.com/api/"
HUBSPOT_API_URL = "https://api.hubapi.com"


class Settings(BaseSettings):
    """Every knob the app reads. Secrets are `SecretStr`, so they never print in a log line."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_URL
    # Scales every wait of the Slack client's retries (Retry-After, backoff): 1 in production;
    # the test suite makes it 0 except where it checks the wait itself.
    slack_retry_wait_scale: float = Field(default=1.0, ge=0, le=1)
    database_url: str = DEFAULT_DATABASE_URL
    # The local workspace's own store (no Slack credentials): never the real workspace's.
    smarketing_local_database: str = LOCAL_DATABASE_URL
    # Play the local workspace this many days ahead (e.g. on a weekend, to see a weekday's
    # nudges, which reach reps only in their working hours).
    smarketing_local_days_ahead: int = Field(default=0, ge=0, le=366)
    smarketing_local_hours_ahead: int = Field(default=0, ge=0, le=23)
    port: int = Field(default=3000, ge=1, le=65535)
    smarketing_timezone: str = "UTC"
    smarketing_digest_channel: str | None = None
    # The monthly management report's channel; the digest channel when unset.
    smarketing_management_channel: str | None = None
    smarketing_ingest_token: SecretStr | None = None
    smarketing_admins: Annotated[frozenset[str], NoDecode] = frozenset()
    smarketing_scheduler: Literal["on", "off"] = "on"
    # How often the nudge and escalation jobs run.
    smarketing_nudge_minutes: int = Field(default=15, ge=1, le=240)
    # Funnel fallbacks while there is no history of won leads (DESIGN §2, "Funnel actuals").
    smarketing_default_deal_size: float = Field(default=1000, gt=0)
    smarketing_default_conversion_rate: float = Field(default=0.04, gt=0, le=1)

    # The address Slack and HubSpot call (HubSpot signs the URI it called): set it when the app
    # runs behind a proxy that changes the URL it sees.
    smarketing_public_url: str | None = None
    # HubSpot (DESIGN §4): the connector is off while the token is unset.
    hubspot_access_token: SecretStr | None = None
    hubspot_client_secret: SecretStr | None = None
    hubspot_api_url: str = HUBSPOT_API_URL
    # Which contact properties carry what (DESIGN §4 "In"): HubSpot has no standard fit or
    # interest, so those are properties an admin creates or names; the rest are HubSpot's own.
    hubspot_fit_property: str = "smarketing_fit"
    hubspot_interest_property: str = "hubspotscore"
    hubspot_source_property: str = "hs_analytics_source"
    hubspot_campaign_property: str = "hs_analytics_source_data_1"
    hubspot_persona_property: str = "hs_persona"
    # How long a call to HubSpot may take before it counts as unanswered (and is retried).
    hubspot_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # How often the catch-up sync reads contacts changed since the last one.
    hubspot_sync_minutes: int = Field(default=60, ge=5, le=1440)

    @field_validator("database_url", "smarketing_local_database")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        # Hosting platforms hand out `postgres://`; SQLAlchemy wants a dialect and a driver.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                value = "postgresql+psycopg://" + value.removeprefix(prefix)
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("is not a database URL (try sqlite:///smarketing.sqlite3)") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(
                f"names {url.get_backend_name()!r}; use sqlite:///FILE or postgresql://HOST/DB"
            )
        if url.get_backend_name() == "sqlite" and url.database in {None, "", ":memory:"}:
            raise ValueError("needs a SQLite file, e.g. sqlite:///smarketing.sqlite3")
        return value

    @field_validator("smarketing_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (try Europe/Berlin)") from None
        return value.strip()

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("hubspot_api_url")
    @classmethod
    def _hubspot_url(cls, value: str) -> str:
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://api.hubapi.com")
        return value.strip().rstrip("/")

    @field_validator("smarketing_public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://smarketing.example.com")
        return value.strip().rstrip("/")

    @property
    def hubspot_on(self) -> bool:
        token = self.hubspot_access_token
        return token is not None and bool(token.get_secret_value().strip())

    @field_validator("smarketing_admins", mode="before")
    @classmethod
    def _admins(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.replace(",", " ").split() if part)
        return value

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.smarketing_timezone)

    # The funnel's fallbacks as exact fractions. str() first: Fraction(0.04) would be the
    # binary float, a hair off 4/100.
    @property
    def fallback_deal_size(self) -> Fraction:
        return Fraction(str(self.smarketing_default_deal_size))

    @property
    def fallback_rate(self) -> Fraction:
        return Fraction(str(self.smarketing_default_conversion_rate))

    def missing_slack_credentials(self) -> list[str]:
        return [
            name
            for name, value in (
                ("SLACK_BOT_TOKEN", self.slack_bot_token),
                ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
            )
            if value is None or not value.get_secret_value().strip()
        ]
