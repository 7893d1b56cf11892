"""Slack's HTTP requests handed to Bolt, read as the forms they are.

slack-bolt (1.x, `slack_bolt.request.internals.parse_body`) reads any form body that contains
the word "payload" anywhere as an interactive payload, and finds none in a slash command: the
command `/lead reject L-1 payload too small` reached no listener and Slack showed the person
`dispatch_failed`. A form with no `payload` field is read here as the form it is; the raw body
Bolt checks the signature against is unchanged."""

from __future__ import annotations

from urllib.parse import parse_qsl

from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from starlette.requests import Request
from starlette.responses import Response

FORM = "application/x-www-form-urlencoded"


async def dispatch(bolt: AsyncApp, request: Request) -> Response:
    bolt_request = to_async_bolt_request(request, await request.body())
    if not bolt_request.body and bolt_request.content_type == FORM:
        fields = dict(parse_qsl(bolt_request.raw_body, keep_blank_values=True))
        if fields and "payload" not in fields:
            bolt_request.body = fields
            bolt_request.context = build_async_context(AsyncBoltContext({}), fields)
    return to_starlette_response(await bolt.async_dispatch(bolt_request))
