"""A HubSpot CRM API emulator served over real HTTP on 127.0.0.1: contacts, deals, deal
pipelines, owners and engagements (calls, emails, meetings, notes) as the v3 API shapes them,
with HubSpot's private-app auth, scopes, search (paging, the 10,000-result cap, the per-second
limit), fault injection, and webhooks signed as HubSpot signs them (v3).

Point a client at :attr:`HubSpotEmulator.api_url` with ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import json
import math
import re
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import httpx

from local_workspace.served import ServedInThread

__all__ = [
    "ALL_SCOPES",
    "ENGAGEMENT_KINDS",
    "SEARCH_RESULT_CAP",
    "Clock",
    "HubSpotCall",
    "HubSpotEmulator",
    "iso",
    "to_ms",
]

CONTACTS_READ = "crm.objects.contacts.read"
CONTACTS_WRITE = "crm.objects.contacts.write"
DEALS_READ = "crm.objects.deals.read"
OWNERS_READ = "crm.objects.owners.read"
ALL_SCOPES = frozenset({CONTACTS_READ, CONTACTS_WRITE, DEALS_READ, OWNERS_READ})

ENGAGEMENT_KINDS = ("calls", "emails", "meetings", "notes")
OBJECT_TYPES = ("contacts", "deals", *ENGAGEMENT_KINDS)
# engagement → contact association type ids (HUBSPOT_DEFINED)
ENGAGEMENT_TO_CONTACT_TYPE_ID = {"calls": 194, "emails": 198, "meetings": 200, "notes": 202}
_SINGULAR = {
    "contacts": "contact",
    "deals": "deal",
    "calls": "call",
    "emails": "email",
    "meetings": "meeting",
    "notes": "note",
}
_ASSOCIATION_NAMES = {**{t: t for t in OBJECT_TYPES}, **{s: t for t, s in _SINGULAR.items()}}
_FIRST_ID = {"contacts": 101, "deals": 5001, "engagements": 9001}

SEARCH_RESULT_CAP = 10_000
SEARCH_MAX_LIMIT = 200
SEARCH_DEFAULT_LIMIT = 10
SEARCH_MAX_GROUPS = 5
SEARCH_MAX_FILTERS_PER_GROUP = 6
SEARCH_MAX_FILTERS = 18
_OPERATORS = frozenset({"EQ", "NEQ", "GT", "GTE", "LT", "LTE", "HAS_PROPERTY", "NOT_HAS_PROPERTY"})
_SYSTEM_PROPERTIES = ("hs_object_id", "createdate", "lastmodifieddate")
_READ_ONLY = frozenset({*_SYSTEM_PROPERTIES, "hs_lastmodifieddate"})
_DATE_PROPERTIES = frozenset(
    {"createdate", "lastmodifieddate", "hs_lastmodifieddate", "hs_createdate", "hs_timestamp"}
)
# What GET and search return when no `properties` are asked for (besides _SYSTEM_PROPERTIES).
_DEFAULT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": ("email", "firstname", "lastname"),
    "deals": ("amount", "closedate", "dealname", "dealstage", "pipeline", "hs_lastmodifieddate"),
    **{kind: ("hs_timestamp",) for kind in ENGAGEMENT_KINDS},
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ISO_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?$"
)
_MS_RE = re.compile(r"^-?\d+$")

_AUTH_BODY = {
    "status": "error",
    "message": "Authentication credentials not found.",
    "category": "INVALID_AUTHENTICATION",
}
_NOT_FOUND_BODY = {
    "status": "error",
    "message": "resource not found",
    "category": "OBJECT_NOT_FOUND",
}
_RATE_LIMIT_BODY = {
    "status": "error",
    "message": "You have reached your secondly limit.",
    "errorType": "RATE_LIMIT",
    "category": "RATE_LIMITS",
    "policyName": "SECONDLY",
}
_INTERNAL_BODY = {"status": "error", "message": "internal error", "category": "INTERNAL_ERROR"}
_FAULT_CATEGORIES = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    409: "CONFLICT",
    423: "LOCKED",
}

_DEFAULT_STAGES: list[tuple[str, str, bool, float]] = [
    ("appointmentscheduled", "Appointment Scheduled", False, 0.2),
    ("qualifiedtobuy", "Qualified To Buy", False, 0.4),
    ("presentationscheduled", "Presentation Scheduled", False, 0.6),
    ("decisionmakerboughtin", "Decision Maker Bought-In", False, 0.8),
    ("contractsent", "Contract Sent", False, 0.9),
    ("closedwon", "Closed Won", True, 1.0),
    ("closedlost", "Closed Lost", True, 0.0),
]


# ---------------------------------------------------------------------- time helpers


class Clock(Protocol):
    def now(self) -> datetime: ...


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("give the HubSpot emulator aware datetimes")
    return at.astimezone(UTC)


def to_ms(at: datetime) -> int:
    """Epoch milliseconds of an aware datetime (sub-millisecond part dropped)."""
    return (_aware(at) - _EPOCH) // timedelta(milliseconds=1)


def _from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def iso(at: datetime) -> str:
    """HubSpot's timestamp format: ISO-8601 in UTC with milliseconds and Z."""
    at = _aware(at)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


@functools.lru_cache(maxsize=1 << 16)
def _parse_iso(value: str) -> datetime | None:
    if not _ISO_RE.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@functools.lru_cache(maxsize=1 << 16)
