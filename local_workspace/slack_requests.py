"""Requests as Slack sends them to the app (slash commands, interactions, events), signed as
Slack signs them: what the local workspace sends, and what the tests send."""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from typing import Any

from slack_sdk.signature import SignatureVerifier

__all__ = [
    "FORM_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "event_body",
    "interaction_body",
    "json_headers",
    "slack_headers",
    "slash_command_body",
]

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json"
API_APP_ID = "A0TEST"
VERIFICATION_TOKEN = "verification-token"


def slack_headers(
    body: str,
    *,
    signing_secret: str,
    timestamp: int | None = None,
    content_type: str = FORM_CONTENT_TYPE,
) -> dict[str, str]:
    """Headers Slack sends with ``body``: timestamp, v0 signature and content type.

    The default content type suits slash commands and interactions; for events
    (``event_body``) pass ``content_type=JSON_CONTENT_TYPE`` or use ``json_headers``.
    """
    ts = int(time.time()) if timestamp is None else timestamp
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=str(ts), body=body)
    if signature is None:  # only when timestamp is None, which cannot happen here
        raise ValueError("could not sign the request body")
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def json_headers(body: str, *, signing_secret: str, timestamp: int | None = None) -> dict[str, str]:
    """``slack_headers`` for a JSON body (Events API)."""
    return slack_headers(
        body, signing_secret=signing_secret, timestamp=timestamp, content_type=JSON_CONTENT_TYPE
    )


def slash_command_body(
    *,
    command: str,
    text: str,
    user_id: str,
    response_url: str,
    channel_id: str = "C0GENERAL",
    team_id: str = "T0TEST",
    trigger_id: str | None = None,
    user_name: str = "someone",
) -> str:
    """The urlencoded form body Slack POSTs for a slash command; like Slack, a new trigger id
    for each request unless one is given (a retried request repeats its own)."""
    trigger_id = trigger_id or f"trig-{uuid.uuid4().hex[:12]}"
    return urllib.parse.urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "team_domain": "test-workspace",
            "channel_id": channel_id,
            "channel_name": "general" if channel_id == "C0GENERAL" else channel_id.lower(),
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def interaction_body(payload: dict[str, Any]) -> str:
    """The urlencoded ``payload=<json>`` body Slack POSTs for interactivity."""
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def event_body(
    event: dict[str, Any],
    *,
    team_id: str = "T0TEST",
    bot_user_id: str = "UBOT",
    event_id: str | None = None,
) -> str:
    """The JSON ``event_callback`` envelope Slack POSTs for an event.

    This body is JSON: send it with ``json_headers(...)`` (Content-Type application/json).
    """
    envelope: dict[str, Any] = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    return json.dumps(envelope)
