"""A Slack Web API emulator served over real HTTP on 127.0.0.1: what the tests talk to, and
the Slack of the local workspace (`live=True`: messages are edited and deleted in place, files
are shared in their channel, ephemeral messages, App Homes and modals are kept for the person
who sees them, and every change moves `seq` so a page can follow along)."""

from __future__ import annotations

import collections
import contextlib
import email.message
import email.parser
import email.policy
import json
import math
import threading
import time
import urllib.parse
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from domain import slack_tiers
from local_workspace.served import ServedInThread

__all__ = ["BOT_ID", "Call", "SlackEmulator"]

BOT_ID = "B0TEST"
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT_LENGTH = 40_000
_TS_BASE_MICROS = 1_700_000_000_000_000
_TS_STEP_MICROS = 100

# Parameters Slack accepts as JSON-encoded strings in form bodies / query strings.
_JSON_PARAMS = frozenset(
    {
        "blocks",
        "attachments",
        "view",
        "users",
        "files",
        "metadata",
        "channels",
        "unfurls",
        "user_auth_blocks",
        "chunks",
    }
)


@dataclass(frozen=True)
class Call:
    """One Web API call as received by the emulator, and how it was answered."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    answered_status: int
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when answered HTTP 200 with ``"ok": true``."""
        return self.answered_status == 200 and self.response.get("ok") is True


@dataclass
class _User:
    user_id: str
    name: str
    email: str | None
    tz: str
    is_admin: bool
    is_owner: bool
    deleted: bool


@dataclass
class _Channel:
    channel_id: str
    name: str
    is_archived: bool
    bot_is_member: bool


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    error: str | None
    remaining: int


class _Tiers:
    """Sliding windows of the calls Slack took: per method, per channel for chat.postMessage,
    and the workspace's posts; a call past its limit gets 429 and the wait until it fits."""

    def __init__(self, minute: float) -> None:
        self.minute = minute
        self.calls: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)

    def _wait(self, key: str, limit: int, window: float, now: float) -> float | None:
        """Seconds until `key` may be called again, or None when it may be now."""
        taken = self.calls[key]
        while taken and taken[0] <= now - window:
            taken.popleft()
        return taken[0] + window - now if len(taken) >= limit else None

    def take(self, method: str, params: dict[str, Any]) -> _Fault | None:
        """None when Slack takes the call now (and counts it); else its 429."""
        now = time.monotonic()
        if method == "chat.postMessage":
            channel = str(params.get("channel") or "")
            limits = [
                (f"post:{channel}", slack_tiers.POSTS_PER_CHANNEL_PER_SECOND, self.minute / 60),
                ("post", slack_tiers.POSTS_PER_MINUTE, self.minute),
            ]
        else:
            per_minute = slack_tiers.per_minute(method)
            limits = [(method, per_minute, self.minute)] if per_minute is not None else []
        for key, limit, window in limits:
            wait = self._wait(key, limit, window, now)
            if wait is not None:
                return _Fault(429, max(1, math.ceil(wait)), None, 1)
        for key, _limit, _window in limits:
            self.calls[key].append(now)
        return None


@dataclass
class _RateLimit:
    every: int
    retry_after: int
    calls: int = 0


@dataclass
class _Slow:
    seconds: float
    remaining: int


@dataclass
class _PendingUpload:
    file_id: str
    filename: str
    length: int


class _Clock(Protocol):
    def now(self) -> datetime: ...


class _ApiError(Exception):
    """Raised by a method handler to answer HTTP 200 ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, emulator: SlackEmulator) -> None:
        self.emulator = emulator
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "SlackEmulator/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: the emulator logs nothing to stderr."""

    def do_GET(self) -> None:
        self.server.emulator._dispatch(self)

    def do_POST(self) -> None:
        self.server.emulator._dispatch(self)

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline().strip()
                size = int(size_line.split(b";", 1)[0] or b"0", 16)
                if size == 0:
                    # Trailer section ends with an empty line.
                    while self.rfile.readline().strip():
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_json(
        self, status: int, body: dict[str, Any], extra_headers: dict[str, str] | None = None
    ) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


def _decode_json_params(params: dict[str, Any]) -> dict[str, Any]:
    decoded = dict(params)
    for key in _JSON_PARAMS:
        value = decoded.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                decoded[key] = json.loads(value)
    return decoded