def _date_ms(value: str) -> int | None:
    """Epoch ms of a date value given as epoch ms or ISO-8601; None if it is neither. Kept:
    a search filters and sorts every object by its dates, page after page."""
    if _MS_RE.match(value):
        return int(value)
    parsed = _parse_iso(value)
    return to_ms(parsed) if parsed is not None else None


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


# ---------------------------------------------------------------------- records


@dataclass(frozen=True)
class HubSpotCall:
    """One request as the emulator received it, and the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int


@dataclass
class _Object:
    object_type: str  # contacts, deals, calls, emails, meetings, notes
    object_id: str
    properties: dict[str, str | None]
    created_at: datetime
    updated_at: datetime
    archived: bool = False
    created_by_api: bool = False
    links: dict[str, list[str]] = field(default_factory=dict)  # object type → ids


@dataclass
class _Owner:
    owner_id: str
    email: str
    first_name: str
    last_name: str
    user_id: int
    created_at: datetime


@dataclass
class _Pipeline:
    pipeline_id: str
    label: str
    stages: list[tuple[str, str, bool, float]]


@dataclass
class _Fault:
    method: str
    path_prefix: str
    status: int
    retry_after: int | None
    remaining: int


@dataclass
class _Slow:
    method: str
    path_prefix: str
    seconds: float
    remaining: int


class _ApiError(Exception):
    """Raised while answering a request: answer `status` with `body`."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}


def _validation(message: str) -> _ApiError:
    return _ApiError(400, {"status": "error", "message": message, "category": "VALIDATION_ERROR"})


def _not_found() -> _ApiError:
    return _ApiError(404, dict(_NOT_FOUND_BODY))


def _missing_scope(scope: str) -> _ApiError:
    return _ApiError(
        403,
        {
            "status": "error",
            "message": "This app hasn't been granted all required scopes to make this call.",
            "category": "MISSING_SCOPES",
            "errors": [
                {
                    "message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": [scope]},
                }
            ],
        },
    )


def _rate_limited(retry_after: int | None) -> _ApiError:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return _ApiError(429, dict(_RATE_LIMIT_BODY), headers)


