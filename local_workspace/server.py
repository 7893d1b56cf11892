"""The local workspace's page and the JSON it reads: Slack played in a browser, for one sample
company, when no Slack app is connected (DESIGN §4, "Local workspace").

Everything a person does on the page reaches the app the way Slack's traffic does: a slash
command, a button, a modal's submit and App Home's opening are sent to `POST /slack/events`
over HTTP, built and signed exactly as Slack builds and signs them; and everything the app says
goes through its Slack client to the emulated Web API (local_workspace/emulator.py), which
keeps what each person sees. The page only reads that and renders it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel

from blocks.digest_message import DRAWING
from bot.jobs import follow_up_runs
from local_workspace import company
from local_workspace.emulator import SlackEmulator
from local_workspace.slack_requests import (
    API_APP_ID,
    VERIFICATION_TOKEN,
    event_body,
    interaction_body,
    json_headers,
    slack_headers,
    slash_command_body,
)
from services import digests, settings_changes
from services.context import Services

logger = logging.getLogger("smarketing.local")

STATIC = Path(__file__).parent / "static"
BANNER = "Local workspace — not connected to Slack"
TEAM_ID = "T0LOCAL"
COMMANDS = ("/leads-needed", "/lead", "/sla-status", "/smarketing", "/campaign", "/persona")
JOBS = (
    ("digest", "Weekly digest"),
    ("nudges", "Nudges to reps"),
    ("escalations", "Escalations to managers"),
)
SLACK_TIMEOUT = 3.0  # Slack gives up on the app after 3 seconds: so does the page


class Command(BaseModel):
    user: str
    conversation: str
    command: str
    text: str = ""


class Action(BaseModel):
    user: str
    conversation: str | None = None
    message_ts: str | None = None
    view_id: str | None = None
    action: dict[str, Any]


class Submission(BaseModel):
    user: str
    view_id: str
    values: dict[str, Any] = {}


class Closed(BaseModel):
    user: str
    view_id: str | None = None


class Someone(BaseModel):
    user: str


class LocalWorkspace:
    """The emulated Slack and what it takes to act in it as a person of the sample company."""

    def __init__(self, emulator: SlackEmulator, *, signing_secret: str) -> None:
        self.slack = emulator
        self.signing_secret = signing_secret

    # ---------------------------------------------------------------- who and where

    def person(self, user_id: str) -> company.Person:
        for person in company.PEOPLE:
            if person.user_id == user_id:
                return person
        raise HTTPException(404, f"no one in the local workspace has the id {user_id}")

    def conversations(self, person: company.Person) -> list[dict[str, str]]:
        channels = [
            {"id": channel_id, "name": name, "kind": "channel"}
            for channel_id, name in company.CHANNELS
        ]
        return [*channels, {"id": dm_of(person.user_id), "name": "Smarketing", "kind": "dm"}]

    def messages(self, person: company.Person, conversation: str) -> list[dict[str, Any]]:
        if conversation.startswith("D") and conversation != dm_of(person.user_id):
            raise HTTPException(403, "that is someone else's direct message")
        shared = self.slack.messages_in(conversation)
        mine = [
            {**message, "ephemeral": True}
            for message in self.slack.ephemerals(user=person.user_id, channel=conversation)
        ]
        return sorted([*shared, *mine], key=lambda message: float(message["ts"]))

    # ---------------------------------------------------------------- as Slack sends it

    async def _send(self, base_url: str, body: str, headers: dict[str, str]) -> httpx.Response:
        async with httpx.AsyncClient(timeout=SLACK_TIMEOUT) as client:
            return await client.post(f"{base_url}slack/events", content=body, headers=headers)

    def _user(self, person: company.Person) -> dict[str, str]:
        return {
            "id": person.user_id,
            "username": person.name.split()[0].lower(),
            "name": person.name.split()[0].lower(),
            "team_id": TEAM_ID,
        }

    async def command(self, base_url: str, asked: Command) -> dict[str, Any]:
        person = self.person(asked.user)
        name = asked.command.strip()
        if name not in COMMANDS:
            return {"ok": False, "error": f"{name} is not a valid command"}
        body = slash_command_body(
            command=name,
            text=asked.text,
            user_id=person.user_id,
            user_name=self._user(person)["name"],
            channel_id=asked.conversation,
            team_id=TEAM_ID,
            response_url=self.slack.new_response_url(
                user=person.user_id, channel=asked.conversation
            ),
            trigger_id=self.slack.new_trigger(person.user_id),
        )
        try:
            answer = await self._send(base_url, body, self._signed(body))
        except httpx.TimeoutException:
            return {"ok": False, "error": f'{name} failed with the error "operation_timeout"'}
        if answer.status_code != 200:
            return {"ok": False, "error": f'{name} failed with the error "dispatch_failed"'}
        if answer.content:
            reply = answer.json()
            reply_message = {k: reply[k] for k in ("text", "blocks") if k in reply}
            reply_message["command"] = f"{name} {asked.text}".strip()
            if reply.get("response_type") == "in_channel":
                self.slack.show_in_channel(channel=asked.conversation, message=reply_message)
            else:
                self.slack.show_ephemeral(
                    user=person.user_id, channel=asked.conversation, message=reply_message
                )
        return {"ok": True}

    async def action(self, base_url: str, pressed: Action) -> dict[str, Any]:
        person = self.person(pressed.user)
        action = {**pressed.action, "action_ts": f"{uuid.uuid4().int % 10**10}.000000"}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(person),
            "api_app_id": API_APP_ID,
            "token": VERIFICATION_TOKEN,
            "team": {"id": TEAM_ID, "domain": "local"},
            "trigger_id": self.slack.new_trigger(person.user_id),
            "actions": [action],
        }
        if pressed.view_id is not None:
            view = (
                self.slack.home_of(person.user_id)
                if pressed.view_id == "home"
                else self.slack.modal_of(person.user_id)
            )
            if view is None:
                return {"ok": False, "error": "that view is no longer open"}
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = view
        elif pressed.conversation is not None and pressed.message_ts is not None:
            message = next(
                (
                    shown
                    for shown in self.messages(person, pressed.conversation)
                    if shown["ts"] == pressed.message_ts
                ),
                None,
            )
            if message is None:
                return {"ok": False, "error": "that message is gone"}
            payload["container"] = {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": pressed.conversation,
                "is_ephemeral": bool(message.get("ephemeral")),
            }
            payload["channel"] = {"id": pressed.conversation}
            payload["message"] = {k: v for k, v in message.items() if k != "ephemeral"}
            payload["response_url"] = self.slack.new_response_url(
                user=person.user_id, channel=pressed.conversation
            )
        else:
            raise HTTPException(422, "give the message (conversation and message_ts) or view_id")
        body = interaction_body(payload)
        answer = await self._send(base_url, body, self._signed(body))
        return {"ok": answer.status_code == 200}

    async def submit(self, base_url: str, submitted: Submission) -> dict[str, Any]:
        person = self.person(submitted.user)
        view = self.slack.modal_of(person.user_id)
        if view is None or view.get("id") != submitted.view_id:
            return {"ok": False, "error": "that modal is no longer open"}
        payload = {
            "type": "view_submission",
            "user": self._user(person),
            "api_app_id": API_APP_ID,
            "token": VERIFICATION_TOKEN,
            "team": {"id": TEAM_ID, "domain": "local"},
            "trigger_id": self.slack.new_trigger(person.user_id),
            "view": {**view, "state": {"values": submitted.values}},
        }
        body = interaction_body(payload)
        answer = await self._send(base_url, body, self._signed(body))
        if answer.status_code != 200:
            return {"ok": False, "error": "the app did not accept the form"}
        reply = answer.json() if answer.content else {}
        if reply.get("response_action") == "errors":
            return {"ok": False, "errors": reply.get("errors") or {}}
        self.slack.close_modal(person.user_id, submitted.view_id)
        return {"ok": True}

    async def home_opened(self, base_url: str, someone: Someone) -> dict[str, Any]:
        person = self.person(someone.user)
        event = {
            "type": "app_home_opened",
            "user": person.user_id,
            "channel": dm_of(person.user_id),
            "tab": "home",
            "event_ts": f"{uuid.uuid4().int % 10**10}.000000",
        }
        body = event_body(event, team_id=TEAM_ID, bot_user_id=self.slack.bot_user_id)
        answer = await self._send(
            base_url, body, json_headers(body, signing_secret=self.signing_secret)
        )
        return {"ok": answer.status_code == 200}

    def _signed(self, body: str) -> dict[str, str]:
        return slack_headers(body, signing_secret=self.signing_secret)


def dm_of(user_id: str) -> str:
    """The bot's direct-message channel with `user_id`, as the emulator names it."""
    return "D" + user_id


