"""Closed-loop reports on the lead projection, against a history posted through the event API
and counted by hand: totals, breakdowns by source, campaign and persona, period edges."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain.closed_loop import Figures, Group
from storage import reports
from storage.reports import Dimension, ReasonCount, Report
from tests.app_server import RunningApp
from tests.events import accepted, assigned, created, lost, post_events, rejected, won

NOVEMBER = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
DECEMBER = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def at(month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def lead(
    lead_id: str,
    when: datetime,
    source: str | None,
    campaign: str | None,
    persona: str | None,
    email: str | None,
    fit: Any,
    interest: Any,
) -> dict[str, Any]:
    fields = {"source": source, "campaign": campaign, "persona": persona, "email": email}
    fields.update(fit=fit, interest=interest)
    return created(lead_id, when, **{k: v for k, v in fields.items() if v is not None})


# A month of leads across 3 sources, 2 campaigns and 2 personas (plus one with none of them).
# In November: 13 leads created (L9 and L10 came in October, L11 exactly at December's start),
# 8 sales-ready (not L3 review, L5 ungraded, L6/L14 duplicates, L15 avoid), 2 duplicates,
# 2 incomplete (L5 without fit, L8 without e-mail), 4 accepted (L1, L3, L4, L12), 3 rejected
# (L2, L3, L10), 3 won (L1 $1,000, L7 $2,500.50, L9 $4,000 — created in October, won in
# November), 1 lost (L14; L4 was lost in December).
HISTORY = [
    lead("L1", at(11, 2), "web", "fall", "cfo", "a@example.com", "high", "high"),
    lead("L2", at(11, 3), "web", "fall", "cto", "b@example.com", 80, 90),
    lead("L3", at(11, 4), "web", "spring", "cfo", "c@example.com", "low", "high"),
    lead("L4", at(11, 4, 13), "event", "fall", "cfo", "d@example.com", "high", "high"),
    lead("L5", at(11, 5), "event", "spring", "cto", "e@example.com", None, "high"),
    lead("L6", at(11, 10), "partner", "spring", "cto", " A@Example.com", "high", "high"),
    lead("L7", at(11, 11), "partner", "fall", "cfo", "f@example.com", "high", "high"),
    lead("L8", at(11, 12), "web", "fall", "cfo", None, "high", "high"),
    lead("L9", at(10, 15), "event", "fall", "cto", "g@example.com", "high", "high"),
    lead("L10", at(10, 31, 23, 59, 59), "web", "spring", "cfo", "h@example.com", 90, 10),
    lead("L11", at(12, 1, 0), "web", "fall", "cfo", "i@example.com", "high", "high"),
    lead("L12", at(11, 12, 15), "event", "fall", "cfo", "j@example.com", "high", "high"),
    lead("L13", at(11, 1, 0), "web", "fall", "cto", "k@example.com", "high", "high"),
    lead("L14", at(11, 15), "event", "spring", "cfo", "d@example.com", "high", "high"),
    lead("L15", at(11, 16), "partner", "spring", "cto", "l@example.com", 30, 20),
    lead("L16", at(11, 20), None, None, None, "m@example.com", "high", "high"),
    accepted("L1", at(11, 5)),
    won("L1", at(11, 20), 1000),
    rejected("L2", at(11, 6), "Budget"),
    accepted("L3", at(11, 6)),
    rejected("L3", at(11, 7), "budget"),
    accepted("L4", at(11, 8)),
    lost("L4", at(12, 3), "timing"),
    won("L7", at(11, 28), "2500.50"),
    accepted("L9", at(10, 20)),
    won("L9", at(11, 3), 4000),
    rejected("L10", at(11, 2), "Not a fit"),
    accepted("L12", at(11, 30, 23, 59, 59)),
    lost("L14", at(11, 20), "no budget"),
    accepted("L15", at(12, 1, 0)),
]


@pytest.fixture
def history(app: RunningApp) -> RunningApp:
    app.clock.set(at(12, 15))
    response = post_events(app, *HISTORY)
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == len(HISTORY)
    return app


def report_for(app: RunningApp, period: tuple[datetime, datetime]) -> Report:
    with app.db.session() as session:
        return reports.period_report(session, start=period[0], end=period[1])


def groups(report: Report, dimension: Dimension) -> dict[str | None, Figures]:
    return {group.key: group.figures for group in report.by(dimension)}


def test_the_month_totals_count_what_happened_in_it(history: RunningApp) -> None:
    report = report_for(history, NOVEMBER)

    assert report.total == Figures(
        leads=13,
        sales_ready=8,
        duplicates=2,
        incomplete=2,
        accepted=4,
        rejected=3,
        won=3,
        lost=1,
        revenue=Decimal("7500.50"),
    )


def test_rejection_reasons_are_counted_regardless_of_case_most_common_first(
    history: RunningApp,
) -> None:
    report = report_for(history, NOVEMBER)

    assert report.rejection_reasons == [ReasonCount("budget", 2), ReasonCount("not a fit", 1)]
    with history.db.session() as session:
        top = reports.rejection_reasons(session, start=NOVEMBER[0], end=NOVEMBER[1], limit=1)
    assert top == [ReasonCount("budget", 2)]


def test_sources_show_which_bring_revenue_best_first(history: RunningApp) -> None:
    report = report_for(history, NOVEMBER)

    assert [group.key for group in report.by_source] == ["event", "partner", "web", None]
    assert groups(report, Dimension.SOURCE) == {
        "event": Figures(
            leads=4, sales_ready=2, duplicates=1, incomplete=1, accepted=2, won=1, lost=1,
            revenue=Decimal("4000.00"),
        ),
        "partner": Figures(leads=3, sales_ready=1, duplicates=1, won=1, revenue=Decimal("2500.50")),
        "web": Figures(
            leads=5, sales_ready=4, incomplete=1, accepted=2, rejected=3, won=1,
            revenue=Decimal("1000.00"),
        ),
        None: Figures(leads=1, sales_ready=1),
    }  # fmt: skip


def test_campaigns_split_the_same_month(history: RunningApp) -> None:
    assert groups(report_for(history, NOVEMBER), Dimension.CAMPAIGN) == {
        "fall": Figures(
            leads=7, sales_ready=7, incomplete=1, accepted=3, rejected=1, won=3,
            revenue=Decimal("7500.50"),
        ),
        "spring": Figures(
            leads=5, duplicates=2, incomplete=1, accepted=1, rejected=2, lost=1
        ),
        None: Figures(leads=1, sales_ready=1),
    }  # fmt: skip


def test_personas_split_the_same_month(history: RunningApp) -> None:
    report = report_for(history, NOVEMBER)

    assert report.by_persona[0] == Group(
        "cto",
        Figures(
            leads=5, sales_ready=2, duplicates=1, incomplete=1, rejected=1, won=1,
            revenue=Decimal("4000.00"),
        ),
    )  # fmt: skip
    assert groups(report, Dimension.PERSONA)["cfo"] == Figures(
        leads=7, sales_ready=5, duplicates=1, incomplete=1, accepted=4, rejected=2, won=2, lost=1,
        revenue=Decimal("3500.50"),
    )  # fmt: skip


def test_something_that_happens_exactly_at_the_end_belongs_to_the_next_period(
    history: RunningApp,
) -> None:
    november, december = report_for(history, NOVEMBER), report_for(history, DECEMBER)

    # L11 was created and L15 accepted at 2026-12-01 00:00:00, L4 was lost on 3 December.
    assert november.total.leads == 13
    assert december.total == Figures(leads=1, sales_ready=1, accepted=1, lost=1)
    assert groups(december, Dimension.SOURCE) == {
        "web": Figures(leads=1, sales_ready=1),
        "partner": Figures(accepted=1),
        "event": Figures(lost=1),
    }


def test_a_period_with_nothing_in_it_reports_zeros(history: RunningApp) -> None:
    report = report_for(history, (at(6, 1, 0), at(7, 1, 0)))

    assert report.total == Figures()
    assert report.by_source == [] and report.rejection_reasons == []


def test_funnel_history_counts_wins_when_closed_and_new_leads_without_duplicates(
    history: RunningApp,
) -> None:
    with history.db.session() as session:
        autumn = reports.funnel_history(session, start=at(10, 1, 0), end=at(12, 1, 0))
        november_leads = reports.leads_created(session, start=NOVEMBER[0], end=NOVEMBER[1])

    # Oct–Nov: 15 leads created (13 + L9, L10), less the 2 duplicates; 3 won for $7,500.50.
    assert autumn == reports.FunnelHistory(won=3, won_revenue=Decimal("7500.50"), leads=13)
    assert november_leads == 11


def test_reps_are_the_people_who_own_a_lead_still_in_work(history: RunningApp) -> None:
    with history.db.session() as session:
        assert reports.rep_count(session) == 0

    response = post_events(
        history,
        assigned("L1", at(11, 3), slack_user_id="U0ANA"),  # won since: not in work
        assigned("L12", at(11, 13), slack_user_id="U0ANA"),  # accepted: in work
        assigned("L13", at(11, 2), slack_user_id="U0ANA"),
        assigned("L5", at(11, 6), slack_user_id="U0BEN"),  # open
        assigned("L2", at(11, 4), slack_user_id="U0CAT"),  # rejected: not in work
    )
    assert response.status_code == 200, response.text

    with history.db.session() as session:
        assert reports.rep_count(session) == 2
