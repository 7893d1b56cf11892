"""`POST /api/events`: lead events from a CRM, one or a batch, stored whole or not at all."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from domain.lead_state import EventType
from services.context import Services
from services.ingestion import SlackUnavailable, ingest
from services.lead_events import (
    EVENT,
    MAX_BATCH,
    EventBatch,
    IngestProblem,
    IngestResult,
    LeadEventIn,
)

logger = logging.getLogger("smarketing.api")

MAX_BODY_BYTES = 4 * 1024 * 1024  # a full batch of 1,000 events is well under 1 MiB
PATH = "/api/events"
EVENT_TYPES = EventType.ALL


def _error(status: int, detail: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": "30"}
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)


def _authorised(services: Services, request: Request) -> JSONResponse | None:
    token = services.settings.smarketing_ingest_token
    if token is None or not token.get_secret_value():
        return _error(503, "the event API is off: set SMARKETING_INGEST_TOKEN on the server")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # compare_digest takes as long whatever the guess, so the token cannot be found by timing.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.get_secret_value().encode()
    ):
        return _error(401, "missing or wrong bearer token in the Authorization header")
    return None


async def _read_body(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY_BYTES (checked while reading, not after)."""
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isascii()
        and declared.isdigit()
        and (len(declared) > 12 or int(declared) > MAX_BODY_BYTES)
    ):
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _problems(error: ValidationError, index: int) -> list[IngestProblem]:
    problems = []
    for item in error.errors():
        loc = [str(part) for part in item["loc"]]
        if item["type"] in {"union_tag_not_found", "union_tag_invalid"}:
            kinds = ", ".join(EVENT_TYPES)
            problems.append(
                IngestProblem(index=index, field="type", message=f"must be one of {kinds}")
            )
            continue
        if loc and loc[0].startswith("lead.") and "." in loc[0]:
            loc = loc[1:]  # the discriminator's tag, e.g. "lead.won": not a field
        problems.append(
            IngestProblem(index=index, field=".".join(loc) or "(event)", message=item["msg"])
        )
    return problems


BATCH = TypeAdapter[EventBatch](EventBatch)


def parse_batch(body: bytes) -> list[LeadEventIn] | None:
    """The events of a well-formed batch, read straight from the bytes by pydantic-core (no
    Python objects for the JSON first: a third less time than `json.loads` and `parse_events`);
    None for anything else, a single event, bad JSON or a bad event, which `parse_events`
    then reads and explains, field by field."""
    try:
        return BATCH.validate_json(body).events
    except ValidationError:
        return None


def parse_events(data: Any) -> tuple[list[LeadEventIn], list[IngestProblem]]:
    """Every event of a single-or-batch body, and a problem for each bad field of each event."""
    if isinstance(data, dict) and "events" in data:
        items = data["events"]
        if set(data) != {"events"}:
            extra = ", ".join(sorted(set(data) - {"events"}))
            return [], [IngestProblem(index=0, field=extra, message="unexpected beside `events`")]
        if not isinstance(items, list) or not items:
            return [], [IngestProblem(index=0, field="events", message="must be a non-empty list")]
        if len(items) > MAX_BATCH:
            message = f"at most {MAX_BATCH:,} events a batch, not {len(items):,}"
            return [], [IngestProblem(index=0, field="events", message=message)]
    else:
        items = [data]
    events: list[LeadEventIn] = []
    problems: list[IngestProblem] = []
    for index, item in enumerate(items):
        try:
            events.append(EVENT.validate_python(item))
        except ValidationError as error:
            problems.extend(_problems(error, index))
    return events, problems


def register(api: FastAPI, services: Services) -> None:
    router = APIRouter(tags=["lead events"])

    @router.post(
        PATH,
        summary="Store lead events from a CRM",
        response_model=IngestResult,
        responses={
            400: {"description": "The body is not JSON."},
            401: {"description": "Missing or wrong bearer token."},
            413: {"description": "The body is over 4 MiB."},
            422: {"description": "Some events are invalid: one problem per bad field."},
            503: {"description": "Slack or the database is unavailable: nothing stored; retry."},
        },
    )
    async def post_events(request: Request) -> JSONResponse:
        """One event, or `{"events": [...]}` with at most 1,000. A batch is stored whole or not at
        all; an event whose `id` was stored before is counted as a duplicate and changes nothing,
        so retrying is always safe."""
        refused = _authorised(services, request)
        if refused is not None:
            return refused
        body = await _read_body(request)
        if body is None:
            return _error(
                413, f"body over {MAX_BODY_BYTES // (1024 * 1024)} MiB: send smaller batches"
            )
        events = parse_batch(body)
        if events is None:
            try:
                data = json.loads(body)
            except RecursionError:
                return _error(400, "body is not valid JSON: nested too deeply")
            except ValueError as error:
                # Also Python's limit on the digits of one integer (4,300), and bad UTF-8.
                return _error(400, f"body is not valid JSON: {str(error)[:200]}")
            events, problems = parse_events(data)
            if problems:
                return _error(
                    422,
                    f"{len({p.index for p in problems})} invalid event(s); nothing was stored",
                    errors=[problem.model_dump() for problem in problems],
                )
        try:
            ingested = await ingest(services, events, origin="api")
        except SlackUnavailable as error:
            logger.warning("event batch refused: %s", error)
            return _error(503, "Slack could not be asked who the owner is; nothing stored; retry")
        except SQLAlchemyError:
            logger.exception("event batch failed in the database; rolled back")
            return _error(503, "the database failed while storing; nothing was stored; retry")
        result = IngestResult(
            stored=len(ingested.result.stored),
            duplicates=len(ingested.result.duplicates),
            waiting=len(ingested.result.waiting),
            unmatched_owners=ingested.unmatched,
        )
        return JSONResponse(result.model_dump())

    api.include_router(router)
    _publish_request_schema(api)


def _publish_request_schema(api: FastAPI) -> None:
    """The body is parsed by hand (to report every bad event by index), so its schema is
    added to the OpenAPI document here: one event, or a batch of them."""

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is not None:
            return api.openapi_schema
        schema = get_openapi(
            title=api.title, version=api.version, summary=api.summary, routes=api.routes
        )
        body = TypeAdapter(EventBatch | LeadEventIn).json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(body.pop("$defs", {}))
        schema["paths"][PATH]["post"]["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
        api.openapi_schema = schema
        return schema

    api.openapi = openapi  # type: ignore[method-assign]
