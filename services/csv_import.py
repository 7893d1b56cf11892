"""`smarketing import FILE.csv`: leads from a spreadsheet, judged by the same models as
`POST /api/events` and stored through the same ingest, a chunk of rows per transaction.

The file is streamed: memory holds one chunk of rows, the counts, and at most the first
`SHOWN` rejected rows and unmatched owner e-mails, however long the file is.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import ValidationError
from slack_sdk.errors import SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from domain.lead_state import normalize_email
from services.context import Services
from services.ingestion import SlackUnavailable, ingest, resolve_owners
from services.lead_events import LeadAssigned, LeadCreated, LeadEventIn, LeadRecycled

LEAD_COLUMNS = ("email", "name", "company", "source", "campaign", "persona", "fit", "interest")
# A lead recycled to marketing in the CRM it comes from: when, and why (both, or neither).
RECYCLE_COLUMNS = ("recycled_at", "recycle_reason")
COLUMNS = ("external_id", *LEAD_COLUMNS, "owner_email", "created_at", *RECYCLE_COLUMNS)
# Without these no row could be a lead; every other column may be left out of the header.
REQUIRED_COLUMNS = ("external_id", "created_at")
CHUNK_ROWS = 500  # rows per transaction: up to 1,000 events, the API's batch limit
SHOWN = 50  # rejected rows (and unmatched owner e-mails) listed in full; the rest are counted
LINES_PER_OWNER = 5  # lines shown for each unmatched owner e-mail
ORIGIN = "csv"

_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHEN_EXAMPLE = "e.g. 2026-11-02T10:00:00Z or 2026-11-02T11:00:00+01:00, or 2026-11-02 (00:00 UTC)"


class ImportFileError(Exception):
    """The file cannot be imported as it is (missing, unreadable, wrong header); one line."""


class ImportStopped(Exception):
    """The import stopped part-way; the rows counted in `report` as stored stay stored."""

    def __init__(self, reason: str, report: ImportReport) -> None:
        super().__init__(reason)
        self.reason, self.report = reason, report


@dataclass(frozen=True)
class Rejection:
    """A row refused whole: its line in the file (the header is line 1) and what is wrong."""

    line: int
    problems: tuple[tuple[str, str], ...]  # (column, reason)

    def __str__(self) -> str:
        return f"line {self.line}: " + "; ".join(f"{col}: {why}" for col, why in self.problems)


@dataclass
class UnmatchedOwner:
    """An owner e-mail no Slack user has: how many rows name it, and the first few lines."""

    rows: int = 0
    lines: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        shown = ", ".join(str(line) for line in self.lines)
        more = f" and {self.rows - len(self.lines):,} more" if self.rows > len(self.lines) else ""
        return f"line{'s' if self.rows > 1 else ''} {shown}{more}"


@dataclass
class ImportReport:
    rows: int = 0
    stored: int = 0  # rows that stored at least one new event (a new lead, a change, an owner)
    duplicates: int = 0  # rows imported before: every event already in the log
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)  # the first SHOWN
    unmatched: int = 0  # rows whose owner e-mail no Slack user has
    unmatched_owners: dict[str, UnmatchedOwner] = field(default_factory=dict)  # the first SHOWN

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected else 0

    def reject(self, rejection: Rejection) -> None:
        self.rejected += 1
        if len(self.rejections) < SHOWN:
            self.rejections.append(rejection)

    def unmatched_owner(self, email: str, *, line: int) -> None:
        self.unmatched += 1
        owner = self.unmatched_owners.get(email)
        if owner is None and len(self.unmatched_owners) < SHOWN:
            owner = self.unmatched_owners[email] = UnmatchedOwner()
        if owner is not None:
            owner.rows += 1
            if len(owner.lines) < LINES_PER_OWNER:
                owner.lines.append(line)


@dataclass(frozen=True)
class LeadRow:
    """A valid row: its `lead.created` event, its `lead.assigned` when it names an owner, and
    its `lead.recycled` when it says the lead went back to marketing."""

    line: int
    created: LeadCreated
    owner_email: str | None
    recycled: LeadRecycled | None = None


# ------------------------------------------------------------------ reading the file


class LeadsFile:
    """An open CSV file whose header has been checked; rows are read one at a time."""

    def __init__(self, path: Path, binary: io.BufferedReader, text: io.TextIOWrapper) -> None:
        self.path = path
        self.size = path.stat().st_size
        self._binary = binary
        self._reader = csv.reader(text, strict=True)
        self.columns = self._read_header()

    @property
    def bytes_read(self) -> int:
        return self._binary.tell()

    def _read_header(self) -> tuple[str, ...]:
        header = self._next_record()
        if header is None:
            raise ImportFileError(
                f"{self.path} is empty: its first line must name the columns: {', '.join(COLUMNS)}"
            )
        columns = tuple(name.strip().lower() for name in header[1])
        if len(columns) == 1 and ";" in columns[0]:
            raise ImportFileError(
                f"{self.path} separates its columns with ';': save it as CSV with commas"
            )
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        unknown = [name for name in columns if name not in COLUMNS]
        repeated = sorted({name for name in columns if columns.count(name) > 1})
        problems = []
        if missing:
            problems.append(f"lacks the column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"has unknown column(s) {', '.join(repr(n) for n in unknown)}")
        if repeated:
            problems.append(f"repeats the column(s) {', '.join(repeated)}")
        if problems:
            raise ImportFileError(
                f"The header (line 1) of {self.path} {' and '.join(problems)}; "
                f"the columns are {', '.join(COLUMNS)}."
            )
        return columns

    def _next_record(self) -> tuple[int, list[str]] | None:
        """The next non-blank record and the line it starts on (a quoted field may span lines)."""
        while True:
            start = self._reader.line_num + 1
            try:
                record = next(self._reader)
            except StopIteration:
                return None
            except csv.Error as error:
                raise ImportFileError(
                    f"{self.path} line {start} is not valid CSV: {error}"
                ) from None
            except UnicodeDecodeError:
                # Decoding runs ahead of the rows read, so the bad byte may be a little later.
                raise ImportFileError(
                    f"{self.path} is not UTF-8 text (on line {start} or soon after): "
                    "save it as CSV UTF-8"
                ) from None
            if any(value.strip() for value in record):
                return start, record

    def records(self) -> Iterator[tuple[int, dict[str, str] | Rejection]]:
        """Each data row as column → value, or a rejection if it has the wrong number of values."""
        while (item := self._next_record()) is not None:
            line, record = item
            if len(record) != len(self.columns):
                reason = f"has {len(record)} values; the header has {len(self.columns)}"
                yield line, Rejection(line, (("(row)", reason),))
                continue
            yield line, dict(zip(self.columns, record, strict=True))

    def has_owner_emails(self) -> bool:
        """True when some row names an owner, who must be looked up in Slack.

        Reads on to the first such row; open the file again to import it.
        """
        if "owner_email" not in self.columns:
            return False
        index = self.columns.index("owner_email")
        while (item := self._next_record()) is not None:
            record = item[1]
            if len(record) > index and record[index].strip():
                return True
        return False


@contextmanager
def open_leads_file(path: Path) -> Iterator[LeadsFile]:
    """Open the CSV and check its header; ImportFileError says in one line what is wrong."""
    try:
        binary = path.open("rb")
    except FileNotFoundError:
        raise ImportFileError(f"No such file: {path}") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path} is a directory, not a CSV file") from None
    except OSError as error:
        raise ImportFileError(f"Cannot read {path}: {error.strerror}") from None
    # utf-8-sig: spreadsheet programs start "CSV UTF-8" files with a byte-order mark.
    with binary, io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as text:
        yield LeadsFile(path, binary, text)


# ------------------------------------------------------------------ one row → events


def parse_row(values: dict[str, str], *, line: int) -> LeadRow | Rejection:
    """Validate a row with the API's own models; a rejection names every bad column."""
    cleaned = {name: value.strip() for name, value in values.items() if value.strip()}
    created_at = _moment(cleaned.get("created_at"))
    lead = {name: cleaned[name] for name in ("external_id", *LEAD_COLUMNS) if name in cleaned}
    problems: dict[str, str] = {}
    created: LeadCreated | None = None
    try:
        created = LeadCreated.model_validate(
            {"id": "csv", "type": "lead.created", "occurred_at": created_at, "lead": lead}
        )
    except ValidationError as error:
        _collect(error, problems)
    owner_email = cleaned.get("owner_email")
    if owner_email is not None:
        try:
            LeadAssigned.model_validate(
                {
                    "id": "csv",
                    "type": "lead.assigned",
                    "occurred_at": created_at,
                    "lead": {"external_id": lead.get("external_id")},
                    "owner": {"email": owner_email},
                }
            )
        except ValidationError as error:
            _collect(error, problems)
    recycled = _recycled(cleaned, lead.get("external_id"), problems)
    if created is None or problems:
        ordered = sorted(problems.items(), key=lambda item: COLUMNS.index(item[0]))
        return Rejection(line, tuple(ordered))
    return LeadRow(
        line=line, created=created, owner_email=normalize_email(owner_email), recycled=recycled
    )