async def run_job(services: Services, name: str) -> str:
    """A job run now, as the scheduler runs it (`digest` posts this week's digest now)."""
    if name == "digest":
        where = await settings_changes.digest_where(services)
        if where.channel is None:
            return "No digest channel is set: an admin sets one with /smarketing digest #channel"
        outcome = await digests.post_digest_now(services, drawing=DRAWING, channel=where.channel)
        return f"Weekly digest: {outcome.status.value}"
    if name == "nudges":
        run = await follow_up_runs.run_nudges(services)
        return f"Nudges: {run.describe()} (reps are nudged only in their working hours)"
    if name == "escalations":
        run = await follow_up_runs.run_escalations(services)
        return f"Escalations: {run.describe()}"
    raise HTTPException(404, f"no job is called {name}")


def mount(api: FastAPI, local: LocalWorkspace) -> None:
    """The page at `/`, its JSON under `/local/api`, uploaded files under `/local/files`."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @router.get("/local/static/{name}")
    async def static(name: str) -> FileResponse:
        path = (STATIC / name).resolve()
        if path.parent != STATIC.resolve() or not path.is_file():
            raise HTTPException(404)
        return FileResponse(path)

    @router.get("/local/files/{file_id}")
    async def file(file_id: str) -> Response:
        found = local.slack.file(file_id)
        if found is None:
            raise HTTPException(404)
        data, name = found
        kind = "image/png" if name.endswith(".png") else "application/octet-stream"
        return Response(data, media_type=kind)

    @router.get("/local/api/world")
    async def world(user: str) -> dict[str, Any]:
        person = local.person(user)
        return {
            "banner": BANNER,
            "seq": local.slack.seq,
            "me": _person(person),
            "people": [_person(someone) for someone in company.PEOPLE],
            "conversations": local.conversations(person),
            "commands": list(COMMANDS),
            "jobs": [{"name": name, "label": label} for name, label in JOBS],
        }

    @router.get("/local/api/messages")
    async def messages(user: str, conversation: str) -> dict[str, Any]:
        person = local.person(user)
        return {"seq": local.slack.seq, "messages": local.messages(person, conversation)}

    @router.get("/local/api/home")
    async def home(user: str) -> dict[str, Any]:
        return {"view": local.slack.home_of(local.person(user).user_id)}

    @router.get("/local/api/modal")
    async def modal(user: str) -> dict[str, Any]:
        return {"view": local.slack.modal_of(local.person(user).user_id), "errors": {}}

    @router.get("/local/api/seq")
    async def seq(since: int | None = None, wait: float = 0) -> dict[str, int]:
        if since is None or wait <= 0:
            return {"seq": local.slack.seq}
        changed = await asyncio.to_thread(local.slack.wait_for_change, since, timeout=min(wait, 25))
        return {"seq": changed}

    @router.post("/local/api/command")
    async def command(asked: Command, request: Request) -> dict[str, Any]:
        return await local.command(str(request.base_url), asked)

    @router.post("/local/api/action")
    async def action(pressed: Action, request: Request) -> dict[str, Any]:
        return await local.action(str(request.base_url), pressed)

    @router.post("/local/api/view_submission")
    async def view_submission(submitted: Submission, request: Request) -> dict[str, Any]:
        return await local.submit(str(request.base_url), submitted)

    @router.post("/local/api/view_closed")
    async def view_closed(closed: Closed) -> dict[str, Any]:
        local.slack.close_modal(local.person(closed.user).user_id, closed.view_id)
        return {"ok": True}

    @router.post("/local/api/home_opened")
    async def home_opened(someone: Someone, request: Request) -> dict[str, Any]:
        return await local.home_opened(str(request.base_url), someone)

    @router.post("/local/api/jobs/{name}/run")
    async def run(name: str, request: Request) -> JSONResponse:
        services: Services = request.app.state.services
        said = await run_job(services, name)
        return JSONResponse({"ok": True, "said": said})

    api.include_router(router)


def _person(person: company.Person) -> dict[str, str]:
    return {"id": person.user_id, "name": person.name, "role": person.role, "tz": person.tz}
