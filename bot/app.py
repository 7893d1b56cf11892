"""The app factory: a Bolt AsyncApp for Slack, served by FastAPI with the health check."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

import commands
from blocks.message import oops
from bot import events_api, hubspot_webhooks, input_guard, slack_http
from bot.listeners import (
    campaign_brief,
    escalation_buttons,
    home_tab,
    nudge_buttons,
    outcome_menu,
    persona_form,
)
from bot.settings import Settings
from bot.slack_client import create_client
from services.clock import Clock, SystemClock
from services.context import Services
from storage.db import Database

logger = logging.getLogger("smarketing")


def create_bolt_app(services: Services) -> AsyncApp:
    secret = services.settings.slack_signing_secret
    app = AsyncApp(
        name="smarketing",
        client=services.client,
        signing_secret=secret.get_secret_value() if secret else None,
        request_verification_enabled=secret is not None,
        logger=logging.getLogger("smarketing.bolt"),
        # Listeners answer within the request (they ack with the reply), so the HTTP response
        # is the reply; work that may outlast Slack's 3 s uses lazy listeners instead.
        process_before_response=True,
    )
    input_guard.register(app)
    commands.register(app, services)
    home_tab.register(app, services)
    nudge_buttons.register(app, services)
    outcome_menu.register(app, services)
    escalation_buttons.register(app, services)
    campaign_brief.register(app, services)
    persona_form.register(app, services)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        # The one place a listener's failure is logged, with its traceback; the person who
        # typed the command gets a short apology instead of Slack's "failed with dispatch_failed".
        logger.exception("listener failed for %s", body.get("command") or body.get("type"))
        reply = {"response_type": "ephemeral", **oops().to_dict()}
        return BoltResponse(status=200, body=reply, headers={"content-type": "application/json"})

    return app


def create_app(
    settings: Settings, *, clock: Clock | None = None, db: Database | None = None
) -> FastAPI:
    """Everything wired, nothing started: the caller serves it (uvicorn) and owns its lifetime."""
    database = db or Database(settings.database_url)
    services = Services(
        settings=settings,
        db=database,
        clock=clock or SystemClock(),
        client=create_client(settings),
    )
    bolt = create_bolt_app(services)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        socket_mode = None
        clockwork = None
        if settings.smarketing_scheduler == "on":
            from bot.scheduler import Clockwork

            clockwork = Clockwork(services)
            await clockwork.start()
        api.state.clockwork = clockwork
        if settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket_mode = AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
            await socket_mode.connect_async()  # type: ignore[no-untyped-call]
            logger.info("connected to Slack over Socket Mode")
        try:
            yield
        finally:
            if clockwork is not None:
                clockwork.shutdown()
            if socket_mode is not None:
                await socket_mode.close_async()  # type: ignore[no-untyped-call]
            database.dispose()

    api = FastAPI(
        title="Smarketing bot",
        summary="Sales and marketing as one team: shared numbers, the SLA, lead follow-up.",
        version="0.1.0",
        lifespan=lifespan,
    )
    api.state.services = services
    api.state.bolt = bolt

    @api.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        return await slack_http.dispatch(bolt, request)

    events_api.register(api, services)
    hubspot_webhooks.register(api, services)

    @api.get("/healthz", tags=["operations"], summary="200 when the database answers, else 503")
    async def healthz() -> JSONResponse:
        if await services.in_thread(database.answers):
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "database unavailable"}, status_code=503)

    return api
