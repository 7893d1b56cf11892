"""`manifest.yml` is a manifest Slack accepts, and it declares every command the app answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

import commands
from tests.app_server import RunningApp

ROOT = Path(__file__).parent.parent
SCHEMA = Path(__file__).parent / "data" / "slack-manifest-schema" / "manifest.schema.1.0.0.json"


def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_manifest_validates_against_slacks_published_schema() -> None:
    schema = json.loads(SCHEMA.read_text())

    jsonschema.validate(manifest(), schema)


def test_every_command_the_app_registers_is_declared_with_a_usage_hint() -> None:
    declared = {entry["command"]: entry for entry in manifest()["features"]["slash_commands"]}

    assert set(commands.COMMANDS) <= set(declared)
    assert all(declared[name].get("usage_hint") for name in commands.COMMANDS)
    assert all(entry["url"].endswith("/slack/events") for entry in declared.values())


def test_every_declared_command_gets_an_answer_not_a_dispatch_failure(app: RunningApp) -> None:
    for entry in manifest()["features"]["slash_commands"]:
        response = app.command(entry["command"], "help")

        assert response.status_code == 200, entry["command"]
        assert response.json()["response_type"] == "ephemeral"
        assert response.json()["text"]


def test_manifest_asks_for_the_scopes_and_events_the_design_needs() -> None:
    data = manifest()

    assert set(data["oauth_config"]["scopes"]["bot"]) >= {
        "commands",
        "chat:write",
        "im:write",
        "users:read",
        "users:read.email",
        "files:write",
    }
    assert "app_home_opened" in data["settings"]["event_subscriptions"]["bot_events"]
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["features"]["app_home"]["home_tab_enabled"] is True
