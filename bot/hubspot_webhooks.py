"""`POST /hubspot/webhooks`: HubSpot's deliveries, verified (v3 signature), stored durably and
acknowledged at once; applied after the answer is sent (and by the scheduler's next run)."""

from __future__ import annotations

import json
import logging

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse

from bot.jobs.hubspot_runs import run_connector
from connectors.hubspot.signature import refusal
from services.context import Services
from services.hubspot_sync import inbox_events, receive

logger = logging.getLogger("smarketing.hubspot")

PATH = "/hubspot/webhooks"
MAX_BODY_BYTES = 1024 * 1024  # 100 events are a few tens of kilobytes


def register(api: FastAPI, services: Services) -> None:
    @api.post(PATH, tags=["HubSpot"], summary="HubSpot webhook deliveries (signed, v3)")
    async def hubspot_webhooks(request: Request, background: BackgroundTasks) -> JSONResponse:
        settings = services.settings
        secret = settings.hubspot_client_secret
        if not settings.hubspot_on or secret is None or not secret.get_secret_value():
            return JSONResponse(
                {
                    "detail": "the HubSpot connector is off: set HUBSPOT_ACCESS_TOKEN and "
                    "HUBSPOT_CLIENT_SECRET on the server"
                },
                status_code=503,
            )
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return JSONResponse({"detail": "the body is too large"}, status_code=413)
        body = raw.decode("utf-8", errors="replace")
        uri = (
            settings.smarketing_public_url + PATH
            if settings.smarketing_public_url
            else str(request.url)
        )
        why = refusal(
            secret.get_secret_value(),
            method=request.method,
            uri=uri,
            body=body,
            timestamp=request.headers.get("x-hubspot-request-timestamp"),
            signature=request.headers.get("x-hubspot-signature-v3"),
            now_ms=int(services.clock.now().timestamp() * 1000),
        )
        if why is not None:
            logger.warning("HubSpot webhook refused: %s", why)
            return JSONResponse({"detail": why}, status_code=401)
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):
            return JSONResponse({"detail": "the body is not JSON"}, status_code=400)
        events = inbox_events(parsed)
        if isinstance(events, str):
            return JSONResponse({"detail": events}, status_code=400)
        fresh = await services.in_thread(receive, services, events)
        background.add_task(run_connector, services)
        return JSONResponse({"received": len(events), "new": fresh})
