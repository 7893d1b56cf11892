"""Refuses, before any listener, what Slack may carry but no store can keep: a NUL character.

PostgreSQL text cannot hold NUL, so a lookup or a note with one would fail deep in the
database; refusing it here gives the person a reason and treats both stores alike."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from blocks.message import problem

logger = logging.getLogger("smarketing.input")

NUL = "\x00"
REASON = "Your text has a NUL character (\\u0000), which cannot be stored; type it again without it"
JSON: dict[str, str | Sequence[str]] = {"content-type": "application/json"}


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    return False


def refusal(body: dict[str, Any]) -> BoltResponse:
    """The answer Slack shows for a request that carries a NUL: a one-line reason for a
    command, an error under the field for a modal, nothing else for a button's own value."""
    command = body.get("command")
    if isinstance(command, str) and command:
        reply = problem(REASON, example=f"{command.replace(NUL, '')[:40]} help")
        return BoltResponse(
            status=200, body={"response_type": "ephemeral", **reply.to_dict()}, headers=JSON
        )
    view = body.get("view") if body.get("type") == "view_submission" else None
    values = ((view or {}).get("state") or {}).get("values") or {}
    errors = {block: REASON for block, fields in values.items() if has_nul(fields)}
    if errors:
        return BoltResponse(
            status=200, body={"response_action": "errors", "errors": errors}, headers=JSON
        )
    # A button's value is ours: a NUL there did not come from a person typing.
    logger.warning("a %s request carried a NUL character; ignored", body.get("type", "Slack"))
    return BoltResponse(status=200, body="")


def register(app: AsyncApp) -> None:
    @app.middleware
    async def refuse_nul(
        body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        if has_nul(body):
            return refusal(body)
        return await next()