def _moment(text: str | None) -> str | None:
    """A bare date is the start of that day in UTC."""
    if text is not None and _BARE_DATE.match(text):
        return text + "T00:00:00Z"
    return text


def _recycled(
    cleaned: dict[str, str], external_id: str | None, problems: dict[str, str]
) -> LeadRecycled | None:
    """The row's `lead.recycled`, when it has `recycled_at` and `recycle_reason`; one without
    the other is a problem (marketing needs the reason, and the moment orders the events)."""
    at, reason = cleaned.get("recycled_at"), cleaned.get("recycle_reason")
    if at is None and reason is None:
        return None
    if reason is None:
        problems["recycle_reason"] = "is required with recycled_at: marketing needs the reason"
        return None
    if at is None:
        problems["recycled_at"] = "is required with recycle_reason"
        return None
    try:
        return LeadRecycled.model_validate(
            {
                "id": "csv",
                "type": "lead.recycled",
                "occurred_at": _moment(at),
                "lead": {"external_id": external_id},
                "reason": reason,
            }
        )
    except ValidationError as error:
        for item in error.errors():
            where = str(item["loc"][0])
            column = {"occurred_at": "recycled_at", "reason": "recycle_reason"}.get(where)
            if column is not None and column not in problems:
                said = _reason(column, item["type"], str(item["msg"]), item.get("input"))
                problems[column] = said
        return None