# ---------------------------------------------------------------------- HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, emulator: HubSpotEmulator) -> None:
        self.emulator = emulator
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "HubSpotEmulator/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: the emulator logs nothing to stderr."""

    def do_GET(self) -> None:
        self.server.emulator._dispatch(self)

    def do_POST(self) -> None:
        self.server.emulator._dispatch(self)

    def do_PATCH(self) -> None:
        self.server.emulator._dispatch(self)

    def do_PUT(self) -> None:
        self.server.emulator._dispatch(self)

    def do_DELETE(self) -> None:
        self.server.emulator._dispatch(self)

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline().strip()
                size = int(size_line.split(b";", 1)[0] or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_json(self, status: int, body: dict[str, Any], extra_headers: dict[str, str]) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra_headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    query: dict[str, str]
    text: str
    authorization: str


_Route = Callable[[_Request, re.Match[str]], tuple[int, dict[str, Any]]]
_OBJECT_PATH = r"/crm/v3/objects/(contacts|deals|calls|emails|meetings|notes)"
_ENGAGEMENT_PATH = r"/crm/v3/objects/(calls|emails|meetings|notes)"


def _read_scope(object_type: str) -> str:
    return DEALS_READ if object_type == "deals" else CONTACTS_READ


# ---------------------------------------------------------------------- the emulator


class HubSpotEmulator(ServedInThread):
    """Emulates the parts of HubSpot's CRM v3 API the app uses, on a real local HTTP server.

    Seed it as if someone used HubSpot's UI (:meth:`add_contact`, :meth:`add_deal`, …), point
    a client at :attr:`api_url`, then read what happened (:attr:`calls`, :meth:`contact`,
    :meth:`engagements`). All state is guarded by one lock; the server answers from threads.
    """

    thread_name = "hubspot-emulator"

    def __init__(
        self,
        *,
        access_token: str = "pat-test-token",
        client_secret: str = "hs-client-secret",
        scopes: Iterable[str] | None = None,
        search_per_second: int | None = 5,
        clock: Clock | None = None,
    ) -> None:
        if search_per_second is not None and search_per_second < 1:
            raise ValueError("search_per_second must be >= 1 (or None for no limit)")
        self.access_token = access_token
        self.client_secret = client_secret
        self.scopes: frozenset[str] = ALL_SCOPES if scopes is None else frozenset(scopes)
        self.search_per_second = search_per_second
        self._initial_clock: Clock = clock if clock is not None else _UtcClock()
        self.clock: Clock = self._initial_clock
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._objects: dict[str, dict[str, _Object]] = {t: {} for t in OBJECT_TYPES}
        self._next_ids: dict[str, int] = dict(_FIRST_ID)
        self._emails: dict[str, str] = {}  # lower-cased email → live contact id
        self._owners: dict[str, _Owner] = {}
        self._next_user_id = 1001
        self._pipelines: dict[str, _Pipeline] = {}
        self._calls: list[HubSpotCall] = []
        self._faults: list[_Fault] = []
        self._slows: list[_Slow] = []
        self._searches: deque[float] = deque()  # monotonic times of searches in the last second
        self._next_event_id = 1
        self._reset_pipelines()
        self._routes: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], str], _Route]] = [
            ("GET", re.compile(rf"^{_OBJECT_PATH}/([^/]+)$"), _scope_of_type, self._get_object),
            (
                "PATCH",
                re.compile(r"^/crm/v3/objects/(contacts)/([^/]+)$"),
                lambda m: CONTACTS_WRITE,
                self._patch_contact,
            ),
            ("POST", re.compile(rf"^{_OBJECT_PATH}/search$"), _scope_of_type, self._search),
            (
                "POST",
                re.compile(rf"^{_ENGAGEMENT_PATH}$"),
                lambda m: CONTACTS_WRITE,
                self._create_engagement,
            ),
            (
                "GET",
                re.compile(r"^/crm/v3/pipelines/deals$"),
                lambda m: DEALS_READ,
                self._list_pipelines,
            ),
            (
                "GET",
                re.compile(r"^/crm/v3/pipelines/deals/([^/]+)$"),
                lambda m: DEALS_READ,
                self._get_pipeline,
            ),
            ("GET", re.compile(r"^/crm/v3/owners$"), lambda m: OWNERS_READ, self._list_owners),
            (
                "GET",
                re.compile(r"^/crm/v3/owners/([^/]+)$"),
                lambda m: OWNERS_READ,
                self._get_owner,
            ),
        ]

    # ------------------------------------------------------------------ lifecycle

    def _make_server(self) -> ThreadingHTTPServer:
        return _Server(self)

    def reset(self) -> None:
        """Forget every object, owner, added pipeline, call, fault, delay, the search-rate
        window and the event counter; ids start over. The default pipeline, token, secret,
        scopes and rate are kept, and the clock goes back to the one given at construction."""
        with self._lock:
            self._objects = {t: {} for t in OBJECT_TYPES}
            self._next_ids = dict(_FIRST_ID)
            self._emails.clear()
            self._owners.clear()
            self._next_user_id = 1001
            self._reset_pipelines()
            self._calls.clear()
            self._faults.clear()
            self._slows.clear()
            self._searches.clear()
            self._next_event_id = 1
            self.clock = self._initial_clock

    def _reset_pipelines(self) -> None:
        self._pipelines = {"default": _Pipeline("default", "Sales Pipeline", list(_DEFAULT_STAGES))}

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("HubSpotEmulator is not started")
        return int(self._server.server_address[1])

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ seeding

    def _now(self) -> datetime:
        """Now on the emulator's clock, to the millisecond (what HubSpot keeps)."""
        return _from_ms(to_ms(self.clock.now()))

    def _moment(self, at: datetime | None) -> datetime:
        return _from_ms(to_ms(at)) if at is not None else self._now()

    def add_owner(
        self, owner_id: str, email: str, first_name: str = "", last_name: str = ""
    ) -> str:
        with self._lock:
            if owner_id in self._owners:
                raise ValueError(f"owner {owner_id} already exists")
            self._owners[owner_id] = _Owner(
                owner_id, email, first_name, last_name, self._next_user_id, self._now()
            )
            self._next_user_id += 1
            return owner_id

    def add_contact(self, properties: dict[str, str | None], *, at: datetime | None = None) -> str:
        """A contact created in HubSpot's UI; createdate = lastmodifieddate = `at` or now."""
        with self._lock:
            self._check_email_free(properties, None)
            return self._create("contacts", properties, self._moment(at), []).object_id

    def update_contact(
        self, contact_id: str, properties: dict[str, str | None], *, at: datetime | None = None
    ) -> None:
        with self._lock:
            obj = self._seeded("contacts", contact_id)
            self._check_email_free(properties, contact_id)
            self._update(obj, properties, self._moment(at))

    def delete_contact(self, contact_id: str) -> None:
        """Archive a contact: 404 from then on, not found by search, its email free again."""
        with self._lock:
            obj = self._seeded("contacts", contact_id)
            obj.archived = True
            email = obj.properties.get("email")
            if email and self._emails.get(email.lower()) == contact_id:
                del self._emails[email.lower()]

    def add_deal(
        self,
        properties: dict[str, str | None],
        contact_ids: Iterable[str],
        *,
        at: datetime | None = None,
    ) -> str:
        with self._lock:
            contacts = [self._seeded("contacts", c) for c in contact_ids]
            return self._create("deals", properties, self._moment(at), contacts).object_id

    def update_deal(
        self, deal_id: str, properties: dict[str, str | None], *, at: datetime | None = None
    ) -> None:
        with self._lock:
            self._update(self._seeded("deals", deal_id), properties, self._moment(at))

    def add_pipeline(
        self, pipeline_id: str, label: str, stages: list[tuple[str, str, bool, float]]
    ) -> None:
        """A deal pipeline with stages (id, label, is_closed, probability); replaces one with
        the same id."""
        with self._lock:
            self._pipelines[pipeline_id] = _Pipeline(pipeline_id, label, list(stages))

    def add_engagement(
        self,
        kind: str,
        properties: dict[str, str | None],
        contact_ids: Iterable[str],
        *,
        at: datetime | None = None,
    ) -> str:
        """A call, email, meeting or note logged in HubSpot's UI; hs_timestamp defaults to its
        createdate."""
        if kind not in ENGAGEMENT_KINDS:
            raise ValueError(f"kind must be one of {ENGAGEMENT_KINDS}, not {kind!r}")
        with self._lock:
            moment = self._moment(at)
            props = dict(properties)
            stamp = props.get("hs_timestamp")
            if stamp is None:
                props["hs_timestamp"] = iso(moment)
            else:
                normalized = _normalize_timestamp(stamp)
                if normalized is None:
                    raise ValueError(f"hs_timestamp {stamp!r} is neither epoch ms nor ISO-8601")
                props["hs_timestamp"] = normalized
            contacts = [self._seeded("contacts", c) for c in contact_ids]
            return self._create(kind, props, moment, contacts).object_id

    def _seeded(self, object_type: str, object_id: str) -> _Object:
        obj = self._objects[object_type].get(object_id)
        if obj is None:
            raise KeyError(f"no {_SINGULAR[object_type]} {object_id}")
        return obj

    def _email_holder(
        self, properties: dict[str, str | None], contact_id: str | None
    ) -> str | None:
        """Lock held: another live contact that already has the email `properties` set (HubSpot
        keeps one contact per email)."""
        email = properties.get("email")
        holder = self._emails.get(email.lower()) if email else None
        return holder if holder != contact_id else None

    def _check_email_free(self, properties: dict[str, str | None], contact_id: str | None) -> None:
        holder = self._email_holder(properties, contact_id)
        if holder is not None:
            raise ValueError(f"contact {holder} already has email {properties.get('email')!r}")

    def _create(
        self,
        object_type: str,
        properties: dict[str, str | None],
        moment: datetime,
        contacts: list[_Object],
        *,
        by_api: bool = False,
    ) -> _Object:
        """Lock held: store a new object and associate it with `contacts`."""
        counter = "engagements" if object_type in ENGAGEMENT_KINDS else object_type
        object_id = str(self._next_ids[counter])
        self._next_ids[counter] += 1
        obj = _Object(object_type, object_id, dict(properties), moment, moment)
        obj.created_by_api = by_api
        obj.properties["hs_object_id"] = object_id
        obj.properties["createdate"] = iso(moment)
        self._stamp(obj, moment)
        self._objects[object_type][object_id] = obj
        if object_type == "contacts":
            email = obj.properties.get("email")
            if email:
                self._emails[email.lower()] = object_id
        for contact in contacts:
            _link(contact, obj)
        return obj

    def _update(self, obj: _Object, properties: dict[str, str | None], moment: datetime) -> None:
        """Lock held: change properties, move lastmodifieddate to `moment`."""
        if obj.object_type == "contacts" and "email" in properties:
            old = obj.properties.get("email")
            if old and self._emails.get(old.lower()) == obj.object_id:
                del self._emails[old.lower()]
            new = properties["email"]
            if new and not obj.archived:
                self._emails[new.lower()] = obj.object_id
        obj.properties.update(properties)
        obj.properties["hs_object_id"] = obj.object_id
        obj.properties["createdate"] = iso(obj.created_at)
        self._stamp(obj, moment)

    @staticmethod
    def _stamp(obj: _Object, moment: datetime) -> None:
        obj.updated_at = moment
        obj.properties["lastmodifieddate"] = iso(moment)
        if obj.object_type != "contacts":  # deals and engagements also carry HubSpot's name
            obj.properties["hs_lastmodifieddate"] = iso(moment)

    # ------------------------------------------------------------------ inspection

    def contact(self, contact_id: str) -> dict[str, str | None]:
        """A contact's current properties (also of an archived one); KeyError if unknown."""
        with self._lock:
            return dict(self._seeded("contacts", contact_id).properties)

    def engagements(self, kind: str, contact_id: str | None = None) -> list[dict[str, Any]]:
        """Every engagement of `kind` (of `contact_id`, if given), oldest id first, as the API
        returns it with all its properties and its contact associations, plus
        ``"created_by_api"``: whether it came through the API rather than the seeding calls."""
        if kind not in ENGAGEMENT_KINDS:
            raise ValueError(f"kind must be one of {ENGAGEMENT_KINDS}, not {kind!r}")
        with self._lock:
            found: list[dict[str, Any]] = []
            for obj in sorted(self._objects[kind].values(), key=_id_key):
                if contact_id is not None and contact_id not in obj.links.get("contacts", []):
                    continue
                rendered = self._render(obj, list(obj.properties), ["contacts"])
                rendered["created_by_api"] = obj.created_by_api
                found.append(rendered)
            return found

    @property
    def calls(self) -> list[HubSpotCall]:
        """Every request received, oldest first, whatever it was answered."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str, path_prefix: str) -> list[HubSpotCall]:
        """Requests with `method` whose path starts with `path_prefix`, whatever the status
        (filter on ``.status`` for the ones that succeeded)."""
        method = method.upper()
        with self._lock:
            return [c for c in self._calls if c.method == method and c.path.startswith(path_prefix)]

    # ------------------------------------------------------------------ faults

    def fail(
        self,
        method: str,
        path_prefix: str,
        *,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status` without performing them:
        429 → HubSpot's RATE_LIMIT body (+ ``Retry-After`` if given); 5xx → INTERNAL_ERROR;
        any other 4xx → an error body with that status's category."""
        if status < 400:
            raise ValueError("fail() answers an error status (>= 400)")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(_Fault(method.upper(), path_prefix, status, retry_after, times))

    def slow(self, method: str, path_prefix: str, *, seconds: float, times: int = 1) -> None:
        """Perform the next `times` matching requests, then wait `seconds` before answering:
        a client that times out has still changed HubSpot."""
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._slows.append(_Slow(method.upper(), path_prefix, seconds, times))

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method == method and path.startswith(fault.path_prefix):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _take_slow(self, method: str, path: str) -> float:
        for slow in self._slows:
            if slow.method == method and path.startswith(slow.path_prefix):
                slow.remaining -= 1
                if slow.remaining <= 0:
                    self._slows.remove(slow)
                return slow.seconds
        return 0.0

    # ------------------------------------------------------------------ webhooks

    def event(
        self,
        subscription_type: str,
        object_id: str,
        *,
        property_name: str | None = None,
        property_value: str | None = None,
        occurred_at: datetime | None = None,
        event_id: int | None = None,
        change_source: str = "CRM_UI",
        attempt_number: int = 0,
    ) -> dict[str, Any]:
        """One webhook event as HubSpot sends it (a delivery is a JSON list of these)."""
        with self._lock:
            if event_id is None:
                event_id = self._next_event_id
                self._next_event_id += 1
            occurred = to_ms(occurred_at) if occurred_at is not None else to_ms(self.clock.now())
        event: dict[str, Any] = {
            "eventId": event_id,
            "subscriptionId": 1234,
            "portalId": 62515,
            "appId": 777,
            "occurredAt": occurred,
            "subscriptionType": subscription_type,
            "attemptNumber": attempt_number,
            "objectId": int(object_id),
            "changeSource": change_source,
        }
        if property_name is not None:
            event["propertyName"] = property_name
        if property_value is not None:
            event["propertyValue"] = property_value
        return event

    def signature(
        self, method: str, uri: str, body: str, timestamp_ms: int, *, secret: str | None = None
    ) -> str:
        """X-HubSpot-Signature-v3: base64 HMAC-SHA256 of method + uri + body + timestamp."""
        key = (self.client_secret if secret is None else secret).encode("utf-8")
        message = f"{method}{uri}{body}{timestamp_ms}".encode()
        return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")

    def webhook_headers(
        self,
        uri: str,
        body: str,
        *,
        timestamp_ms: int | None = None,
        secret: str | None = None,
    ) -> dict[str, str]:
        """The headers of a webhook POST to `uri` (the full URL) carrying `body`."""
        ts = to_ms(self.clock.now()) if timestamp_ms is None else timestamp_ms
        return {
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": self.signature("POST", uri, body, ts, secret=secret),
            "X-HubSpot-Request-Timestamp": str(ts),
            "X-HubSpot-Signature-Version": "v3",
        }

    def deliver(
        self,
        url: str,
        events: list[dict[str, Any]],
        *,
        timestamp_ms: int | None = None,
        secret: str | None = None,
    ) -> httpx.Response:
        """POST `events` to `url` as HubSpot delivers webhooks, signed over `url` itself."""
        body = json.dumps(events)
        headers = self.webhook_headers(url, body, timestamp_ms=timestamp_ms, secret=secret)
        return httpx.post(url, content=body.encode("utf-8"), headers=headers, timeout=10.0)

    # ------------------------------------------------------------------ serving

    def _dispatch(self, handler: _Handler) -> None:
        split = urllib.parse.urlsplit(handler.path)
        path = split.path.rstrip("/") or "/"
        query: dict[str, str] = {}
        for key, value in urllib.parse.parse_qsl(split.query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        try:
            raw = handler.read_body()
        except (ValueError, OSError):
            raw = b""
        text = raw.decode("utf-8", errors="replace")
        request = _Request(
            handler.command.upper(), path, query, text, handler.headers.get("Authorization", "")
        )
        recorded: Any = None
        if text.strip():
            try:
                recorded = json.loads(text)
            except json.JSONDecodeError:
                recorded = text
        delay = 0.0
        with self._lock:
            fault = self._take_fault(request.method, path)
            if fault is not None:
                status, body, headers = _fault_answer(fault)
            else:
                status, body, headers = self._answer(request)
                delay = self._take_slow(request.method, path)
            self._calls.append(HubSpotCall(request.method, path, query, recorded, status))
        if delay > 0:
            time.sleep(delay)
        with contextlib.suppress(OSError):  # the client may have given up waiting (slow())
            handler.send_json(status, body, headers)

    def _answer(self, request: _Request) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Lock held: authenticate, route, check the scope and the search rate, then act."""
        scheme, _, token = request.authorization.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.access_token:
            return 401, dict(_AUTH_BODY), {}
        try:
            for method, pattern, scope_of, route in self._routes:
                match = pattern.match(request.path)
                if match is None or method != request.method:
                    continue
                scope = scope_of(match)
                if scope not in self.scopes:
                    raise _missing_scope(scope)
                if request.path.endswith("/search"):
                    self._count_search()
                status, body = route(request, match)
                return status, body, {}
            raise _not_found()
        except _ApiError as exc:
            return exc.status, exc.body, exc.headers

    def _count_search(self) -> None:
        """Lock held: HubSpot's search endpoints take `search_per_second` requests in any
        rolling second (across object types); a refused request does not count."""
        if self.search_per_second is None:
            return
        now = time.monotonic()
        while self._searches and now - self._searches[0] >= 1.0:
            self._searches.popleft()
        if len(self._searches) >= self.search_per_second:
            raise _rate_limited(1)
        self._searches.append(now)

    # ------------------------------------------------------------------ endpoints

    def _find(self, object_type: str, object_id: str, query: dict[str, str]) -> _Object:
        """Lock held: an object by id (or by `idProperty`); archived ones only if asked."""
        archived = query.get("archived", "false").lower() == "true"
        id_property = query.get("idProperty")
        obj: _Object | None = None
        if id_property and id_property != "hs_object_id":
            if object_type == "contacts" and id_property == "email":
                found = self._emails.get(object_id.lower())
                obj = self._objects["contacts"].get(found) if found is not None else None
            else:
                for candidate in self._objects[object_type].values():
                    if candidate.properties.get(id_property) == object_id and (
                        candidate.archived == archived
                    ):
                        obj = candidate
                        break
        else:
            obj = self._objects[object_type].get(object_id)
        if obj is None or obj.archived != archived:
            raise _not_found()
        return obj

    def _render(
        self, obj: _Object, properties: list[str] | None, associations: list[str] | None = None
    ) -> dict[str, Any]:
        """Lock held: an object as the API shows it, with `properties` (or the defaults)."""
        wanted = list(_SYSTEM_PROPERTIES)
        for name in properties if properties else _DEFAULT_PROPERTIES[obj.object_type]:
            if name not in wanted:
                wanted.append(name)
        rendered: dict[str, Any] = {
            "id": obj.object_id,
            "properties": {name: obj.properties.get(name) for name in wanted},
            "createdAt": iso(obj.created_at),
            "updatedAt": iso(obj.updated_at),
            "archived": obj.archived,
        }
        if obj.archived:
            rendered["archivedAt"] = iso(obj.updated_at)
        if associations is not None:
            linked: dict[str, Any] = {}
            for name in associations:
                other = _ASSOCIATION_NAMES.get(name)
                if other is None or other == obj.object_type or other in linked:
                    continue
                ids = [i for i in obj.links.get(other, []) if not self._objects[other][i].archived]
                if ids:
                    label = f"{_SINGULAR[obj.object_type]}_to_{_SINGULAR[other]}"
                    linked[name] = {
                        "results": [{"id": i, "type": label} for i in sorted(ids, key=int)]
                    }
            if linked:
                rendered["associations"] = linked
        return rendered

    def _get_object(self, request: _Request, match: re.Match[str]) -> tuple[int, dict[str, Any]]:
        object_type, object_id = match.group(1), urllib.parse.unquote(match.group(2))
        obj = self._find(object_type, object_id, request.query)
        associations = (
            _csv(request.query["associations"]) if "associations" in request.query else None
        )
        return 200, self._render(obj, _csv(request.query.get("properties", "")), associations)

    def _patch_contact(self, request: _Request, match: re.Match[str]) -> tuple[int, dict[str, Any]]:
        obj = self._find("contacts", urllib.parse.unquote(match.group(2)), request.query)
        payload = _json_object(request.text)
        properties = _property_values(payload.get("properties"))
        for name in properties:
            if name in _READ_ONLY:
                raise _validation(f"Property values were not valid: {name} is a read only property")
        holder = self._email_holder(properties, obj.object_id)
        if holder is not None:
            raise _ApiError(
                409,
                {
                    "status": "error",
                    "message": f"Contact already exists. Existing ID: {holder}",
                    "category": "CONFLICT",
                },
            )
        self._update(obj, properties, self._now())
        return 200, self._render(obj, list(properties))

    def _create_engagement(
        self, request: _Request, match: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        kind = match.group(1)
        payload = _json_object(request.text)
        properties = _property_values(payload.get("properties"))
        for name in properties:
            if name in _READ_ONLY:
                raise _validation(f"Property values were not valid: {name} is a read only property")
        stamp = properties.get("hs_timestamp")
        if stamp is None:
            raise _validation(
                "Property values were not valid: the required property hs_timestamp is missing"
            )
        normalized = _normalize_timestamp(stamp)
        if normalized is None:
            raise _validation(
                f"Property values were not valid: hs_timestamp {stamp!r} is not a valid date"
            )
        properties["hs_timestamp"] = normalized
        contacts = self._association_targets(kind, payload.get("associations"))
        obj = self._create(kind, properties, self._now(), contacts, by_api=True)
        return 201, self._render(obj, list(properties))

    def _association_targets(self, kind: str, raw: Any) -> list[_Object]:
        """Lock held: the contacts an engagement create asks to be associated with; any bad
        association refuses the whole create."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise _validation("associations must be a list")
        expected = ENGAGEMENT_TO_CONTACT_TYPE_ID[kind]
        contacts: list[_Object] = []
        for association in raw:
            if not isinstance(association, dict):
                raise _validation("each association must be an object")
            to = association.get("to")
            target = to.get("id") if isinstance(to, dict) else None
            if not isinstance(target, str | int) or isinstance(target, bool):
                raise _validation("association is missing to.id")
            types = association.get("types")
            if not isinstance(types, list) or not types:
                raise _validation("association is missing types")
            for kind_of in types:
                if (
                    not isinstance(kind_of, dict)
                    or kind_of.get("associationCategory") != "HUBSPOT_DEFINED"
                    or kind_of.get("associationTypeId") != expected
                ):
                    raise _validation(
                        f"Association type {kind_of!r} is not valid from "
                        f"{_SINGULAR[kind]} to contact (expected HUBSPOT_DEFINED {expected})"
                    )
            contact = self._objects["contacts"].get(str(target))
            if contact is None or contact.archived:
                raise _validation(f"One or more associations are invalid: no contact {target}")
            if contact not in contacts:
                contacts.append(contact)
        return contacts

    def _search(self, request: _Request, match: re.Match[str]) -> tuple[int, dict[str, Any]]:
        object_type = match.group(1)
        payload = _json_object(request.text) if request.text.strip() else {}
        limit = _int_field(payload, "limit", SEARCH_DEFAULT_LIMIT)
        if not 1 <= limit <= SEARCH_MAX_LIMIT:
            raise _validation(f"limit must be between 1 and {SEARCH_MAX_LIMIT}, got {limit}")
        after = _int_field(payload, "after", 0)
        if after < 0:
            raise _validation("after must not be negative")
        if after + limit > SEARCH_RESULT_CAP:
            raise _validation(
                f"Search results are capped at {SEARCH_RESULT_CAP} (10000) per query: "
                f"after {after} + limit {limit} goes beyond it"
            )
        groups = _filter_groups(payload.get("filterGroups"))
        sort_by, descending = _sort(payload.get("sorts"))
        properties = payload.get("properties")
        if properties is not None and (
            not isinstance(properties, list) or not all(isinstance(p, str) for p in properties)
        ):
            raise _validation("properties must be a list of property names")

        matched = [
            obj
            for obj in self._objects[object_type].values()
            if not obj.archived
            and (not groups or any(all(_passes(obj, f) for f in group) for group in groups))
        ]
        matched.sort(key=_id_key)
        if sort_by is not None:
            matched = _sorted_by(matched, sort_by, descending)
        page = matched[after : after + limit]
        answer: dict[str, Any] = {
            "total": len(matched),
            "results": [self._render(obj, properties) for obj in page],
        }
        if after + limit < len(matched):
            answer["paging"] = {"next": {"after": str(after + limit)}}
        return 200, answer

    def _pipeline_object(self, index: int, pipeline: _Pipeline) -> dict[str, Any]:
        return {
            "id": pipeline.pipeline_id,
            "label": pipeline.label,
            "displayOrder": index,
            "archived": False,
            "stages": [
                {
                    "id": stage_id,
                    "label": label,
                    "displayOrder": order,
                    "archived": False,
                    "metadata": {
                        "isClosed": "true" if is_closed else "false",
                        "probability": str(float(probability)),
                    },
                }
                for order, (stage_id, label, is_closed, probability) in enumerate(pipeline.stages)
            ],
        }

    def _list_pipelines(
        self, request: _Request, match: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        pipelines = list(self._pipelines.values())
        return 200, {"results": [self._pipeline_object(i, p) for i, p in enumerate(pipelines)]}

    def _get_pipeline(self, request: _Request, match: re.Match[str]) -> tuple[int, dict[str, Any]]:
        pipeline_id = urllib.parse.unquote(match.group(1))
        for index, pipeline in enumerate(self._pipelines.values()):
            if pipeline.pipeline_id == pipeline_id:
                return 200, self._pipeline_object(index, pipeline)
        raise _not_found()

    @staticmethod
    def _owner_object(owner: _Owner) -> dict[str, Any]:
        return {
            "id": owner.owner_id,
            "email": owner.email,
            "firstName": owner.first_name,
            "lastName": owner.last_name,
            "userId": owner.user_id,
            "createdAt": iso(owner.created_at),
            "updatedAt": iso(owner.created_at),
            "archived": False,
        }

    def _get_owner(self, request: _Request, match: re.Match[str]) -> tuple[int, dict[str, Any]]:
        owner_id = urllib.parse.unquote(match.group(1))
        if request.query.get("idProperty") == "userId":
            found = [o for o in self._owners.values() if str(o.user_id) == owner_id]
            owner = found[0] if found else None
        else:
            owner = self._owners.get(owner_id)
        if owner is None:
            raise _not_found()
        return 200, self._owner_object(owner)

    def _list_owners(self, request: _Request, match: re.Match[str]) -> tuple[int, dict[str, Any]]:
        """GET /crm/v3/owners?email=&limit=&after= (limit up to 500, default 100)."""
        owners = sorted(self._owners.values(), key=lambda o: (len(o.owner_id), o.owner_id))
        email = request.query.get("email")
        if email:
            owners = [o for o in owners if o.email.lower() == email.lower()]
        try:
            limit = int(request.query.get("limit", "100"))
            after = int(request.query.get("after", "0") or "0")
        except ValueError as exc:
            raise _validation("limit and after must be integers") from exc
        if not 1 <= limit <= 500 or after < 0:
            raise _validation("limit must be between 1 and 500 and after not negative")
        answer: dict[str, Any] = {
            "results": [self._owner_object(o) for o in owners[after : after + limit]]
        }
        if after + limit < len(owners):
            answer["paging"] = {"next": {"after": str(after + limit)}}
        return 200, answer


# ---------------------------------------------------------------------- helpers


def _scope_of_type(match: re.Match[str]) -> str:
    return _read_scope(match.group(1))


def _link(contact: _Object, other: _Object) -> None:
    contact.links.setdefault(other.object_type, []).append(other.object_id)
    other.links.setdefault("contacts", []).append(contact.object_id)


def _id_key(obj: _Object) -> int:
    return int(obj.object_id)


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _normalize_timestamp(value: str) -> str | None:
    ms = _date_ms(value.strip())
    return iso(_from_ms(ms)) if ms is not None else None


def _fault_answer(fault: _Fault) -> tuple[int, dict[str, Any], dict[str, str]]:
    if fault.status == 429:
        error = _rate_limited(fault.retry_after)
        return error.status, error.body, error.headers
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if fault.status >= 500:
        return fault.status, dict(_INTERNAL_BODY), headers
    category = _FAULT_CATEGORIES.get(fault.status, "ERROR")
    body = {"status": "error", "message": f"injected {fault.status}", "category": category}
    return fault.status, body, headers


def _json_object(text: str) -> dict[str, Any]:
    try:
        loaded = json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        raise _validation(
            f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(loaded, dict):
        raise _validation("Invalid input JSON: expected an object")
    return loaded


def _property_values(raw: Any) -> dict[str, str | None]:
    """The `properties` of a write, as HubSpot keeps them: strings (numbers and booleans are
    written as text), or null."""
    if not isinstance(raw, dict):
        raise _validation("properties must be an object of property name to value")
    values: dict[str, str | None] = {}
    for name, value in raw.items():
        if value is None or isinstance(value, str):
            values[name] = value
        elif isinstance(value, bool):
            values[name] = "true" if value else "false"
        elif isinstance(value, int | float):
            values[name] = str(value)
        else:
            raise _validation(f"Property values were not valid: {name} must be a string")
    return values


def _int_field(payload: dict[str, Any], name: str, default: int) -> int:
    value = payload.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        raise _validation(f"{name} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _MS_RE.match(value.strip()):
        return int(value.strip())
    raise _validation(f"{name} must be an integer, got {value!r}")


@dataclass(frozen=True)
class _Filter:
    property_name: str
    operator: str
    value: str | None


def _filter_groups(raw: Any) -> list[list[_Filter]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _validation("filterGroups must be a list")
    if len(raw) > SEARCH_MAX_GROUPS:
        raise _validation(f"at most {SEARCH_MAX_GROUPS} filterGroups are allowed")
    groups: list[list[_Filter]] = []
    total = 0
    for group in raw:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list):
            raise _validation("each filter group needs a list of filters")
        if len(filters) > SEARCH_MAX_FILTERS_PER_GROUP:
            raise _validation(f"at most {SEARCH_MAX_FILTERS_PER_GROUP} filters per group")
        total += len(filters)
        if total > SEARCH_MAX_FILTERS:
            raise _validation(f"at most {SEARCH_MAX_FILTERS} filters in all")
        groups.append([_parse_filter(f) for f in filters])
    return [group for group in groups if group]


def _parse_filter(raw: Any) -> _Filter:
    if not isinstance(raw, dict):
        raise _validation("each filter must be an object")
    name, operator = raw.get("propertyName"), raw.get("operator")
    if not isinstance(name, str) or not name:
        raise _validation("filter is missing propertyName")
    if not isinstance(operator, str) or operator not in _OPERATORS:
        raise _validation(f"Unsupported filter operator {operator!r}")
    if operator in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        return _Filter(name, operator, None)
    value = raw.get("value")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _validation(f"filter on {name} with {operator} needs a value")
    text = value if isinstance(value, str) else str(value)
    if name in _DATE_PROPERTIES and _date_ms(text) is None:
        raise _validation(f"{text!r} is not a valid date for {name}: give epoch ms or ISO-8601")
    return _Filter(name, operator, text)


def _compare(name: str, left: str, right: str) -> int | None:
    """-1/0/1 comparing an object's value with a filter value: as epoch ms for dates, as
    numbers when both are numbers, else as strings; None when a date cannot be compared."""
    if name in _DATE_PROPERTIES or _parse_iso(left) is not None:
        left_ms, right_ms = _date_ms(left), _date_ms(right)
        if left_ms is None or right_ms is None:
            return None
        return (left_ms > right_ms) - (left_ms < right_ms)
    left_number, right_number = _number(left), _number(right)
    if left_number is not None and right_number is not None:
        return (left_number > right_number) - (left_number < right_number)
    return (left > right) - (left < right)


def _passes(obj: _Object, flt: _Filter) -> bool:
    value = obj.properties.get(flt.property_name)
    present = value is not None and value != ""
    if flt.operator == "HAS_PROPERTY":
        return present
    if flt.operator == "NOT_HAS_PROPERTY":
        return not present
    if value is None or flt.value is None:
        return flt.operator == "NEQ"
    order = _compare(flt.property_name, value, flt.value)
    if order is None:
        return flt.operator == "NEQ"
    return {
        "EQ": order == 0,
        "NEQ": order != 0,
        "GT": order > 0,
        "GTE": order >= 0,
        "LT": order < 0,
        "LTE": order <= 0,
    }[flt.operator]


def _sort(raw: Any) -> tuple[str | None, bool]:
    if raw is None or raw == []:
        return None, False
    if not isinstance(raw, list) or len(raw) != 1:
        raise _validation("sorts takes one sort")
    spec = raw[0]
    if isinstance(spec, str):  # HubSpot also takes "createdate" / "-createdate"
        return spec.removeprefix("-"), spec.startswith("-")
    if not isinstance(spec, dict) or not isinstance(spec.get("propertyName"), str):
        raise _validation("a sort needs a propertyName")
    direction = spec.get("direction", "ASCENDING")
    if direction not in ("ASCENDING", "DESCENDING"):
        raise _validation(f"sort direction must be ASCENDING or DESCENDING, not {direction!r}")
    return str(spec["propertyName"]), direction == "DESCENDING"


def _sorted_by(objects: list[_Object], name: str, descending: bool) -> list[_Object]:
    """`objects` (in id order) sorted by property `name`; ties keep id order, objects without
    a value come last either way."""
    valued = [o for o in objects if o.properties.get(name) not in (None, "")]
    empty = [o for o in objects if o.properties.get(name) in (None, "")]
    values = [str(o.properties.get(name)) for o in valued]
    dates = [_date_ms(v) for v in values]
    numbers = [_number(v) for v in values]
    keyed: list[tuple[Any, _Object]]
    if (name in _DATE_PROPERTIES or all(_parse_iso(v) for v in values)) and all(
        d is not None for d in dates
    ):
        keyed = list(zip(dates, valued, strict=True))
    elif all(n is not None for n in numbers):
        keyed = list(zip(numbers, valued, strict=True))
    else:
        keyed = list(zip(values, valued, strict=True))
    keyed.sort(key=lambda pair: pair[0], reverse=descending)  # stable: ties stay in id order
    return [obj for _, obj in keyed] + empty
