"""Building lead events as a CRM sends them, and posting them to the running app."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import httpx

from tests.app_server import INGEST_TOKEN, RunningApp

_ids = itertools.count(1)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _event(
    type_: str, lead_id: str, at: datetime, event_id: str | None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": event_id or f"evt-{next(_ids)}",
        "type": type_,
        "occurred_at": iso(at),
        "lead": {"external_id": lead_id},
        **extra,
    }


def created(
    lead_id: str, at: datetime, *, event_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    event = _event("lead.created", lead_id, at, event_id)
    event["lead"].update(fields)
    return event


def updated(
    lead_id: str, at: datetime, *, event_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    event = _event("lead.updated", lead_id, at, event_id)
    event["lead"].update(fields)
    return event


def assigned(
    lead_id: str,
    at: datetime,
    *,
    slack_user_id: str | None = None,
    email: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    owner = {"slack_user_id": slack_user_id} if slack_user_id else {"email": email}
    return _event("lead.assigned", lead_id, at, event_id, owner=owner)


def touched(
    lead_id: str, at: datetime, *, channel: str = "call", event_id: str | None = None
) -> dict[str, Any]:
    return _event("lead.touched", lead_id, at, event_id, channel=channel)


def accepted(lead_id: str, at: datetime, *, event_id: str | None = None) -> dict[str, Any]:
    return _event("lead.accepted", lead_id, at, event_id)


def rejected(
    lead_id: str, at: datetime, reason: str, *, event_id: str | None = None
) -> dict[str, Any]:
    return _event("lead.rejected", lead_id, at, event_id, reason=reason)


def won(
    lead_id: str, at: datetime, amount: float | str, *, event_id: str | None = None
) -> dict[str, Any]:
    return _event("lead.won", lead_id, at, event_id, amount=amount)


def lost(
    lead_id: str, at: datetime, reason: str | None = None, *, event_id: str | None = None
) -> dict[str, Any]:
    extra = {"reason": reason} if reason else {}
    return _event("lead.lost", lead_id, at, event_id, **extra)


def post_events(
    app: RunningApp, *events: dict[str, Any], token: str = INGEST_TOKEN
) -> httpx.Response:
    """POST one event as itself, several as a batch, with the ingest bearer token."""
    body: Any = events[0] if len(events) == 1 else {"events": list(events)}
    return app.http.post(
        f"{app.url}/api/events", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def recycled(
    lead_id: str, at: datetime, reason: str, *, event_id: str | None = None
) -> dict[str, Any]:
    return _event("lead.recycled", lead_id, at, event_id, reason=reason)