def _parse_form(text: str) -> dict[str, Any]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}


def _blocks_are_valid(blocks: Any, max_blocks: int) -> bool:
    if not isinstance(blocks, list) or len(blocks) > max_blocks:
        return False
    for raw in blocks:
        if not isinstance(raw, dict) or "type" not in raw:
            return False
        try:
            parsed = Block.parse(raw)
            if parsed is None:
                return False
            parsed.validate_json()
            parsed.to_dict()  # validates nested elements and text objects too
        except SlackObjectFormationError:
            return False
        except (TypeError, ValueError, AttributeError, KeyError):
            return False
    return True


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _tz_offset_seconds(tz: str) -> int:
    try:
        zone = zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return 0
    offset = datetime.now(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


class SlackEmulator(ServedInThread):
    """Emulates the parts of Slack's Web API the app uses, on a real local HTTP server.

    Point ``slack_sdk`` clients at :attr:`api_url` (``base_url=emulator.api_url``).
    Call headers are recorded with the casing the client sent.
    """

    thread_name = "slack-emulator"

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        team_id: str = "T0TEST",
        bot_user_id: str = "UBOT",
        live: bool = False,
    ) -> None:
        self.bot_token = bot_token
        self.live = live
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._ts_counter = 0
        self._last_ts = 0
        self.clock: _Clock | None = None  # what time it is in Slack's world; see _next_ts
        self._id_counter = 0
        self._calls: list[Call] = []
        self._responses: dict[str, list[dict[str, Any]]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._slows: dict[str, list[_Slow]] = {}
        self._rate_limits: dict[str, _RateLimit] = {}
        self._tiers: _Tiers | None = None  # Slack's published limits, when a test asks
        self._hooks: dict[str, list[Callable[[], None]]] = {}
        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._pending_uploads: dict[str, _PendingUpload] = {}
        self._uploaded: dict[str, bytes] = {}
        self._history: dict[str, list[dict[str, Any]]] = {}  # channel → messages, oldest first
        # What people see besides channel history (kept in any mode, shown by the local page):
        self._ephemerals: list[dict[str, Any]] = []  # {"channel", "user", "message"}
        self._homes: dict[str, dict[str, Any]] = {}  # user → the App Home view published
        self._modals: dict[str, list[dict[str, Any]]] = {}  # user → open modal views, a stack
        self._triggers: dict[str, str] = {}  # trigger_id → the user who triggered it
        self._response_to: dict[str, tuple[str, str]] = {}  # response id → (user, channel)
        self._changed = threading.Condition(self._lock)
        self.seq = 0  # moves on every change a person could see
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    # ------------------------------------------------------------------ lifecycle

    def _make_server(self) -> ThreadingHTTPServer:
        return _Server(self)

    def reset(self) -> None:
        """Forget calls, responses, faults, delays, uploads, users and channels."""
        with self._lock:
            self._calls.clear()
            self._responses.clear()
            self._faults.clear()
            self._slows.clear()
            self._rate_limits.clear()
            self._tiers = None
            self._hooks.clear()
            self._users.clear()
            self._channels.clear()
            self._pending_uploads.clear()
            self._uploaded.clear()
            self._history.clear()
            self._ephemerals.clear()
            self._homes.clear()
            self._modals.clear()
            self._triggers.clear()
            self._response_to.clear()
            self.clock = None

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SlackEmulator is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def new_response_url(self, *, user: str | None = None, channel: str | None = None) -> str:
        """A fresh response_url; JSON POSTed to it is kept for :meth:`responses` and, given
        the person and conversation, shown to them as Slack would."""
        response_id = uuid.uuid4().hex
        with self._lock:
            self._responses[response_id] = []
            if user is not None and channel is not None:
                self._response_to[response_id] = (user, channel)
        return f"{self.base_url}/response/{response_id}"

    def new_trigger(self, user: str) -> str:
        """A trigger_id for something `user` did: views.open with it opens their modal."""
        trigger_id = f"{uuid.uuid4().int % 10**13}.{uuid.uuid4().hex[:12]}"
        with self._lock:
            self._triggers[trigger_id] = user
        return trigger_id

    def responses(self, response_url: str) -> list[dict[str, Any]]:
        """JSON bodies POSTed to ``response_url``, oldest first."""
        response_id = urllib.parse.urlsplit(response_url).path.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            if response_id not in self._responses:
                raise KeyError(f"not a response_url issued by this emulator: {response_url}")
            return list(self._responses[response_id])

    # ------------------------------------------------------------------ inspection

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """Calls to ``method`` that were answered HTTP 200 with ``"ok": true``."""
        with self._lock:
            return [c for c in self._calls if c.method == method and c.ok]

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """The messages posted to ``channel`` (id or ``#name``), oldest first."""
        with self._lock:
            return list(self._history.get(self._resolve_channel(channel), []))

    def uploaded(self, file_id: str) -> bytes:
        """The bytes uploaded for ``file_id`` (KeyError if nothing arrived)."""
        with self._lock:
            return self._uploaded[file_id]

    @property
    def uploaded_files(self) -> dict[str, bytes]:
        with self._lock:
            return dict(self._uploaded)

    # ------------------------------------------------------------------ what people see

    def people(self) -> list[dict[str, Any]]:
        """Every user, as users.info describes them."""
        with self._lock:
            return [self._user_object(user) for user in self._users.values()]

    def channels(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"id": c.channel_id, "name": c.name, "is_archived": c.is_archived}
                for c in self._channels.values()
            ]

    def ephemerals(self, *, user: str, channel: str) -> list[dict[str, Any]]:
        """The ephemeral messages `user` was shown in `channel`, oldest first."""
        with self._lock:
            return [
                dict(e["message"])
                for e in self._ephemerals
                if e["user"] == user and e["channel"] == channel
            ]

    def show_ephemeral(self, *, user: str, channel: str, message: dict[str, Any]) -> None:
        """Show `user` a message only they see (a slash command's reply)."""
        with self._lock:
            entry = {"type": "message", "user": self.bot_user_id, **message, "ts": self._next_ts()}
            self._ephemerals.append({"channel": channel, "user": user, "message": entry})
            self._touch()

    def show_in_channel(self, *, channel: str, message: dict[str, Any]) -> None:
        """A reply everyone in `channel` sees (a slash command answered `in_channel`)."""
        with self._lock:
            ts = self._next_ts()
            entry = {"type": "message", "user": self.bot_user_id, **message, "ts": ts}
            self._history.setdefault(channel, []).append(entry)
            self._touch()

    def home_of(self, user: str) -> dict[str, Any] | None:
        with self._lock:
            return self._homes.get(user)

    def modal_of(self, user: str) -> dict[str, Any] | None:
        """The modal on top of `user`'s stack, if any is open."""
        with self._lock:
            stack = self._modals.get(user) or []
            return stack[-1] if stack else None

    def close_modal(self, user: str, view_id: str | None = None) -> None:
        with self._lock:
            stack = self._modals.get(user) or []
            if stack and (view_id is None or stack[-1].get("id") == view_id):
                stack.pop()
                self._touch()

    def file(self, file_id: str) -> tuple[bytes, str] | None:
        """An uploaded file's bytes and name."""
        with self._lock:
            data, pending = self._uploaded.get(file_id), self._pending_uploads.get(file_id)
            return (data, pending.filename) if data is not None and pending else None

    def wait_for_change(self, seq: int, *, timeout: float) -> int:
        """Block until something changes after `seq` (or the timeout); the new `seq`."""
        with self._changed:
            self._changed.wait_for(lambda: self.seq != seq, timeout=timeout)
            return self.seq

    def _touch(self) -> None:
        """Lock held: something a person could see changed."""
        self.seq += 1
        self._changed.notify_all()

    # ------------------------------------------------------------------ world setup

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        email: str | None = None,
        tz: str = "UTC",
        is_admin: bool = False,
        is_owner: bool = False,
        deleted: bool = False,
    ) -> None:
        with self._lock:
            self._users[user_id] = _User(user_id, name, email, tz, is_admin, is_owner, deleted)

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str,
        is_archived: bool = False,
        bot_is_member: bool = True,
    ) -> None:
        with self._lock:
            self._channels[channel_id] = _Channel(channel_id, name, is_archived, bot_is_member)

    # ------------------------------------------------------------------ fault injection

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        retry_after: int | None = None,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with a fault.

        429 → HTTP 429 + ``Retry-After`` (default 1), ``ratelimited``;
        other non-200 → that status with ``internal_error`` (or ``error``);
        200 → HTTP 200 ``{"ok": false, "error": error}``.
        """
        if status == 200 and error is None:
            raise ValueError("fail(status=200) needs an error name")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault(status, retry_after, error, times))

    def rate_limit(self, method: str, *, every: int, retry_after: int = 1) -> None:
        """Answer every ``every``-th call to ``method`` (the 50th, the 100th, …) with HTTP 429
        and ``Retry-After``, as Slack does to an app that goes over a method's rate."""
        if every < 1:
            raise ValueError("every must be >= 1")
        with self._lock:
            self._rate_limits[method] = _RateLimit(every, retry_after)

    def on_call(self, method: str, hook: Callable[[], None]) -> None:
        """Run ``hook`` once, when the next call to ``method`` has been answered but before the
        answer is sent: the moment a client may still lose what Slack already did."""
        with self._lock:
            self._hooks.setdefault(method, []).append(hook)

    def enforce_tiers(self, *, minute: float = 60.0) -> None:
        """Answer as Slack does past its published rate limits (domain/slack_tiers.py): per
        method per `minute` (Tier 2 20, Tier 3 50, Tier 4 100), and chat.postMessage one per
        second per channel (`minute`/60 seconds) under a workspace-wide cap — HTTP 429 with
        `Retry-After`, the seconds until a call would be taken again (a test may shrink the
        minute to run faster)."""
        with self._lock:
            self._tiers = _Tiers(minute)

    def slow(self, method: str, *, seconds: float, times: int = 1) -> None:
        """Delay the next ``times`` answers to ``method`` by ``seconds``."""
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._slows.setdefault(method, []).append(_Slow(seconds, times))

    # ------------------------------------------------------------------ HTTP plumbing

    def _dispatch(self, handler: _Handler) -> None:
        split = urllib.parse.urlsplit(handler.path)
        path = split.path
        try:
            body = handler.read_body()
        except (ValueError, OSError):
            handler.send_json(400, {"ok": False, "error": "invalid_request"})
            return
        if path.startswith("/api/"):
            self._handle_api(handler, path[len("/api/") :], split.query, body)
        elif path.startswith("/response/") and handler.command == "POST":
            self._handle_response_url(handler, path[len("/response/") :], body)
        elif path.startswith("/upload/") and handler.command == "POST":
            self._handle_upload(handler, path[len("/upload/") :], body)
        else:
            handler.send_json(404, {"ok": False, "error": "not_found"})

    def _parse_params(self, handler: _Handler, query: str, body: bytes) -> dict[str, Any]:
        params: dict[str, Any] = _parse_form(query)
        content_type = handler.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        text = body.decode("utf-8", errors="replace") if body else ""
        if content_type == "application/json" and text.strip():
            try:
                loaded = json.loads(text)
            except json.JSONDecodeError:
                loaded = None
            if isinstance(loaded, dict):
                params.update(loaded)
        elif content_type == "multipart/form-data" and body:
            params.update(_parse_multipart_fields(handler.headers.get("Content-Type", ""), body))
        elif text:
            params.update(_parse_form(text))
        return _decode_json_params(params)

    def _handle_api(self, handler: _Handler, method: str, query: str, body: bytes) -> None:
        params = self._parse_params(handler, query, body)
        headers = {k: v for k, v in handler.headers.items()}
        extra_headers: dict[str, str] = {}
        with self._lock:
            delay = self._take_slow(method)
            fault = (
                self._take_fault(method)
                or self._take_rate_limit(method)
                or (self._tiers.take(method, params) if self._tiers is not None else None)
            )
            if fault is not None:
                status, response, extra_headers = _fault_answer(fault)
            else:
                status = 200
                response = self._answer(method, params, headers)
            self._calls.append(Call(method, params, headers, status, response))
            hooks = self._hooks.pop(method, [])
        for hook in hooks:  # Slack has acted on the call; its answer has not left yet
            hook()
        if delay > 0:
            time.sleep(delay)
        handler.send_json(status, response, extra_headers)

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault

    def _take_rate_limit(self, method: str) -> _Fault | None:
        limit = self._rate_limits.get(method)
        if limit is None:
            return None
        limit.calls += 1
        if limit.calls % limit.every:
            return None
        return _Fault(429, limit.retry_after, None, 1)

    def _take_slow(self, method: str) -> float:
        queue = self._slows.get(method)
        if not queue:
            return 0.0
        slow = queue[0]
        slow.remaining -= 1
        if slow.remaining <= 0:
            queue.pop(0)
        return slow.seconds

    def _answer(
        self, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> dict[str, Any]:
        """Compute the JSON answer for one API call. Called with the lock held."""
        token: str | None = None
        for name, value in headers.items():
            if name.lower() == "authorization" and value.startswith("Bearer "):
                token = value[len("Bearer ") :].strip()
        if not token and isinstance(params.get("token"), str):
            token = params["token"]
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != self.bot_token:
            return {"ok": False, "error": "invalid_auth"}
        handler = self._methods.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            result = handler(params)
        except _ApiError as exc:
            return {"ok": False, "error": exc.error}
        return {"ok": True, **result}

    def _handle_response_url(self, handler: _Handler, response_id: str, body: bytes) -> None:
        response_id = response_id.rstrip("/")
        try:
            payload = json.loads(body.decode("utf-8")) if body else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
        with self._lock:
            if response_id not in self._responses:
                handler.send_json(404, {"ok": False, "error": "expired_url"})
                return
            if not isinstance(payload, dict):
                handler.send_json(400, {"ok": False, "error": "invalid_payload"})
                return
            self._responses[response_id].append(payload)
            if response_id in self._response_to:
                self._respond(self._response_to[response_id], payload)
        handler.send_json(200, {"ok": True})

    def _respond(self, to: tuple[str, str], payload: dict[str, Any]) -> None:
        """Lock held: a response_url post as the person sees it — in the channel for everyone,
        or only to them (replacing what they were shown, when asked)."""
        user, channel = to
        message = {
            "type": "message",
            "user": self.bot_user_id,
            "text": payload.get("text") or "",
            "ts": self._next_ts(),
        }
        if payload.get("blocks") is not None:
            message["blocks"] = payload["blocks"]
        if payload.get("response_type") == "in_channel":
            self._history.setdefault(channel, []).append(message)
        else:
            if payload.get("replace_original") or payload.get("delete_original"):
                mine = [
                    e for e in self._ephemerals if e["user"] == user and e["channel"] == channel
                ]
                if mine:
                    self._ephemerals.remove(mine[-1])
            if not payload.get("delete_original"):
                self._ephemerals.append({"channel": channel, "user": user, "message": message})
        self._touch()

    def _handle_upload(self, handler: _Handler, file_id: str, body: bytes) -> None:
        file_id = file_id.rstrip("/")
        content_type = handler.headers.get("Content-Type", "")
        if content_type.lower().startswith("multipart/form-data"):
            body = _parse_multipart_file(content_type, body) or body
        with self._lock:
            if file_id not in self._pending_uploads:
                handler.send_json(404, {"ok": False, "error": "file_not_found"})
                return
            self._uploaded[file_id] = body
        handler.send_json(200, {"ok": True, "size": len(body)})

    # ------------------------------------------------------------------ helpers (lock held)

    def _next_ts(self) -> str:
        """Like Slack's: the time of posting in microseconds, each one later than the last.
        With a `clock` (the tests' fake one) the world's time is the clock's."""
        self._ts_counter += 1
        micros = _TS_BASE_MICROS + self._ts_counter * _TS_STEP_MICROS
        if self.clock is not None:
            micros = max(int(self.clock.now().timestamp() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        self._id_counter += 1
        return f"{prefix}{self._id_counter:08X}"

    def _resolve_channel(self, raw: Any) -> str:
        if _is_blank(raw) or not isinstance(raw, str):
            raise _ApiError("channel_not_found")
        channel = raw.strip()
        if channel in self._channels:
            return channel
        name = channel.lstrip("#")
        for known in self._channels.values():
            if known.name == name:
                return known.channel_id
        if channel.startswith("U") or channel.startswith("W"):
            return "D" + channel
        return channel

    def _check_postable(self, channel_id: str) -> None:
        known = self._channels.get(channel_id)
        if known is None:
            return
        if known.is_archived:
            raise _ApiError("is_archived")
        if not known.bot_is_member:
            raise _ApiError("not_in_channel")

    def _check_message_content(self, params: dict[str, Any], *, require: bool = True) -> None:
        text = params.get("text")
        blocks = params.get("blocks")
        attachments = params.get("attachments")
        if require and _is_blank(text) and _is_blank(blocks) and _is_blank(attachments):
            raise _ApiError("no_text")
        if not _is_blank(blocks) and not _blocks_are_valid(blocks, MAX_MESSAGE_BLOCKS):
            raise _ApiError("invalid_blocks")
        if isinstance(text, str) and len(text) > MAX_TEXT_LENGTH:
            raise _ApiError("msg_too_long")

    def _message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "text": params.get("text") or "",
            "user": self.bot_user_id,
            "bot_id": BOT_ID,
            "team": self.team_id,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if params.get(key) is not None:
                message[key] = params[key]
        return message

    def _user_object(self, user: _User) -> dict[str, Any]:
        return {
            "id": user.user_id,
            "team_id": self.team_id,
            "name": user.name,
            "real_name": user.name,
            "deleted": user.deleted,
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_bot": False,
            "tz": user.tz,
            "tz_offset": _tz_offset_seconds(user.tz),
            "profile": {
                "email": user.email,
                "real_name": user.name,
                "display_name": user.name,
            },
        }

    def _parse_view(self, raw: Any, allowed_types: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise _ApiError("invalid_arguments")
        if raw.get("type") not in allowed_types:
            raise _ApiError("invalid_arguments")
        if not _blocks_are_valid(raw.get("blocks", []), MAX_VIEW_BLOCKS):
            raise _ApiError("invalid_arguments")
        return raw

    def _view_answer(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        return {
            "view": {
                **view,
                "id": view_id or self._next_id("V"),
                "team_id": self.team_id,
                "bot_id": BOT_ID,
                "hash": uuid.uuid4().hex,
            }
        }

    # ------------------------------------------------------------------ methods (lock held)

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://test-workspace.slack.com/",
            "team": "Test Workspace",
            "user": "smarketing",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        self._check_postable(channel)
        self._check_message_content(params)
        ts = self._next_ts()
        message = self._message(params, ts)
        if isinstance(message.get("metadata"), str):
            message["metadata"] = json.loads(message["metadata"])
        self._history.setdefault(channel, []).append(message)
        self._touch()
        return {"channel": channel, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        if _is_blank(params.get("user")):
            raise _ApiError("user_not_found")
        self._check_postable(channel)
        self._check_message_content(params)
        ts = self._next_ts()
        user = str(params["user"])
        self._ephemerals.append(
            {"channel": channel, "user": user, "message": self._message(params, ts)}
        )
        self._touch()
        return {"message_ts": ts}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        ts = params.get("ts")
        if _is_blank(ts):
            raise _ApiError("message_not_found")
        self._check_postable(channel)
        self._check_message_content(params, require=False)
        if self.live:
            self._edit(channel, str(ts), params)
        return {
            "channel": channel,
            "ts": str(ts),
            "text": params.get("text") or "",
            "message": self._message(params, str(ts)),
        }

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        ts = params.get("ts")
        if _is_blank(ts):
            raise _ApiError("message_not_found")
        if self.live:
            kept = [m for m in self._history.get(channel, []) if m["ts"] != str(ts)]
            self._history[channel] = kept
            self._touch()
        return {"channel": channel, "ts": str(ts)}

    def _edit(self, channel: str, ts: str, params: dict[str, Any]) -> None:
        """chat.update in place: the message (or an ephemeral one) keeps its ts."""
        found = [m for m in self._history.get(channel, []) if m["ts"] == ts]
        found += [e["message"] for e in self._ephemerals if e["message"]["ts"] == ts]
        for message in found:
            if params.get("text") is not None:
                message["text"] = params["text"]
            if params.get("blocks") is not None:
                message["blocks"] = params["blocks"]
            message["edited"] = True
        self._touch()

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        raw = params.get("users")
        if isinstance(raw, list):
            user_ids = [str(u).strip() for u in raw if str(u).strip()]
        elif isinstance(raw, str):
            user_ids = [u.strip() for u in raw.split(",") if u.strip()]
        else:
            user_ids = []
        if not user_ids:
            channel = params.get("channel")
            if isinstance(channel, str) and channel:
                return {"channel": {"id": channel}}
            raise _ApiError("users_list_not_supplied")
        for user_id in user_ids:
            user = self._users.get(user_id)
            if user is None or user.deleted:
                raise _ApiError("user_not_found")
        if len(user_ids) == 1:
            return {"channel": {"id": "D" + user_ids[0]}}
        group = uuid.uuid5(uuid.NAMESPACE_OID, ",".join(sorted(user_ids))).hex[:10].upper()
        return {"channel": {"id": "G" + group}}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel_id = params.get("channel")
        if not isinstance(channel_id, str):
            raise _ApiError("channel_not_found")
        known = self._channels.get(channel_id)
        if known is not None:
            return {
                "channel": {
                    "id": known.channel_id,
                    "name": known.name,
                    "is_channel": True,
                    "is_im": False,
                    "is_private": False,
                    "is_archived": known.is_archived,
                    "is_member": known.bot_is_member,
                }
            }
        if channel_id.startswith("D") and channel_id[1:] in self._users:
            return {
                "channel": {
                    "id": channel_id,
                    "is_channel": False,
                    "is_im": True,
                    "user": channel_id[1:],
                    "is_archived": False,
                    "is_member": True,
                }
            }
        raise _ApiError("channel_not_found")

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, between ``oldest`` and ``latest``; metadata only when asked for."""
        channel = self._resolve_channel(params.get("channel"))
        known = self._channels.get(channel)
        if known is not None and not known.bot_is_member:
            raise _ApiError("not_in_channel")
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or "inf")
        limit = int(params.get("limit") or 100)
        with_metadata = str(params.get("include_all_metadata")).lower() in {"1", "true"}
        found = [
            {k: v for k, v in m.items() if with_metadata or k != "metadata"}
            for m in reversed(self._history.get(channel, []))
            if oldest < float(m["ts"]) < latest
        ]
        return {"messages": found[:limit], "has_more": len(found) > limit}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(params.get("user") or ""))
        if user is None:
            raise _ApiError("user_not_found")
        return {"user": self._user_object(user)}

    def _users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """The workspace's people a page at a time (`limit`, at most 1,000; `cursor`), as Slack
        pages them: `response_metadata.next_cursor` is empty on the last page."""
        limit = max(1, min(int(params.get("limit") or 200), 1000))
        ids = sorted(self._users)
        start = int(str(params.get("cursor") or "0") or 0)
        page = ids[start : start + limit]
        following = start + limit
        return {
            "members": [self._user_object(self._users[user_id]) for user_id in page],
            "response_metadata": {"next_cursor": str(following) if following < len(ids) else ""},
        }

    def _users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = str(params.get("email") or "").strip().lower()
        if wanted:
            for user in self._users.values():
                if user.email is not None and user.email.lower() == wanted:
                    return {"user": self._user_object(user)}
        raise _ApiError("users_not_found")

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        if _is_blank(params.get("user_id")):
            raise _ApiError("invalid_arguments")
        view = self._parse_view(params.get("view"), ("home",))
        answer = self._view_answer(view)
        self._homes[str(params["user_id"])] = answer["view"]
        self._touch()
        return answer

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._modal(params, stacked=False)

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._modal(params, stacked=True)

    def _modal(self, params: dict[str, Any], *, stacked: bool) -> dict[str, Any]:
        """views.open (a new stack) or views.push (on top), for whoever the trigger is from."""
        if _is_blank(params.get("trigger_id")) and _is_blank(params.get("interactivity_pointer")):
            raise _ApiError("invalid_arguments")
        view = self._parse_view(params.get("view"), ("modal",))
        answer = self._view_answer(view)
        user = self._triggers.get(str(params.get("trigger_id") or ""))
        if user is not None:
            below = self._modals.get(user, []) if stacked else []
            self._modals[user] = [*below, answer["view"]]
            self._touch()
        return answer

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        if _is_blank(view_id) and _is_blank(params.get("external_id")):
            raise _ApiError("invalid_arguments")
        view = self._parse_view(params.get("view"), ("modal", "home"))
        answer = self._view_answer(view, str(view_id) if not _is_blank(view_id) else None)
        for stack in [*self._modals.values(), *([v] for v in self._homes.values())]:
            for index, shown in enumerate(stack):
                if shown.get("id") == answer["view"]["id"]:
                    stack[index].clear()
                    stack[index].update(answer["view"])
                    self._touch()
        return answer

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = params.get("filename")
        length_raw = params.get("length")
        if _is_blank(filename):
            raise _ApiError("invalid_arguments")
        try:
            length = int(str(length_raw))
        except ValueError:
            raise _ApiError("invalid_arguments") from None
        if length <= 0:
            raise _ApiError("invalid_arguments")
        file_id = self._next_id("F")
        self._pending_uploads[file_id] = _PendingUpload(file_id, str(filename), length)
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        if not isinstance(files, list) or not files:
            raise _ApiError("invalid_arguments")
        channel_id = params.get("channel_id")
        channels: list[str] = []
        if not _is_blank(channel_id):
            channels.append(str(channel_id))
        raw_channels = params.get("channels")
        if isinstance(raw_channels, str):
            channels.extend(c.strip() for c in raw_channels.split(",") if c.strip())
        elif isinstance(raw_channels, list):
            channels.extend(str(c) for c in raw_channels)
        for channel in channels:
            self._check_postable(channel)
        answered: list[dict[str, Any]] = []
        for entry in files:
            if not isinstance(entry, dict):
                raise _ApiError("invalid_arguments")
            file_id = str(entry.get("id") or "")
            pending = self._pending_uploads.get(file_id)
            if pending is None or file_id not in self._uploaded:
                raise _ApiError("file_not_found")
            answered.append(
                {
                    "id": file_id,
                    "name": pending.filename,
                    "title": entry.get("title") or pending.filename,
                    "size": len(self._uploaded[file_id]),
                    "channels": list(channels),
                    "initial_comment": params.get("initial_comment"),
                    "user": self.bot_user_id,
                }
            )
        if self.live:
            for channel in channels:
                self._share_files(channel, answered, params.get("thread_ts"))
        return {"files": answered}

    def _share_files(self, channel: str, files: list[dict[str, Any]], thread_ts: Any) -> None:
        """The files appear in the channel (in the thread), as Slack shows a shared file."""
        message: dict[str, Any] = {
            "type": "message",
            "text": "",
            "user": self.bot_user_id,
            "bot_id": BOT_ID,
            "ts": self._next_ts(),
            "files": [
                {
                    "id": f["id"],
                    "title": f["title"],
                    "name": f["name"],
                    "url": f"/local/files/{f['id']}",
                }
                for f in files
            ],
        }
        if not _is_blank(thread_ts):
            message["thread_ts"] = str(thread_ts)
        self._history.setdefault(channel, []).append(message)
        self._touch()


def _fault_answer(fault: _Fault) -> tuple[int, dict[str, Any], dict[str, str]]:
    if fault.status == 429:
        retry_after = fault.retry_after if fault.retry_after is not None else 1
        return (
            429,
            {"ok": False, "error": fault.error or "ratelimited"},
            {"Retry-After": str(retry_after)},
        )
    if fault.status == 200:
        return 200, {"ok": False, "error": fault.error or "internal_error"}, {}
    return fault.status, {"ok": False, "error": fault.error or "internal_error"}, {}


def _multipart_parts(content_type: str, body: bytes) -> list[email.message.Message]:
    raw = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    if not message.is_multipart():
        return []
    parts = message.get_payload()
    return (
        [p for p in parts if isinstance(p, email.message.Message)]
        if isinstance(parts, list)
        else []
    )


def _parse_multipart_fields(content_type: str, body: bytes) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for part in _multipart_parts(content_type, body):
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename() is not None:
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            fields[name] = payload.decode("utf-8", errors="replace")
    return fields


def _parse_multipart_file(content_type: str, body: bytes) -> bytes | None:
    for part in _multipart_parts(content_type, body):
        if part.get_filename() is not None:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload
    return None
