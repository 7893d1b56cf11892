"""Finding a lead (issue 15, item 6) over real HTTP: `/lead` with a name, an e-mail or a
company lists the leads that start with it (ten at most, with their ids); an id typed without
its prefix or with a typo gets "did you mean"; `/lead ID` shows the e-mail, scores and grade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from storage.models import LeadEvent
from tests.app_server import RunningApp, blocks_text, ephemeral_reply
from tests.events import created, post_events

A = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def add(app: RunningApp, lead_id: str, **fields: Any) -> None:
    assert post_events(app, created(lead_id, A, **fields)).is_success


def lead_says(app: RunningApp, text: str) -> str:
    return blocks_text(ephemeral_reply(app.command("/lead", text, user_id="U0ANA")))


def events(app: RunningApp) -> int:
    with app.db.session() as session:
        return int(session.exec(select(func.count()).select_from(LeadEvent)).one())


def test_a_name_an_email_or_a_company_finds_the_lead_with_its_id(app: RunningApp) -> None:
    add(app, "L-1001", name="Jane Doe", company="Acme Corp", email="jane@acme.example")
    add(app, "L-1002", name="John Roe", company="Globex", email="john@globex.example")

    for typed in ("jane", "JANE DOE", "jane@acme", "acme", "Acme Corp"):
        text = lead_says(app, typed)
        assert "*L-1001* Jane Doe, Acme Corp" in text, typed
        assert "L-1002" not in text, typed
    assert "*L-1002*" in lead_says(app, "globex")


def test_at_most_ten_are_shown_and_the_reply_says_there_are_more(app: RunningApp) -> None:
    for number in range(12):
        add(app, f"L-{2000 + number}", name=f"Smith {number:02d}", email=f"s{number}@x.example")

    text = lead_says(app, "smith")

    assert text.count("* Smith") == 10
    assert "The first 10 shown: type more of the name to narrow it" in text


def test_an_id_without_its_prefix_or_with_a_typo_gets_did_you_mean(app: RunningApp) -> None:
    add(app, "L-1001", name="Jane Doe")
    add(app, "L-2040", name="John Roe")
    before = events(app)

    assert "did you mean `L-1001`?" in lead_says(app, "1001")
    assert "did you mean `L-1001`?" in lead_says(app, "L-10001")
    nothing = lead_says(app, "Q-9")
    assert "No lead has the id `Q-9`, and none has an e-mail, name or company" in nothing
    assert events(app) == before


def test_one_lead_shows_its_email_scores_and_grade(app: RunningApp) -> None:
    add(app, "L-1001", name="Jane Doe", email="jane@acme.example", fit=80, interest=30)
    app.clock.set(A + timedelta(hours=1))

    text = lead_says(app, "L-1001")

    assert "*E-mail*\njane@acme.example" in text
    assert "*Grade*\nnurture (fit 80 · interest 30)" in text
