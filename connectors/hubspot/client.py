"""HubSpot's CRM API (v3), the calls the connector makes and nothing more.

Shapes from developers.hubspot.com: objects are `{"id", "properties", "createdAt", ...}`;
errors are `{"status": "error", "message", "category"}`; a 429 carries `Retry-After`. A failed
call raises `HubSpotError`; whether to try again, and when, is the caller's (the outbox and
inbox keep it durable), except inside `search`, which waits out the search limit itself."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

ENGAGEMENTS = ("calls", "emails", "meetings")
# HubSpot-defined association types from an engagement to a contact.
TO_CONTACT = {"calls": 194, "emails": 198, "meetings": 200, "notes": 202}
PAGE = 200  # the most a search returns at once
SEARCH_CAP = 10_000  # a search query never pages past this many results
SEARCH_INTERVAL = 0.2  # search endpoints: 5 requests a second per account


@dataclass
class HubSpotError(Exception):
    status: int  # 0: no answer (timeout, connection refused)
    category: str
    message: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"HubSpot {self.status or 'unreachable'} {self.category}: {self.message}"

    @property
    def permanent(self) -> bool:
        """True when trying again cannot help: a missing scope, a deleted record, a bad token."""
        return self.status not in (0, 429) and self.status < 500

    @property
    def not_found(self) -> bool:
        return self.status == 404

    def wait(self, attempts: int) -> timedelta:
        """How long to leave it before the next try: HubSpot's Retry-After when it gave one,
        else 1, 2, 4 … minutes, at most an hour."""
        if self.retry_after:
            return timedelta(seconds=self.retry_after)
        return min(timedelta(hours=1), timedelta(minutes=2 ** min(attempts, 6)))


@dataclass(frozen=True)
class Record:
    id: str
    properties: dict[str, str | None]
    associations: dict[str, list[str]]

    @staticmethod
    def of(body: dict[str, Any]) -> Record:
        associations = {
            kind: [str(item["id"]) for item in value.get("results", [])]
            for kind, value in (body.get("associations") or {}).items()
        }
        return Record(str(body["id"]), dict(body.get("properties") or {}), associations)


@dataclass(frozen=True)
class Stage:
    closed: bool
    won: bool


class HubSpotClient:
    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        search_interval: float = SEARCH_INTERVAL,
    ) -> None:
        self._search_interval = search_interval
        self._http = httpx.Client(
            base_url=api_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=httpx.HTTPTransport(retries=1),  # a dropped connection, once
        )
        self._last_search = 0.0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubSpotClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise HubSpotError(0, "TIMEOUT", f"no answer to {method} {path}") from None
        except httpx.TransportError as error:
            raise HubSpotError(0, "UNREACHABLE", f"{type(error).__name__}") from None
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            retry_after = response.headers.get("retry-after")
            raise HubSpotError(
                response.status_code,
                str(body.get("category") or body.get("errorType") or "ERROR"),
                str(body.get("message") or response.reason_phrase)[:300],
                float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
        result: dict[str, Any] = response.json()
        return result

    def contact(
        self, contact_id: str, properties: Sequence[str], *, associations: Sequence[str] = ()
    ) -> Record:
        params = {"properties": ",".join(properties)}
        if associations:
            params["associations"] = ",".join(associations)
        return Record.of(self._call("GET", f"/crm/v3/objects/contacts/{contact_id}", params=params))

    def update_contact(self, contact_id: str, properties: dict[str, str]) -> Record:
        body = {"properties": properties}
        return Record.of(self._call("PATCH", f"/crm/v3/objects/contacts/{contact_id}", json=body))

    def owner_email(self, owner_id: str) -> str | None:
        email = self._call("GET", f"/crm/v3/owners/{owner_id}").get("email")
        return str(email) if email else None

    def deal(self, deal_id: str) -> Record:
        params = {
            "properties": "amount,dealstage,pipeline,closedate,dealname",
            "associations": "contacts",
        }
        return Record.of(self._call("GET", f"/crm/v3/objects/deals/{deal_id}", params=params))

    def deal_stages(self) -> dict[str, Stage]:
        """Every deal stage of every pipeline, by id, with what its metadata says it means."""
        stages: dict[str, Stage] = {}
        for pipeline in self._call("GET", "/crm/v3/pipelines/deals").get("results", []):
            for stage in pipeline.get("stages", []):
                metadata = stage.get("metadata") or {}
                closed = str(metadata.get("isClosed", "false")).lower() == "true"
                probability = float(metadata.get("probability") or 0)
                stages[str(stage["id"])] = Stage(closed=closed, won=closed and probability >= 1)
        return stages

    def engagement(self, kind: str, engagement_id: str, properties: Sequence[str]) -> Record:
        params = {"properties": ",".join(properties)}
        return Record.of(
            self._call("GET", f"/crm/v3/objects/{kind}/{engagement_id}", params=params)
        )

    def create_engagement(self, kind: str, properties: dict[str, str], contact_id: str) -> Record:
        body = {
            "properties": properties,
            "associations": [
                {
                    "to": {"id": contact_id},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": TO_CONTACT[kind],
                        }
                    ],
                }
            ],
        }
        return Record.of(self._call("POST", f"/crm/v3/objects/{kind}", json=body))

    def search(
        self,
        object_type: str,
        *,
        filters: list[dict[str, str]],
        properties: Sequence[str],
        sort_by: str | None = None,
        after: int = 0,
    ) -> tuple[list[Record], int | None]:
        """One page; the next page's offset, or None. Paced to the search limit, and a 429 is
        waited out here (HubSpot's Retry-After), since a sync runs on until it is done."""
        body: dict[str, Any] = {
            "filterGroups": [{"filters": filters}] if filters else [],
            "properties": list(properties),
            "limit": PAGE,
            "after": str(after),
        }
        if sort_by:
            body["sorts"] = [{"propertyName": sort_by, "direction": "ASCENDING"}]
        for _ in range(10):
            wait = self._last_search + self._search_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_search = time.monotonic()
            try:
                answer = self._call("POST", f"/crm/v3/objects/{object_type}/search", json=body)
            except HubSpotError as error:
                if error.status != 429:
                    raise
                time.sleep(error.retry_after or 1)
                continue
            records = [Record.of(item) for item in answer.get("results", [])]
            following = (answer.get("paging") or {}).get("next", {}).get("after")
            return records, int(following) if following is not None else None
        raise HubSpotError(429, "RATE_LIMITS", "the search limit did not lift after 10 tries")

    def find_engagement(self, kind: str, title_property: str, title: str) -> str | None:
        """The id of an engagement with this exact title: how a write-back whose answer was lost
        (a timeout after HubSpot created it) is found before it is posted again."""
        records, _ = self.search(
            kind,
            filters=[{"propertyName": title_property, "operator": "EQ", "value": title}],
            properties=[title_property],
        )
        return records[0].id if records else None

    def changed_contacts(self, since_ms: int, properties: Sequence[str]) -> Iterator[Record]:
        """Every contact modified at or after `since_ms`, oldest first. A query stops at 10,000
        results, so past that the search starts again from the last modification time seen."""
        floor, seen = since_ms, set[str]()
        while True:
            after: int | None = 0
            last_modified = floor
            fresh = 0
            while after is not None and after + PAGE <= SEARCH_CAP:
                page, after = self.search(
                    "contacts",
                    filters=[
                        {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(floor)}
                    ],
                    properties=properties,
                    sort_by="lastmodifieddate",
                    after=after,
                )
                for record in page:
                    modified = to_ms(record.properties.get("lastmodifieddate"))
                    if modified is not None:
                        last_modified = max(last_modified, modified)
                    if record.id not in seen:
                        seen.add(record.id)
                        fresh += 1
                        yield record
            if after is None or fresh == 0:
                return
            floor = last_modified  # the cap was reached: query again from here


def to_ms(value: str | None) -> int | None:
    """HubSpot's timestamps: ISO 8601 text (…Z) or epoch milliseconds."""
    if not value:
        return None
    if value.isdigit():
        return int(value)
    from datetime import datetime

    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None
