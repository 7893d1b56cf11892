"""`smarketing import FILE.csv` as an operator runs it: a real process, a real database, and
owners looked up in the Slack emulator."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, update
from sqlmodel import col, select

from storage.db import Database
from storage.models import Lead, LeadEvent, OwnerEmail
from tests.app_server import BOT_TOKEN, Ran, smarketing
from tests.slack.emulator import SlackEmulator

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "leads.csv"
HEADER = (
    "external_id,email,name,company,source,campaign,persona,fit,interest,owner_email,created_at"
)

# The example file's leads as the method grades them (DESIGN §1.2, threshold 50).
EXAMPLE_GRADES = {
    "L-1001": "sales-ready",
    "L-1002": "nurture",
    "L-1003": "review",
    "L-1004": "avoid",
    "L-1005": "sales-ready",  # 50 and 50: at the threshold is high
    "L-1006": "review",  # fit 49
    "L-1007": "ungraded",  # no fit
    "L-1008": "ungraded",  # no interest
    "L-1009": "sales-ready",
    "L-1010": "nurture",
    "L-1011": "sales-ready",
    "L-1012": "nurture",
    "L-1013": "review",
    "L-1014": "avoid",
    "L-1015": "sales-ready",
    "L-1016": "sales-ready",
    "L-1017": "avoid",
    "L-1018": "sales-ready",
    "L-1019": "nurture",
    "L-1020": "review",
}
ANA, BEN = "U0ANA", "U0BEN"
EXAMPLE_OWNERS = {
    "L-1001": ANA,
    "L-1002": BEN,
    "L-1005": ANA,
    "L-1007": BEN,
    "L-1009": ANA,
    "L-1010": BEN,
    "L-1011": ANA,
    "L-1015": BEN,
    "L-1016": ANA,
    "L-1018": BEN,
    "L-1020": ANA,
}


def smarketing_import(
    path: Path, database_url: str, slack: SlackEmulator | None, cwd: Path, *, process: bool = False
) -> Ran:
    """`smarketing import PATH` with only the settings given here (none from this shell)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMARKETING_"))}
    env = {**clean, "DATABASE_URL": database_url}
    if slack is not None:
        env |= {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": slack.api_url,
            "SLACK_RETRY_WAIT_SCALE": "0",
        }
    return smarketing(["import", str(path)], env, cwd=cwd, process=process)


def write_csv(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def leads(db: Database) -> dict[str, Lead]:
    with db.session() as session:
        return {lead.external_id: lead for lead in session.exec(select(Lead)).all()}


def event_count(db: Database) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(LeadEvent)).one()


def add_example_owners(slack: SlackEmulator) -> None:
    slack.add_user(ANA, name="Ana Lima", email="ana@example.com")
    slack.add_user(BEN, name="Ben Carter", email="Ben@Example.com")