def _collect(error: ValidationError, problems: dict[str, str]) -> None:
    for item in error.errors():
        loc = tuple(str(part) for part in item["loc"])
        column = {"occurred_at": "created_at", "owner": "owner_email"}.get(loc[0], loc[-1])
        if column not in COLUMNS or column in problems:
            continue  # the same column judged again by the assignment: said once is enough
        problems[column] = _reason(column, item["type"], str(item["msg"]), item.get("input"))


def _reason(column: str, kind: str, message: str, given: Any) -> str:
    if kind == "missing" or given is None:
        reason = "is required" if column in REQUIRED_COLUMNS else message
    elif column in {"created_at", "recycled_at"} and kind == "timezone_aware":
        reason = f"has no time zone; write {_WHEN_EXAMPLE}"
    elif column in {"created_at", "recycled_at"}:
        reason = f"is not a date and time; write {_WHEN_EXAMPLE}"
    elif column in {"fit", "interest"}:
        reason = "must be a score from 0 to 100, or high or low"
    else:
        reason = message.removeprefix("Value error, ")
    if isinstance(given, str) and given:
        shown = given if len(given) <= 40 else given[:39] + "…"
        reason += f" (got {shown!r})"
    return reason


def recycled_event_id(recycled: LeadRecycled) -> str:
    """The same recycling imported again is a duplicate."""
    values = [
        recycled.lead.external_id,
        recycled.occurred_at.astimezone(UTC).isoformat(),
        recycled.reason,
    ]
    return "csv:recycled:" + _sha256(json.dumps(values, ensure_ascii=False))


def created_event_id(created: LeadCreated) -> str:
    """Derived from the row's normalised values: the same row again is a duplicate, a changed
    row is a new event that brings the lead up to date."""
    values = {
        **created.lead.model_dump(mode="json"),
        "created_at": created.occurred_at.astimezone(UTC).isoformat(),
    }
    return "csv:created:" + _sha256(json.dumps(values, sort_keys=True, ensure_ascii=False))


def assigned_event_id(external_id: str, owner_email: str, owner_id: str | None) -> str:
    """The owner's Slack id is part of it, so an e-mail Slack did not know at the last import
    assigns the lead once the person has joined Slack and the file is imported again."""
    return "csv:assigned:" + _sha256("\n".join((external_id, owner_email, owner_id or "")))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ the import


OnProgress = Callable[[int, int], None]  # (bytes read, rows read)


