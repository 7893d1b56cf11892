"""When an admin changes the SLA, every lead's derived fields follow, exactly as a rebuild would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from storage import workspace
from storage.events import rebuild_projection, rederive_leads
from storage.models import Lead, SalesCommitment
from tests.app_server import RunningApp
from tests.events import assigned, created, post_events, touched

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def rows(app: RunningApp) -> dict[str, dict[str, object]]:
    with app.db.session() as session:
        leads = session.exec(select(Lead)).all()
    return {lead.external_id: lead.model_dump(exclude={"id", "updated_at"}) for lead in leads}


def test_a_new_cadence_moves_due_times_and_the_moment_the_sla_was_met(app: RunningApp) -> None:
    touches = [touched("L-1", T0 + timedelta(hours=h)) for h in (1, 30, 60, 90)]
    post_events(
        app,
        created("L-1", T0, fit=80, interest=80),
        assigned("L-1", T0, slack_user_id="U0REP"),
        *touches,
        created("L-2", T0, fit=80, interest=80),
        assigned("L-2", T0, slack_user_id="U0REP"),
    )
    before = rows(app)
    assert before["L-1"]["sla_met_at"] is None  # 4 of 6 touches

    with app.db.session() as session:
        session.add(
            SalesCommitment(
                touches=3,
                days=7,
                first_touch_hours=4,
                escalate_after_hours=48,
                set_by="U0ADMIN",
                set_at=T0,
            )
        )
    with app.db.session() as session:
        changed = rederive_leads(session, rules=workspace.rules(session), now=T0)
    after = rows(app)

    assert changed == 2
    assert after["L-1"]["sla_met_at"] == T0 + timedelta(hours=60)  # the third touch
    assert after["L-1"]["next_touch_due"] is None
    assert after["L-1"]["window_ends_at"] == T0 + timedelta(days=7)
    assert after["L-2"]["next_touch_due"] == T0 + timedelta(hours=4)
    with app.db.session() as session:
        rebuild_projection(session, rules=workspace.rules(session), now=T0)
    assert rows(app) == after