def test_importing_the_example_file_stores_every_lead_with_its_grade_and_owner(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    add_example_owners(slack)

    result = smarketing_import(EXAMPLE, database_url, slack, tmp_path, process=True)

    assert result.returncode == 0, result.stderr
    assert f"Rows read from {EXAMPLE}: 20\n" in result.stdout
    assert "Leads stored: 20" in result.stdout
    assert "Rejected rows (nothing stored from them): 0" in result.stdout
    assert "Owner e-mails no Slack user has (those leads stay unassigned): 0" in result.stdout
    assert "Importing leads.csv" in result.stderr  # the progress bar
    stored = leads(db)
    assert {key: lead.grade for key, lead in stored.items()} == EXAMPLE_GRADES
    assert {key: lead.owner_id for key, lead in stored.items() if lead.owner_id} == EXAMPLE_OWNERS
    assert stored["L-1011"].company == "Harbour Law, LLP"
    assert stored["L-1005"].name == "Inês Duarte"
    assert {lead.status for lead in stored.values()} == {"open"}


def test_created_at_keeps_its_zone_and_a_bare_date_means_midnight_utc(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    add_example_owners(slack)

    assert smarketing_import(EXAMPLE, database_url, slack, tmp_path).returncode == 0

    stored = leads(db)
    assert stored["L-1003"].created_at == datetime(2026, 10, 7, 0, 0, tzinfo=UTC)
    assert stored["L-1002"].created_at == datetime(2026, 10, 6, 7, 30, tzinfo=UTC)
    assert stored["L-1002"].assigned_at == datetime(2026, 10, 6, 7, 30, tzinfo=UTC)


def test_importing_the_same_file_again_adds_nothing_and_says_so(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    add_example_owners(slack)
    assert smarketing_import(EXAMPLE, database_url, slack, tmp_path).returncode == 0
    events, before = event_count(db), leads(db)

    again = smarketing_import(EXAMPLE, database_url, slack, tmp_path)

    assert again.returncode == 0, again.stderr
    assert "Leads stored: 0" in again.stdout
    assert "Already imported (duplicates, nothing changed): 20" in again.stdout
    assert event_count(db) == events
    after = leads(db)
    assert {k: (v.grade, v.owner_id, v.updated_at) for k, v in after.items()} == {
        k: (v.grade, v.owner_id, v.updated_at) for k, v in before.items()
    }


def test_a_changed_row_in_a_file_imported_before_updates_its_lead(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    first = write_csv(
        tmp_path / "leads.csv",
        "L-1,ana.ruiz@acme.example,Ana Ruiz,Acme,webinar,q4,CFO,80,20,,2026-10-01",
        "L-2,bo.li@globex.example,Bo Li,Globex,webinar,q4,CFO,80,80,,2026-10-01",
    )
    assert smarketing_import(first, database_url, slack, tmp_path).returncode == 0
    assert leads(db)["L-1"].grade == "nurture"

    changed = write_csv(
        tmp_path / "leads-later.csv",
        "L-1,ana.ruiz@acme.example,Ana Ruiz,Acme,webinar,q4,CFO,80,high,,2026-10-01",
        "L-2,bo.li@globex.example,Bo Li,Globex,webinar,q4,CFO,80,80,,2026-10-01",
    )
    result = smarketing_import(changed, database_url, slack, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Leads stored: 1" in result.stdout
    assert "Already imported (duplicates, nothing changed): 1" in result.stdout
    stored = leads(db)
    assert len(stored) == 2
    assert stored["L-1"].grade == "sales-ready"
    assert stored["L-1"].interest == 100


def test_bad_rows_are_rejected_by_line_and_field_and_the_good_rows_are_stored(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    slack.add_user(ANA, name="Ana Lima", email="ana@example.com")
    path = write_csv(
        tmp_path / "leads.csv",
        "L-1,kim.ng@acme.example,Kim Ng,Acme,webinar,q4,CFO,80,80,ana@example.com,2026-10-01",
        'L-2,lee@acme.example,Lee Park,"Acme',
        'Europe",webinar,q4,CFO,70,70,,2026-10-01T09:00:00Z',  # one row on lines 3–4
        "L-3,ana(at)example.com,Ana,Initech,ads,q4,CFO,80,80,,2026-10-02",
        "L-4,max@initech.example,Max,Initech,ads,q4,CFO,150,80,,2026-10-02",
        ",noid@initech.example,No Id,Initech,ads,q4,CFO,80,80,,2026-10-02",
        "L-6,zed@initech.example,Zed,Initech,ads,q4,CFO,80,80,,2026-10-02T09:00:00",
        "L-7,una@umbrella.example,Una,Umbrella,ads,q4,CFO,80,80,nobody@example.com,2026-10-03",
        "L-8,too@few.example,Too Few,Umbrella",
        "L-9,ivo@umbrella.example,Ivo,Umbrella,ads,q4,CFO,low,high,,2026-10-03T10:00:00+02:00",
    )

    result = smarketing_import(path, database_url, slack, tmp_path)

    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "Rejected rows (nothing stored from them): 5" in out
    assert "line 5: email: is not an e-mail address (got 'ana(at)example.com')" in out
    assert "line 6: fit: must be a score from 0 to 100, or high or low (got '150')" in out
    assert "line 7: external_id: is required" in out
    assert "line 8: created_at: has no time zone; write e.g. 2026-11-02T10:00:00Z" in out
    assert "(got '2026-10-02T09:00:00')" in out
    assert "line 10: (row): has 4 values; the header has 11" in out
    assert "Owner e-mails no Slack user has (those leads stay unassigned): 1" in out
    assert "  nobody@example.com: line 9\n" in out
    assert "Leads stored: 4" in out
    stored = leads(db)
    assert sorted(stored) == ["L-1", "L-2", "L-7", "L-9"]
    assert stored["L-1"].owner_id == ANA
    assert stored["L-2"].company == "Acme\nEurope"
    assert stored["L-7"].owner_id is None
    assert stored["L-7"].owner_email == "nobody@example.com"
    assert stored["L-9"].grade == "review"


def test_an_owner_e_mail_slack_does_not_know_leaves_the_lead_unassigned_and_is_reported(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        "L-1,kim.ng@acme.example,Kim Ng,Acme,webinar,q4,CFO,80,80,left@example.com,2026-10-01",
        "L-2,bo.li@acme.example,Bo Li,Acme,webinar,q4,CFO,80,80,Left@Example.com,2026-10-01",
    )

    result = smarketing_import(path, database_url, slack, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Leads stored: 2" in result.stdout
    assert "Owner e-mails no Slack user has (those leads stay unassigned): 2" in result.stdout
    assert "  left@example.com: lines 2, 3\n" in result.stdout
    stored = leads(db)
    assert [stored[key].owner_id for key in ("L-1", "L-2")] == [None, None]
    assert stored["L-1"].next_touch_due is None


def test_an_owner_who_joins_slack_later_gets_the_lead_when_the_file_is_imported_again(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        "L-1,kim.ng@acme.example,Kim Ng,Acme,webinar,q4,CFO,80,80,new@example.com,2026-10-01",
    )
    assert smarketing_import(path, database_url, slack, tmp_path).returncode == 0
    assert leads(db)["L-1"].owner_id is None
    slack.add_user("U0NEW", name="New Rep", email="new@example.com")
    with db.session() as session:  # an hour on: Slack's "no such user" is no longer trusted
        session.execute(
            update(OwnerEmail)
            .where(col(OwnerEmail.email) == "new@example.com")
            .values(looked_up_at=datetime.now(UTC) - timedelta(hours=2))
        )

    result = smarketing_import(path, database_url, slack, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Leads stored: 1" in result.stdout
    assert "Owner e-mails no Slack user has (those leads stay unassigned): 0" in result.stdout
    lead = leads(db)["L-1"]
    assert lead.owner_id == "U0NEW"
    assert lead.owner_email is None


def test_missing_header_columns_stop_the_import_naming_them_and_store_nothing(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        "kim.ng@acme.example,Kim Ng,80,80",
        header="email,name,fit,interest",
    )

    result = smarketing_import(path, database_url, slack, tmp_path)

    assert result.returncode == 2
    assert "lacks the column(s) external_id, created_at" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert event_count(db) == 0


def test_a_misspelt_header_column_stops_the_import_naming_it(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        "L-1,kim.ng@acme.example,80,80,2026-10-01",
        header="external_id,e-mail,fit,interest,created_at",
    )

    result = smarketing_import(path, database_url, slack, tmp_path)

    assert result.returncode == 2
    assert "has unknown column(s) 'e-mail'" in result.stderr
    assert event_count(db) == 0


def test_a_missing_file_is_reported_in_one_line(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    result = smarketing_import(tmp_path / "nope.csv", database_url, slack, tmp_path)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"No such file: {tmp_path / 'nope.csv'}"]


def test_owner_e_mails_without_a_slack_token_stop_the_import_before_anything_is_stored(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    rows = [
        f"L-{n},lead{n}@acme.example,Lead {n},Acme,ads,q4,CFO,80,80,,2026-10-01"
        for n in range(1, 600)
    ]
    rows.append("L-600,last@acme.example,Last,Acme,ads,q4,CFO,80,80,ana@example.com,2026-10-01")
    path = write_csv(tmp_path / "leads.csv", *rows)

    result = smarketing_import(path, database_url, None, tmp_path)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLACK_BOT_TOKEN" in lines[0]
    assert event_count(db) == 0


def test_a_file_without_owners_needs_no_slack_token(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        "L-1,kim.ng@acme.example,Kim Ng,Acme,webinar,q4,CFO,80,80,,2026-10-01",
    )

    result = smarketing_import(path, database_url, None, tmp_path)

    assert result.returncode == 0, result.stderr
    assert leads(db)["L-1"].grade == "sales-ready"


def test_a_long_file_lists_the_first_fifty_rejected_rows_and_counts_the_rest(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    # 1,200 rows: three transactions; every 20th row (lines 21, 41, …) has a fit of 150.
    rows = [
        f"L-{n},lead{n}@acme.example,Lead {n},Acme,ads,q4,CFO,{150 if n % 20 == 0 else 60},70,,"
        "2026-10-01T12:00:00Z"
        for n in range(1, 1201)
    ]
    path = write_csv(tmp_path / "leads.csv", *rows)

    result = smarketing_import(path, database_url, slack, tmp_path)

    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "Leads stored: 1,140" in out
    assert "Rejected rows (nothing stored from them): 60" in out
    assert "line 21: fit:" in out and "line 1001: fit:" in out
    assert "line 1021:" not in out
    assert "… and 10 more rejected rows" in out
    assert len(leads(db)) == 1140


def test_when_slack_refuses_the_lookup_the_import_stops_and_stores_nothing_of_that_chunk(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    slack.fail("users.lookupByEmail", status=200, error="invalid_auth", times=5)
    path = write_csv(
        tmp_path / "leads.csv",
        "L-1,kim.ng@acme.example,Kim Ng,Acme,webinar,q4,CFO,80,80,ana@example.com,2026-10-01",
    )

    result = smarketing_import(path, database_url, slack, tmp_path)

    assert result.returncode == 2
    assert "Import stopped: Slack could not be asked who an owner is" in result.stderr
    assert (
        "invalid_auth" in result.stderr and "rows from line 2 on were not stored" in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert event_count(db) == 0


def test_a_row_may_say_the_lead_was_recycled_to_marketing_and_why(
    db: Database, database_url: str, slack: SlackEmulator, tmp_path: Path
) -> None:
    slack.add_user(ANA, name="Ana Lima", email="ana@example.com")
    header = HEADER + ",recycled_at,recycle_reason"
    path = write_csv(
        tmp_path / "leads.csv",
        "L-1,kim@acme.example,Kim,Acme,ads,q4,CFO,80,80,ana@example.com,2026-10-01,"
        "2026-10-20,not before Q3",
        "L-2,lee@acme.example,Lee,Acme,ads,q4,CFO,80,80,ana@example.com,2026-10-01,,",
        "L-3,max@acme.example,Max,Acme,ads,q4,CFO,80,80,,2026-10-01,2026-10-20,",
        "L-4,zed@acme.example,Zed,Acme,ads,q4,CFO,80,80,,2026-10-01,,no budget",
        header=header,
    )

    first = smarketing_import(path, database_url, slack, tmp_path)
    again = smarketing_import(path, database_url, slack, tmp_path)

    out = first.stdout
    assert "line 4: recycle_reason: is required with recycled_at: marketing needs the reason" in out
    assert "line 5: recycled_at: is required with recycle_reason" in out
    assert "Leads stored: 2" in out
    assert "Already imported (duplicates, nothing changed): 2" in again.stdout
    stored = leads(db)
    assert (stored["L-1"].status, stored["L-1"].recycle_reason) == ("recycled", "not before Q3")
    assert stored["L-1"].closed_at == datetime(2026, 10, 20, tzinfo=UTC)
    assert stored["L-2"].status == "open"
    assert sorted(stored) == ["L-1", "L-2"]
