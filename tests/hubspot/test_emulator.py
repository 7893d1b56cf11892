"""Tests of the HubSpot emulator, talked to over HTTP with httpx as a client would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from tests.clock import FakeClock
from tests.hubspot.emulator import HubSpotCall, HubSpotEmulator, iso, to_ms

TOKEN = "pat-test-token"
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NOTE_TO_CONTACT = 202
CALL_TO_CONTACT = 194


@pytest.fixture(scope="module")
def server() -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator() as emulator:
        yield emulator


@pytest.fixture
def hubspot(server: HubSpotEmulator) -> HubSpotEmulator:
    server.reset()
    server.search_per_second = 5
    server.clock = FakeClock(T0)
    return server


@pytest.fixture
def api(hubspot: HubSpotEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=hubspot.api_url, headers=headers, timeout=5.0) as client:
        yield client


def _search_body(since_ms: int, *, limit: int = 200, after: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(since_ms)}
                ]
            }
        ],
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["email", "lastmodifieddate"],
        "limit": limit,
    }
    if after is not None:
        body["after"] = after
    return body


def test_requests_without_the_token_are_401(hubspot: HubSpotEmulator) -> None:
    contact_id = hubspot.add_contact({"email": "ada@example.com"})
    url = f"{hubspot.api_url}/crm/v3/objects/contacts/{contact_id}"
    for headers in ({}, {"Authorization": "Bearer pat-wrong"}, {"Authorization": TOKEN}):
        answer = httpx.get(url, headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {
            "status": "error",
            "message": "Authentication credentials not found.",
            "category": "INVALID_AUTHENTICATION",
        }
    assert [c.status for c in hubspot.calls] == [401, 401, 401]


def test_a_scope_not_granted_is_403() -> None:
    with HubSpotEmulator(scopes=["crm.objects.contacts.read"]) as emulator:
        emulator.add_owner("77", "rep@example.com", "Rep", "One")
        contact_id = emulator.add_contact({"email": "ada@example.com"})
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=emulator.api_url, headers=headers) as client:
            assert client.get(f"/crm/v3/objects/contacts/{contact_id}").status_code == 200
            owner = client.get("/crm/v3/owners/77")
            patch = client.patch(
                f"/crm/v3/objects/contacts/{contact_id}", json={"properties": {"a": "b"}}
            )
    assert owner.status_code == 403
    assert owner.json()["category"] == "MISSING_SCOPES"
    assert owner.json()["errors"][0]["context"] == {
        "requiredGranularScopes": ["crm.objects.owners.read"]
    }
    assert patch.status_code == 403
    assert patch.json()["errors"][0]["context"]["requiredGranularScopes"] == [
        "crm.objects.contacts.write"
    ]


def test_contact_get_and_patch(hubspot: HubSpotEmulator, api: httpx.Client) -> None:
    contact_id = hubspot.add_contact(
        {"email": "ada@example.com", "firstname": "Ada", "lifecyclestage": "lead"}
    )
    assert contact_id == "101"
    assert hubspot.add_contact({"email": "bob@example.com"}) == "102"

    got = api.get(
        f"/crm/v3/objects/contacts/{contact_id}", params={"properties": "email,lifecyclestage,x"}
    )
    assert got.status_code == 200
    assert got.json() == {
        "id": "101",
        "properties": {
            "hs_object_id": "101",
            "createdate": "2026-11-02T10:00:00.000Z",
            "lastmodifieddate": "2026-11-02T10:00:00.000Z",
            "email": "ada@example.com",
            "lifecyclestage": "lead",
            "x": None,
        },
        "createdAt": "2026-11-02T10:00:00.000Z",
        "updatedAt": "2026-11-02T10:00:00.000Z",
        "archived": False,
    }

    assert isinstance(hubspot.clock, FakeClock)
    hubspot.clock.advance(minutes=5)
    patched = api.patch(
        f"/crm/v3/objects/contacts/{contact_id}",
        json={"properties": {"lifecyclestage": "salesqualifiedlead", "hs_lead_status": "OPEN"}},
    )
    assert patched.status_code == 200
    body = patched.json()
    assert body["properties"]["lifecyclestage"] == "salesqualifiedlead"
    assert body["properties"]["hs_lead_status"] == "OPEN"
    assert body["properties"]["lastmodifieddate"] == "2026-11-02T10:05:00.000Z"
    assert body["updatedAt"] == "2026-11-02T10:05:00.000Z"
    assert body["createdAt"] == "2026-11-02T10:00:00.000Z"
    assert hubspot.contact(contact_id)["lifecyclestage"] == "salesqualifiedlead"
    assert hubspot.contact(contact_id)["firstname"] == "Ada"

    assert api.get("/crm/v3/objects/contacts/999").json()["category"] == "OBJECT_NOT_FOUND"
    bad = api.patch(f"/crm/v3/objects/contacts/{contact_id}", content=b"{not json")
    assert bad.status_code == 400
    assert bad.json()["category"] == "VALIDATION_ERROR"
    taken = api.patch(
        f"/crm/v3/objects/contacts/{contact_id}", json={"properties": {"email": "bob@example.com"}}
    )
    assert taken.status_code == 409

    hubspot.delete_contact(contact_id)
    assert api.get(f"/crm/v3/objects/contacts/{contact_id}").status_code == 404
    assert hubspot.contact(contact_id)["email"] == "ada@example.com"
    assert [c.status for c in hubspot.calls_to("PATCH", "/crm/v3/objects/contacts")] == [
        200,
        400,
        409,
    ]


def test_associations_are_listed_per_type(hubspot: HubSpotEmulator, api: httpx.Client) -> None:
    contact_id = hubspot.add_contact({"email": "ada@example.com"})
    other_id = hubspot.add_contact({"email": "bob@example.com"})
    deal_id = hubspot.add_deal(
        {"dealname": "Ada's deal", "amount": "1200", "dealstage": "qualifiedtobuy"}, [contact_id]
    )
    call_id = hubspot.add_engagement("calls", {"hs_call_title": "intro"}, [contact_id])
    hubspot.add_engagement("notes", {"hs_note_body": "other"}, [other_id])
    assert (deal_id, call_id) == ("5001", "9001")

    got = api.get(
        f"/crm/v3/objects/contacts/{contact_id}",
        params={"associations": "deals,calls,emails,meetings,notes"},
    ).json()
    assert got["associations"] == {
        "deals": {"results": [{"id": "5001", "type": "contact_to_deal"}]},
        "calls": {"results": [{"id": "9001", "type": "contact_to_call"}]},
    }
    assert "associations" not in api.get(f"/crm/v3/objects/contacts/{contact_id}").json()

    deal = api.get(
        f"/crm/v3/objects/deals/{deal_id}", params={"properties": "amount,dealstage,pipeline"}
    ).json()
    assert deal["properties"]["amount"] == "1200"
    assert deal["properties"]["pipeline"] is None
    call = api.get(f"/crm/v3/objects/calls/{call_id}", params={"associations": "contacts"}).json()
    assert call["properties"]["hs_timestamp"] == "2026-11-02T10:00:00.000Z"
    assert call["associations"]["contacts"]["results"] == [
        {"id": contact_id, "type": "call_to_contact"}
    ]


def test_search_pages_through_450_contacts(hubspot: HubSpotEmulator, api: httpx.Client) -> None:
    order = list(range(450))
    random.Random(7).shuffle(order)  # ids do not follow lastmodifieddate
    for minute in order:
        hubspot.add_contact({"email": f"c{minute}@example.com"}, at=T0 + timedelta(minutes=minute))
    hubspot.add_contact({"email": "old@example.com"}, at=T0 - timedelta(days=1))
    gone = hubspot.add_contact({"email": "gone@example.com"}, at=T0 + timedelta(hours=1))
    hubspot.delete_contact(gone)

    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        answer = api.post(
            "/crm/v3/objects/contacts/search", json=_search_body(to_ms(T0), after=after)
        )
        assert answer.status_code == 200
        page = answer.json()
        pages.append(page)
        seen += [r["properties"]["email"] for r in page["results"]]
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]

    assert [len(p["results"]) for p in pages] == [200, 200, 50]
    assert [p["total"] for p in pages] == [450, 450, 450]
    assert [p.get("paging") for p in pages] == [
        {"next": {"after": "200"}},
        {"next": {"after": "400"}},
        None,
    ]
    assert seen == [f"c{minute}@example.com" for minute in range(450)]
    assert pages[0]["results"][0]["properties"]["lastmodifieddate"] == iso(T0)


def test_search_is_capped_at_10000_results(hubspot: HubSpotEmulator, api: httpx.Client) -> None:
    for n in range(10_050):
        hubspot.add_contact({"firstname": f"n{n}"}, at=T0)

    over = api.post("/crm/v3/objects/contacts/search", json={"limit": 200, "after": "9900"})
    assert over.status_code == 400
    assert over.json()["category"] == "VALIDATION_ERROR"
    assert "10000" in over.json()["message"]

    last = api.post("/crm/v3/objects/contacts/search", json={"limit": 200, "after": "9800"})
    assert last.status_code == 200
    assert last.json()["total"] == 10_050
    assert len(last.json()["results"]) == 200
    assert last.json()["results"][0]["id"] == str(101 + 9800)
    assert api.post("/crm/v3/objects/contacts/search", json={"limit": 201}).status_code == 400


def test_search_is_rate_limited_per_second(hubspot: HubSpotEmulator, api: httpx.Client) -> None:
    hubspot.add_contact({"email": "ada@example.com"})
    paths = ["/crm/v3/objects/contacts/search"] * 3 + ["/crm/v3/objects/notes/search"] * 3
    answers = [api.post(path, json={}) for path in paths]

    assert [a.status_code for a in answers] == [200, 200, 200, 200, 200, 429]
    assert answers[-1].headers["Retry-After"] == "1"
    assert answers[-1].json() == {
        "status": "error",
        "message": "You have reached your secondly limit.",
        "errorType": "RATE_LIMIT",
        "category": "RATE_LIMITS",
        "policyName": "SECONDLY",
    }
    assert api.get("/crm/v3/objects/contacts/101").status_code == 200  # only search is limited

    hubspot.search_per_second = None
    assert api.post("/crm/v3/objects/contacts/search", json={}).status_code == 200


def test_fail_is_consumed_without_acting(hubspot: HubSpotEmulator, api: httpx.Client) -> None:
    contact_id = hubspot.add_contact({"email": "ada@example.com"})
    hubspot.fail("PATCH", "/crm/v3/objects/contacts", status=503)
    hubspot.fail("GET", "/crm/v3/objects/contacts/", status=429, retry_after=2)
    url = f"/crm/v3/objects/contacts/{contact_id}"

    failed = api.patch(url, json={"properties": {"hs_lead_status": "OPEN"}})
    assert failed.status_code == 503
    assert failed.json() == {
        "status": "error",
        "message": "internal error",
        "category": "INTERNAL_ERROR",
    }
    assert hubspot.contact(contact_id).get("hs_lead_status") is None
    assert api.patch(url, json={"properties": {"hs_lead_status": "OPEN"}}).status_code == 200
    assert hubspot.contact(contact_id)["hs_lead_status"] == "OPEN"

    limited = api.get(url)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "2")
    assert limited.json()["policyName"] == "SECONDLY"
    assert api.get(url).status_code == 200

    assert hubspot.calls_to("PATCH", "/crm/v3/objects/contacts") == [
        HubSpotCall("PATCH", url, {}, {"properties": {"hs_lead_status": "OPEN"}}, 503),
        HubSpotCall("PATCH", url, {}, {"properties": {"hs_lead_status": "OPEN"}}, 200),
    ]


def test_slow_acts_then_answers_late(hubspot: HubSpotEmulator, api: httpx.Client) -> None:
    contact_id = hubspot.add_contact({"email": "ada@example.com"})
    hubspot.slow("POST", "/crm/v3/objects/notes", seconds=0.3)
    note = {
        "properties": {"hs_timestamp": "2026-11-02T10:00:00.000Z", "hs_note_body": "hi"},
        "associations": [
            {
                "to": {"id": contact_id},
                "types": [
                    {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TO_CONTACT}
                ],
            }
        ],
    }

    with pytest.raises(httpx.ReadTimeout):
        api.post("/crm/v3/objects/notes", json=note, timeout=0.05)
    made = hubspot.engagements("notes", contact_id)
    assert [(n["id"], n["created_by_api"]) for n in made] == [("9001", True)]

    again = api.post("/crm/v3/objects/notes", json=note, timeout=0.2)
    assert again.status_code == 201
    assert again.json()["id"] == "9002"
    assert [c.status for c in hubspot.calls_to("POST", "/crm/v3/objects/notes")] == [201, 201]


def test_engagement_create_checks_associations_and_timestamp(
    hubspot: HubSpotEmulator, api: httpx.Client
) -> None:
    contact_id = hubspot.add_contact({"email": "ada@example.com"})

    def call(type_id: int, to: str = contact_id, **properties: str) -> httpx.Response:
        return api.post(
            "/crm/v3/objects/calls",
            json={
                "properties": properties,
                "associations": [
                    {
                        "to": {"id": to},
                        "types": [
                            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
                        ],
                    }
                ],
            },
        )

    wrong_type = call(NOTE_TO_CONTACT, hs_timestamp="1793613600000")
    assert wrong_type.status_code == 400
    assert wrong_type.json()["category"] == "VALIDATION_ERROR"
    unknown = call(CALL_TO_CONTACT, to="4242", hs_timestamp="1793613600000")
    assert unknown.status_code == 400
    missing = call(CALL_TO_CONTACT, hs_call_title="no time")
    assert missing.status_code == 400
    assert "hs_timestamp" in missing.json()["message"]
    assert hubspot.engagements("calls") == []

    made = call(CALL_TO_CONTACT, hs_timestamp="1793613600000", hs_call_title="intro")
    assert made.status_code == 201
    assert made.json()["properties"]["hs_timestamp"] == "2026-11-02T10:00:00.000Z"
    assert made.json()["properties"]["hs_call_title"] == "intro"
    assert [e["id"] for e in hubspot.engagements("calls", contact_id)] == [made.json()["id"]]
    contact = api.get(f"/crm/v3/objects/contacts/{contact_id}", params={"associations": "calls"})
    assert contact.json()["associations"]["calls"]["results"][0]["id"] == made.json()["id"]


def test_pipelines_and_owners(hubspot: HubSpotEmulator, api: httpx.Client) -> None:
    hubspot.add_pipeline(
        "renewals", "Renewals", [("open", "Open", False, 0.5), ("won", "Won", True, 1)]
    )
    hubspot.add_owner("77", "rep@example.com", "Rep", "One")

    pipelines = api.get("/crm/v3/pipelines/deals").json()["results"]
    assert [p["id"] for p in pipelines] == ["default", "renewals"]
    default = pipelines[0]
    assert default["label"] == "Sales Pipeline"
    assert [(s["id"], s["metadata"]) for s in default["stages"]][-2:] == [
        ("closedwon", {"isClosed": "true", "probability": "1.0"}),
        ("closedlost", {"isClosed": "true", "probability": "0.0"}),
    ]
    assert default["stages"][0] == {
        "id": "appointmentscheduled",
        "label": "Appointment Scheduled",
        "displayOrder": 0,
        "archived": False,
        "metadata": {"isClosed": "false", "probability": "0.2"},
    }
    assert pipelines[1]["stages"][1]["metadata"] == {"isClosed": "true", "probability": "1.0"}

    owner = api.get("/crm/v3/owners/77").json()
    assert {k: owner[k] for k in ("id", "email", "firstName", "lastName", "archived")} == {
        "id": "77",
        "email": "rep@example.com",
        "firstName": "Rep",
        "lastName": "One",
        "archived": False,
    }
    assert isinstance(owner["userId"], int)
    assert api.get("/crm/v3/owners/78").status_code == 404

    hubspot.reset()
    assert len(api.get("/crm/v3/pipelines/deals").json()["results"]) == 1


class _Catcher(BaseHTTPRequestHandler):
    caught: ClassVar[list[tuple[dict[str, str], str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        self.caught.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_webhooks_are_signed_as_hubspot_signs_them(hubspot: HubSpotEmulator) -> None:
    event = hubspot.event(
        "contact.propertyChange", "101", property_name="lifecyclestage", property_value="lead"
    )
    assert event == {
        "eventId": 1,
        "subscriptionId": 1234,
        "portalId": 62515,
        "appId": 777,
        "occurredAt": to_ms(T0),
        "subscriptionType": "contact.propertyChange",
        "attemptNumber": 0,
        "objectId": 101,
        "changeSource": "CRM_UI",
        "propertyName": "lifecyclestage",
        "propertyValue": "lead",
    }
    assert hubspot.event("contact.creation", "102")["eventId"] == 2
    assert "propertyName" not in hubspot.event("contact.creation", "102")

    uri, body, ts = "https://bot.example.com/hubspot/events?x=1", '[{"a": 1}]', 1793613600000
    expected = base64.b64encode(
        hmac.new(b"hs-client-secret", f"POST{uri}{body}{ts}".encode(), hashlib.sha256).digest()
    ).decode()
    assert hubspot.signature("POST", uri, body, ts) == expected
    assert hubspot.signature("POST", uri, body, ts, secret="other") != expected
    assert hubspot.webhook_headers(uri, body, timestamp_ms=ts) == {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": expected,
        "X-HubSpot-Request-Timestamp": str(ts),
        "X-HubSpot-Signature-Version": "v3",
    }
    assert hubspot.webhook_headers(uri, body)["X-HubSpot-Request-Timestamp"] == str(to_ms(T0))

    _Catcher.caught = []
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Catcher)
    thread = threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hubspot/events"
        assert hubspot.deliver(url, [event]).status_code == 204
    finally:
        receiver.shutdown()
        receiver.server_close()
        thread.join()
    ((headers, delivered),) = _Catcher.caught
    assert json.loads(delivered) == [event]
    sent_ts = headers["X-HubSpot-Request-Timestamp"]
    signed = hmac.new(
        b"hs-client-secret", f"POST{url}{delivered}{sent_ts}".encode(), hashlib.sha256
    ).digest()
    assert headers["X-HubSpot-Signature-v3"] == base64.b64encode(signed).decode()