async def import_leads(
    services: Services, leads_file: LeadsFile, *, on_progress: OnProgress | None = None
) -> ImportReport:
    """Validate every row and store the good ones, one transaction per CHUNK_ROWS rows.

    Raises ImportStopped when Slack, the database or the file fails part-way: the chunks
    stored before stay stored, and importing the file again skips them.
    """
    report = ImportReport()
    chunk: list[LeadRow] = []
    records = leads_file.records()
    while True:
        try:
            item = next(records, None)
        except ImportFileError as error:
            await _store_chunk(services, chunk, report)
            raise ImportStopped(f"{error}; the rows before it were stored", report) from None
        if item is None:
            break
        line, record = item
        report.rows += 1
        row = record if isinstance(record, Rejection) else parse_row(record, line=line)
        if isinstance(row, Rejection):
            report.reject(row)
        else:
            chunk.append(row)
        if len(chunk) >= CHUNK_ROWS:
            await _store_chunk(services, chunk, report)
            chunk = []
        if on_progress is not None and report.rows % 100 == 0:
            on_progress(leads_file.bytes_read, report.rows)
    await _store_chunk(services, chunk, report)
    if on_progress is not None:
        on_progress(leads_file.size, report.rows)
    return report


async def _store_chunk(services: Services, rows: list[LeadRow], report: ImportReport) -> None:
    if not rows:
        return
    try:
        await _ingest_rows(services, rows, report)
    except SlackUnavailable as error:
        reason = f"Slack could not be asked who an owner is ({error})"
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
        reason = f"Slack did not answer ({type(error).__name__}: {error})"
    except SQLAlchemyError as error:
        reason = f"the database failed ({type(error).__name__}: {str(error).splitlines()[0]})"
    else:
        return
    raise ImportStopped(f"{reason}; rows from line {rows[0].line} on were not stored", report)


async def _ingest_rows(services: Services, rows: list[LeadRow], report: ImportReport) -> None:
    """One transaction for the chunk: its new events stored, or none of them."""
    emails = {row.owner_email for row in rows if row.owner_email}
    # Asked (or read from the owner cache) before the ids are made; ingest then hits the cache.
    owners = await resolve_owners(services, emails) if emails else {}
    events: list[LeadEventIn] = []
    event_lines: list[int] = []  # the file line of each event, for the report
    row_ids: list[tuple[str, ...]] = []
    for row in rows:
        created_id = created_event_id(row.created)
        created = row.created.model_copy(update={"id": created_id})
        events.append(created)
        event_lines.append(row.line)
        ids: tuple[str, ...] = (created_id,)
        if row.owner_email is not None:
            external_id = created.lead.external_id
            assigned = LeadAssigned.model_validate(
                {
                    "id": assigned_event_id(external_id, row.owner_email, owners[row.owner_email]),
                    "type": "lead.assigned",
                    "occurred_at": created.occurred_at,
                    "lead": {"external_id": external_id},
                    "owner": {"email": row.owner_email},
                }
            )
            events.append(assigned)
            event_lines.append(row.line)
            ids += (assigned.id,)
        if row.recycled is not None:
            recycled = row.recycled.model_copy(update={"id": recycled_event_id(row.recycled)})
            events.append(recycled)
            event_lines.append(row.line)
            ids += (recycled.id,)
        row_ids.append(ids)
    ingested = await ingest(services, events, origin=ORIGIN)
    stored = set(ingested.result.stored)
    for ids in row_ids:
        if any(event_id in stored for event_id in ids):
            report.stored += 1
        else:
            report.duplicates += 1
    for unmatched in ingested.unmatched:
        report.unmatched_owner(unmatched.email, line=event_lines[unmatched.index])


# ------------------------------------------------------------------ the report


def render_report(report: ImportReport, *, path: Path) -> str:
    """What the person who ran the import reads: counts, then the rows that need their eye."""
    lines = [
        f"Rows read from {path}: {report.rows:,}",
        f"Leads stored: {report.stored:,}",
        f"Already imported (duplicates, nothing changed): {report.duplicates:,}",
        f"Rejected rows (nothing stored from them): {report.rejected:,}",
    ]
    lines += [f"  {rejection}" for rejection in report.rejections]
    if report.rejected > len(report.rejections):
        lines.append(f"  … and {report.rejected - len(report.rejections):,} more rejected rows")
    if report.rejected:
        lines.append(
            "  Fix those rows and import the file again: rows already imported are skipped."
        )
    lines.append(
        f"Owner e-mails no Slack user has (those leads stay unassigned): {report.unmatched:,}"
    )
    lines += [f"  {email}: {owner}" for email, owner in report.unmatched_owners.items()]
    listed = sum(owner.rows for owner in report.unmatched_owners.values())
    if report.unmatched > listed:
        lines.append(f"  … and {report.unmatched - listed:,} more rows with other e-mails")
    return "\n".join(lines)
