"""The digest's figures (storage/digest_figures.py) against histories posted through the event API:
a generated history of a few hundred leads whose answers the test works out from its own plan,
and small hand-counted cases for the edges (period ends, late wins, duplicates, breaches,
overdue at `now`, days across a change of clocks)."""

from __future__ import annotations

import random
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.cadence import SalesSla
from domain.digest import Breakdown, PeriodFigures
from storage.digest_figures import NO_VALUE, period_figures, sales_ready_by_day
from tests.app_server import RunningApp
from tests.events import (
    accepted,
    assigned,
    created,
    lost,
    post_events,
    rejected,
    touched,
    won,
)

SLA = SalesSla()  # the app's default, in force in these tests: 6 touches in 14 days, first in 24h
K = 6
WINDOW = timedelta(days=14)
FIRST_TOUCH = timedelta(hours=24)  # min(H = 24 h, D/K = 56 h)
SPACING = timedelta(hours=56)  # D/K: touch k ≥ 2 is due at a + k·56 h
ESCALATE_AFTER = timedelta(hours=48)

# Three digest weeks, Monday to Monday in UTC, and the digest built on the Monday after.
W1 = datetime(2026, 11, 2, tzinfo=UTC)
W2 = W1 + timedelta(days=7)
W3 = W2 + timedelta(days=7)
W3_END = W3 + timedelta(days=7)
WEEKS = [(W1, W2), (W2, W3), (W3, W3_END)]
NOW = W3_END + timedelta(hours=9)
# Leads start three weeks before W1, so SLA windows (14 days) already end in W1.
HISTORY_START = W1 - timedelta(days=21)

REPS = ["U0ANA", "U0BEN", "U0CAT", "U0DAN"]
SOURCES = ["web", "event", "partner", None]
CAMPAIGNS = ["fall", "spring", "webinar", None]
PERSONAS = ["cfo", "cto", None]
REASONS = ["Budget", "budget", "Not a fit", "Timing", "Competitor"]
COMMITTED = 40


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def post_all(app: RunningApp, events: list[tuple[datetime, dict[str, Any]]]) -> None:
    """Post in time order, in batches the API accepts (at most 1,000 events)."""
    ordered = [event for _at, event in sorted(events, key=lambda item: item[0])]
    for first in range(0, len(ordered), 1000):
        batch = ordered[first : first + 1000]
        response = post_events(app, *batch)
        assert response.status_code == 200, response.text
        assert response.json()["stored"] == len(batch)


def figures_for(
    app: RunningApp, start: datetime, end: datetime, *, now: datetime = NOW
) -> PeriodFigures:
    with app.db.session() as session:
        return period_figures(
            session,
            start=start,
            end=end,
            now=now,
            sales_sla=SLA,
            marketing_committed=COMMITTED,
        )


def by_day(app: RunningApp, start: datetime, end: datetime, tz: Any) -> dict[date, int]:
    with app.db.session() as session:
        return sales_ready_by_day(session, start=start, end=end, tz=tz)


def rows(breakdowns: Any) -> dict[str, Breakdown]:
    return {row.name: row for row in breakdowns}


# --- A generated history, with the answers worked out from the plan --------------------------


@dataclass
class PlannedLead:
    """One lead as the generator plans it; every moment in it is before NOW."""

    lead_id: str
    created_at: datetime
    email: str | None
    source: str | None
    campaign: str | None
    persona: str | None
    fit: int | None
    interest: int | None
    owner: str | None = None
    assigned_at: datetime | None = None
    touches: list[datetime] = field(default_factory=list)
    accepted_at: datetime | None = None
    status: str = "open"  # open, accepted, rejected, won, lost
    closed_at: datetime | None = None
    amount: Decimal | None = None
    reason: str | None = None

    @property
    def sales_ready(self) -> bool:  # both scores at or above the threshold of 50
        return (
            self.fit is not None
            and self.interest is not None
            and self.fit >= 50
            and self.interest >= 50
        )

    @property
    def avoid(self) -> bool:  # both scores below 50
        return (
            self.fit is not None
            and self.interest is not None
            and self.fit < 50
            and self.interest < 50
        )

    @property
    def incomplete(self) -> bool:  # no fit, no interest or no e-mail (lead_state.REQUIRED_FIELDS)
        return self.fit is None or self.interest is None or self.email is None

    @property
    def worked(self) -> bool:
        """On sales' cadence when owned: sales-ready or review (high interest), DESIGN §2."""
        return self.fit is not None and self.interest is not None and self.interest >= 50

    def in_work(self, duplicates: set[str]) -> bool:
        """Owned, open or accepted, on a cadence, and not a duplicate (never worked twice)."""
        return (
            self.owner is not None
            and self.status in ("open", "accepted")
            and self.worked
            and self.lead_id not in duplicates
        )

    def next_due(self) -> datetime | None:
        """When the first missing touch is due: a + 24 h for the first, a + k·56 h for touch k."""
        assert self.assigned_at is not None
        logged = len(self.touches)
        if logged >= K:
            return None
        return self.assigned_at + (FIRST_TOUCH if logged == 0 else (logged + 1) * SPACING)

    def events(self) -> list[tuple[datetime, dict[str, Any]]]:
        fields = {
            "email": self.email,
            "source": self.source,
            "campaign": self.campaign,
            "persona": self.persona,
            "fit": self.fit,
            "interest": self.interest,
        }
        given: dict[str, Any] = {name: value for name, value in fields.items() if value is not None}
        events = [(self.created_at, created(self.lead_id, self.created_at, **given))]
        if self.assigned_at is not None:
            events.append(
                (
                    self.assigned_at,
                    assigned(self.lead_id, self.assigned_at, slack_user_id=self.owner),
                )
            )
        events.extend((moment, touched(self.lead_id, moment)) for moment in self.touches)
        if self.accepted_at is not None:
            events.append((self.accepted_at, accepted(self.lead_id, self.accepted_at)))
        if self.closed_at is not None:
            when = self.closed_at
            if self.status == "won":
                assert self.amount is not None
                events.append((when, won(self.lead_id, when, str(self.amount))))
            elif self.status == "rejected":
                assert self.reason is not None
                events.append((when, rejected(self.lead_id, when, self.reason)))
            else:
                events.append((when, lost(self.lead_id, when, self.reason)))
        return events


def spaced(email: str) -> str:
    return f"  {email} "


def minutes(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(minutes=rng.randint(low, high))


def plan_history(seed: int, count: int = 320) -> list[PlannedLead]:
    rng = random.Random(seed)
    span = int((NOW - timedelta(hours=2) - HISTORY_START).total_seconds() // 60)
    emails: list[str] = []
    plan: list[PlannedLead] = []
    for number in range(count):
        if rng.random() < 0.06:  # exactly on a week's edge: it belongs to the week it starts
            created_at = rng.choice([W1, W2, W3, W3_END])
        else:
            created_at = HISTORY_START + timedelta(minutes=rng.randrange(span))
        draw = rng.random()
        email: str | None
        if draw < 0.1:
            email = None
        elif draw < 0.3 and emails:
            # The same person again, written differently: a duplicate of whichever came first.
            email = rng.choice([str.upper, str.title, spaced])(rng.choice(emails))
        else:
            email = f"person{number}@example.com"
            emails.append(email)
        lead = PlannedLead(
            lead_id=f"R{number:04d}",
            created_at=created_at,
            email=email,
            source=rng.choice(SOURCES),
            campaign=rng.choice(CAMPAIGNS),
            persona=rng.choice(PERSONAS),
            fit=None if rng.random() < 0.1 else rng.randint(0, 100),
            interest=None if rng.random() < 0.1 else rng.randint(0, 100),
        )
        plan.append(lead)
        if rng.random() < 0.8:
            assigned_at = created_at + minutes(rng, 0, 360)
            if assigned_at < NOW:
                lead.owner, lead.assigned_at = rng.choice(REPS), assigned_at
                # Some reps keep the cadence, some are late: 0–8 touches, first within 0–40 h.
                moment = assigned_at + minutes(rng, 10, 40 * 60)
                for _ in range(rng.randint(0, 8)):
                    if moment >= NOW:
                        break
                    lead.touches.append(moment)
                    moment += minutes(rng, 8 * 60, 80 * 60)
        outcome = rng.random()
        if outcome < 0.15:
            close(lead, "rejected", created_at + minutes(rng, 60, 10 * 24 * 60), rng)
        elif outcome < 0.32:
            accepted_at = created_at + minutes(rng, 60, 5 * 24 * 60)
            if accepted_at < NOW:
                lead.accepted_at, lead.status = accepted_at, "accepted"
                then = rng.choice(["won", "lost", "rejected", "accepted"])
                if then != "accepted":
                    close(lead, then, accepted_at + minutes(rng, 60, 10 * 24 * 60), rng)
        elif outcome < 0.40:
            close(lead, "won", created_at + minutes(rng, 60, 12 * 24 * 60), rng)
        elif outcome < 0.45:
            close(lead, "lost", created_at + minutes(rng, 60, 12 * 24 * 60), rng)
    return plan


def close(lead: PlannedLead, status: str, when: datetime, rng: random.Random) -> None:
    if when >= NOW:
        return  # not happened yet when the digest is built
    lead.status, lead.closed_at = status, when
    if status == "won":
        lead.amount = Decimal(rng.randint(10_000, 900_000)) / 100  # $100.00 – $9,000.00
    elif status == "rejected":
        lead.reason = rng.choice(REASONS)
    elif rng.random() < 0.5:
        lead.reason = "no budget"


def duplicate_ids(plan: list[PlannedLead]) -> set[str]:
    """Per e-mail (trimmed, lower-case), every lead but the earliest created is a duplicate."""
    by_email: dict[str, list[PlannedLead]] = defaultdict(list)
    for lead in plan:
        if lead.email is not None:
            by_email[lead.email.strip().lower()].append(lead)
    duplicates: set[str] = set()
    for same in by_email.values():
        same.sort(key=lambda lead: (lead.created_at, lead.lead_id))
        duplicates.update(lead.lead_id for lead in same[1:])
    return duplicates


def expected_week(plan: list[PlannedLead], start: datetime, end: datetime) -> PeriodFigures:
    """The week's figures by the rules, counted over the plan (breakdowns left to
    `expected_rows`)."""
    duplicates = duplicate_ids(plan)

    def within(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    new = [lead for lead in plan if within(lead.created_at)]
    won_leads = [lead for lead in plan if lead.status == "won" and within(lead.closed_at)]
    rejected_leads = [lead for lead in plan if lead.status == "rejected" and within(lead.closed_at)]
    breaches = 0
    first_touch: list[float] = []
    for lead in plan:
        if lead.assigned_at is None:
            continue
        window_end = lead.assigned_at + WINDOW
        kth = lead.touches[K - 1] if len(lead.touches) >= K else None
        if (
            within(window_end)
            and lead.worked
            and lead.lead_id not in duplicates
            and (kth is None or kth > window_end)
            and (lead.closed_at is None or lead.closed_at >= window_end)
        ):
            breaches += 1
        if within(lead.assigned_at) and lead.touches:
            first_touch.append((lead.touches[0] - lead.assigned_at).total_seconds())
    return PeriodFigures(
        workspace_leads=len(plan),
        revenue_won=sum((Fraction(lead.amount or 0) for lead in won_leads), Fraction(0)),
        customers_won=len(won_leads),
        leads_created=sum(lead.lead_id not in duplicates for lead in new),
        sales_ready_delivered=sum(
            lead.sales_ready and lead.lead_id not in duplicates for lead in new
        ),
        marketing_committed=COMMITTED,
        breaches=breaches,
        median_first_touch=(
            timedelta(seconds=round(statistics.median(first_touch))) if first_touch else None
        ),
        accepted=sum(within(lead.accepted_at) for lead in plan),
        rejected=len(rejected_leads),
        rejection_reasons=dict(Counter((lead.reason or "").lower() for lead in rejected_leads)),
        duplicates=sum(lead.lead_id in duplicates for lead in new),
        incomplete=sum(lead.incomplete for lead in new),
        **expected_at_now(plan),
    )


def expected_at_now(plan: list[PlannedLead]) -> dict[str, Any]:
    """Compliance and overdue leads per rep at NOW: leads in work (owned, open or accepted,
    sales-ready or review, not duplicates), overdue when their next touch was due by NOW and
    they do not wait for an outcome yet; in their window when assigned less than 14 days
    before NOW."""
    in_window = overdue_in_window = 0
    overdue: Counter[str] = Counter()
    duplicates = duplicate_ids(plan)
    for lead in plan:
        if not lead.in_work(duplicates):
            continue
        assert lead.owner is not None and lead.assigned_at is not None
        due = lead.next_due()
        # A breach leaves the overdue lists once escalated: E (48 h) after its window ended.
        waits_for_outcome = lead.assigned_at + WINDOW <= NOW - ESCALATE_AFTER
        late = due is not None and due <= NOW and not waits_for_outcome
        overdue[lead.owner] += late
        if lead.assigned_at > NOW - WINDOW:
            in_window += 1
            overdue_in_window += late
    compliance = Fraction(in_window - overdue_in_window, in_window) if in_window else None
    # The unassigned queue: leads in work no rep owns, duplicates (a later lead with an
    # earlier lead's e-mail) left out.
    originals: dict[str, str] = {}
    for lead in sorted(plan, key=lambda lead: (lead.created_at, lead.lead_id)):
        if lead.email:
            originals.setdefault(lead.email.strip().lower(), lead.lead_id)
    unassigned = sum(
        1
        for lead in plan
        if lead.owner is None
        and lead.status in ("open", "accepted")
        and (lead.email is None or originals[lead.email.strip().lower()] == lead.lead_id)
    )
    return {
        "compliance": compliance,
        "overdue_by_rep": {rep: n for rep, n in sorted(overdue.items()) if n},
        "unassigned": unassigned,
    }


def expected_rows(
    plan: list[PlannedLead], start: datetime, end: datetime, dimension: str
) -> dict[str, Breakdown]:
    """Per value of `dimension` ("(none)" without one): leads created and sales-ready leads
    created, duplicates left out of both, accepted, rejected, won and revenue in the week."""
    duplicates = duplicate_ids(plan)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    revenue: dict[str, Fraction] = defaultdict(Fraction)

    def within(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    for lead in plan:
        name = getattr(lead, dimension) or NO_VALUE
        if within(lead.created_at) and lead.lead_id not in duplicates:
            counts[name]["leads"] += 1
            counts[name]["sales_ready"] += lead.sales_ready
        counts[name]["accepted"] += within(lead.accepted_at)
        if lead.status in ("rejected", "won") and within(lead.closed_at):
            counts[name][lead.status] += 1
        if lead.status == "won" and within(lead.closed_at):
            revenue[name] += Fraction(lead.amount or 0)
    result = {
        name: Breakdown(name=name, revenue=revenue[name], **dict(figures))
        for name, figures in counts.items()
    }
    # A value with nothing to show in the week (say only a lost lead) gets no row.
    return {name: row for name, row in result.items() if row != Breakdown(name)}


@pytest.mark.parametrize("seed", [7, 2026])
def test_each_week_of_a_generated_history_counts_what_the_plan_says(
    app: RunningApp, seed: int
) -> None:
    plan = plan_history(seed)
    app.clock.set(NOW)
    post_all(app, [event for lead in plan for event in lead.events()])

    expected_weeks = [expected_week(plan, start, end) for start, end in WEEKS]
    # The plan exercises what is checked: every week has new leads, duplicates, incomplete
    # leads, sales-ready ones, wins, rejections and breaches; some reps have overdue leads.
    for week in expected_weeks:
        assert week.leads_created and week.duplicates and week.incomplete
        assert week.sales_ready_delivered and week.customers_won and week.rejected
        assert week.breaches and week.accepted and week.median_first_touch is not None
    assert expected_weeks[0].overdue and expected_weeks[0].compliance not in (None, 0, 1)

    for (start, end), expected in zip(WEEKS, expected_weeks, strict=True):
        figures = figures_for(app, start, end)
        assert replace(figures, by_source=(), by_campaign=(), by_persona=()) == expected, start
        for dimension in ("source", "campaign", "persona"):
            assert rows(getattr(figures, f"by_{dimension}")) == expected_rows(
                plan, start, end, dimension
            ), (start, dimension)


@pytest.mark.parametrize("seed", [7, 2026])
def test_sales_ready_leads_per_day_of_a_generated_history(app: RunningApp, seed: int) -> None:
    plan = plan_history(seed)
    app.clock.set(NOW)
    post_all(app, [event for lead in plan for event in lead.events()])
    duplicates = duplicate_ids(plan)

    days = by_day(app, W1, W3_END, UTC)

    # 21 UTC days from 2 to 22 November, each the count of the plan's delivered leads on it.
    expected = {(W1 + timedelta(days=n)).date(): 0 for n in range(21)}
    for lead in plan:
        if lead.sales_ready and lead.lead_id not in duplicates and W1 <= lead.created_at < W3_END:
            expected[lead.created_at.date()] += 1
    assert days == expected
    assert list(days) == sorted(days)
    # The days of a week add up to the week's delivered figure.
    week_two = [(W2 + timedelta(days=n)).date() for n in range(7)]
    assert sum(days[day] for day in week_two) == figures_for(app, W2, W3).sales_ready_delivered


# --- Hand-counted edges ---------------------------------------------------------------------


def test_a_lead_created_exactly_at_the_end_of_a_week_is_the_next_weeks(app: RunningApp) -> None:
    app.clock.set(NOW)
    post_all(
        app,
        [
            (W2 - timedelta(seconds=1), created("E1", W2 - timedelta(seconds=1), **ready("e1"))),
            (W2, created("E2", W2, source="web", **ready("e2"))),
        ],
    )

    week_one, week_two = figures_for(app, W1, W2), figures_for(app, W2, W3)

    # E1 at 8 Nov 23:59:59 is week 1's; E2 at 9 Nov 00:00:00 opens week 2.
    assert (week_one.leads_created, week_one.sales_ready_delivered) == (1, 1)
    assert (week_two.leads_created, week_two.sales_ready_delivered) == (1, 1)
    assert rows(week_one.by_source) == {NO_VALUE: Breakdown(NO_VALUE, leads=1, sales_ready=1)}
    assert rows(week_two.by_source) == {"web": Breakdown("web", leads=1, sales_ready=1)}
    assert by_day(app, W1, W2, UTC)[date(2026, 11, 8)] == 1
    assert date(2026, 11, 9) not in by_day(app, W1, W2, UTC)


def test_a_lead_created_in_one_week_and_closed_the_next_is_the_next_weeks(
    app: RunningApp,
) -> None:
    app.clock.set(NOW)
    post_all(
        app,
        [
            (at(11, 3), created("C1", at(11, 3), campaign="fall", **ready("c1"))),
            (at(11, 4), accepted("C1", at(11, 4))),
            (at(11, 10), won("C1", at(11, 10), "1250.50")),
            (at(11, 3), created("C2", at(11, 3), campaign="fall", **ready("c2"))),
            (at(11, 5), accepted("C2", at(11, 5))),
            (at(11, 11), rejected("C2", at(11, 11), "Timing")),
            (at(11, 6), created("C3", at(11, 6), campaign="spring", **ready("c3"))),
            (at(11, 12), lost("C3", at(11, 12), "no budget")),
        ],
    )

    week_one, week_two = figures_for(app, W1, W2), figures_for(app, W2, W3)

    # All three created in week 1; C1 and C2 accepted then (4 and 5 Nov). In week 2, C1 won
    # for $1,250.50 (10 Nov), C2 rejected (11 Nov) and C3 lost (12 Nov).
    assert (week_one.leads_created, week_one.accepted) == (3, 2)
    assert (week_one.customers_won, week_one.revenue_won, week_one.rejected) == (0, Fraction(0), 0)
    assert (week_two.customers_won, week_two.revenue_won) == (1, Fraction(125050, 100))
    assert (week_two.leads_created, week_two.accepted, week_two.rejected) == (0, 0, 1)
    assert week_two.rejection_reasons == {"timing": 1}
    assert rows(week_one.by_campaign) == {
        "fall": Breakdown("fall", leads=2, sales_ready=2, accepted=2),
        "spring": Breakdown("spring", leads=1, sales_ready=1),
    }
    # "spring" had only a loss in week 2, which the digest has no column for: no row.
    assert rows(week_two.by_campaign) == {
        "fall": Breakdown("fall", rejected=1, won=1, revenue=Fraction(125050, 100))
    }


def test_duplicates_are_counted_but_not_delivered(app: RunningApp) -> None:
    app.clock.set(NOW)
    post_all(
        app,
        [
            (at(11, 3), created("D1", at(11, 3), source="web", **ready("ana"))),
            # The same person again, spelt differently, two days later: D1's duplicate.
            (at(11, 5), created("D2", at(11, 5), source="web", **ready(" ANA"))),
            # No e-mail: incomplete, and never anyone's duplicate.
            (at(11, 6), created("D3", at(11, 6), source="web", fit=80, interest=80)),
        ],
    )

    week = figures_for(app, W1, W2)

    # 3 leads, D2 a duplicate: 2 new people, 2 delivered (D1, D3), 1 duplicate, 1 incomplete.
    assert (week.leads_created, week.sales_ready_delivered) == (2, 2)
    assert (week.duplicates, week.incomplete) == (1, 1)
    # The row counts new people too: D2 came again, so web brought 2 leads.
    assert rows(week.by_source) == {"web": Breakdown("web", leads=2, sales_ready=2)}
    days = by_day(app, W1, W2, UTC)
    assert (days[date(2026, 11, 3)], days[date(2026, 11, 5)], days[date(2026, 11, 6)]) == (1, 0, 1)


def test_breaches_overdue_compliance_and_first_touch_counted_by_hand(app: RunningApp) -> None:
    app.clock.set(NOW)
    events: list[tuple[datetime, dict[str, Any]]] = []

    def lead(
        lead_id: str, owner: str, assigned_at: datetime, *touches: datetime, **scores: int
    ) -> None:
        created_at = assigned_at - timedelta(hours=1)
        fields = scores or ready(lead_id.lower())
        events.append((created_at, created(lead_id, created_at, **fields)))
        events.append((assigned_at, assigned(lead_id, assigned_at, slack_user_id=owner)))
        events.extend((moment, touched(lead_id, moment)) for moment in touches)

    # Windows are 14 days; NOW is Monday 23 Nov 09:00.
    # B1: window ends 16 Nov 10:00 (week 3) with 2 touches → breach; overdue since its 3rd
    #     touch fell due (2 Nov 10:00 + 3·56 h = 9 Nov 10:00).
    lead("B1", "U0ANA", at(11, 2, 10), at(11, 2, 14), at(11, 5))
    # B2: window ends 23 Nov 00:00, exactly week 3's end: next week's breach, not week 3's.
    #     Untouched, overdue since 10 Nov 00:00.
    lead("B2", "U0BEN", at(11, 9))
    # B3: won on 10 Nov, before its window ended (17 Nov): needs no more touches.
    lead("B3", "U0ANA", at(11, 3))
    events.append((at(11, 10), won("B3", at(11, 10), 500)))
    # B4: avoid (fit and interest below 50): not worked under the SLA at all.
    lead("B4", "U0ANA", at(11, 3), fit=10, interest=10)
    # B5: 6 touches by 17 Nov, before its window ends on 18 Nov: met; first touch after 12 h.
    b5 = [at(11, 4, 12), at(11, 6), at(11, 8), at(11, 11), at(11, 14), at(11, 17)]
    lead("B5", "U0CAT", at(11, 4), *b5)
    # B6: 1 touch, window ends 19 Nov, rejected on 20 Nov, after it ended → breach.
    lead("B6", "U0CAT", at(11, 5), at(11, 6))
    events.append((at(11, 20), rejected("B6", at(11, 20), "Budget")))
    # B7: assigned 22 Nov 12:00, first touch due 23 Nov 12:00, after NOW: on cadence.
    lead("B7", "U0BEN", at(11, 22, 12))
    # B8: assigned 22 Nov 09:00, first touch due 23 Nov 09:00 = NOW: due by now, so overdue.
    lead("B8", "U0CAT", at(11, 22, 9))
    post_all(app, events)

    week_one, week_two, week_three = (figures_for(app, start, end) for start, end in WEEKS)

    assert week_three.breaches == 2  # B1, B6
    assert (week_one.breaches, week_two.breaches) == (0, 0)
    assert figures_for(app, W3_END, W3_END + timedelta(days=7)).breaches == 1  # B2
    # Overdue at NOW: B2 (U0BEN; its window ended 9 h ago, within the 48 h its escalation
    # takes) and B8 (U0CAT). B1's window ended a week ago: escalated since, it waits for an
    # outcome and is overdue no more. In the window (assigned after 9 Nov 09:00): B7 and B8,
    # one of them overdue → compliance 1/2. The same in every week: both are the state at NOW.
    for week in (week_one, week_two, week_three):
        assert week.overdue_by_rep == {"U0BEN": 1, "U0CAT": 1}
        assert week.compliance == Fraction(1, 2)
        assert week.point_in_time and week.workspace_leads == 8
    # Assigned in week 1 and touched: B1 after 4 h, B5 after 12 h, B6 after 24 h → 12 h.
    assert week_one.median_first_touch == timedelta(hours=12)
    # Week 2's only assignment, B2, has no touch yet; week 3's are B7 and B8, untouched too.
    assert week_two.median_first_touch is None and week_three.median_first_touch is None
    assert week_three.rejection_reasons == {"budget": 1}


def test_days_follow_the_local_calendar_across_the_end_of_summer_time(app: RunningApp) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    app.clock.set(NOW)

    def local(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 10, day, hour, minute, tzinfo=berlin).astimezone(UTC)

    leads = {
        # Berlin leaves summer time on Sunday 25 Oct 2026 at 03:00 (UTC+2 → UTC+1).
        "T1": (local(25, 23, 30), ready("t1")),  # 22:30 UTC on the 25th: the 25th
        "T2": (local(25, 0, 30), ready("t2")),  # 22:30 UTC on the 24th, yet the 25th in Berlin
        "T3": (local(26, 0, 30), ready("t3")),  # 23:30 UTC on the 25th: next week's Monday
        "T4": (local(19, 0, 0), ready("t4")),  # the week's first instant, 22:00 UTC on the 18th
        "T5": (local(18, 23, 59), ready("t5")),  # the Sunday before: not this week's
        "T6": (local(22, 12), {"email": "t6@example.com", "fit": 80, "interest": 10}),  # nurture
        "T7": (local(21, 12), ready("t4")),  # the same person as T4: a duplicate
    }
    post_all(
        app, [(moment, created(lid, moment, **fields)) for lid, (moment, fields) in leads.items()]
    )
    # The Berlin week: Monday 19 Oct 00:00 CEST (18 Oct 22:00 UTC) to Monday 26 Oct 00:00 CET
    # (25 Oct 23:00 UTC), 169 hours long.
    start, end = local(19, 0), local(26, 0)
    assert end - start == timedelta(hours=169)

    days = by_day(app, start, end, berlin)

    # T4 on Monday the 19th; T2 and T1 on Sunday the 25th; T3, T5 outside; T6, T7 not delivered.
    assert days == {
        date(2026, 10, 19): 1,
        date(2026, 10, 20): 0,
        date(2026, 10, 21): 0,
        date(2026, 10, 22): 0,
        date(2026, 10, 23): 0,
        date(2026, 10, 24): 0,
        date(2026, 10, 25): 2,
    }
    assert by_day(app, end, end + timedelta(days=1), berlin) == {date(2026, 10, 26): 1}  # T3
    assert figures_for(app, start, end).sales_ready_delivered == 3  # T1, T2, T4


def test_an_empty_workspace_reads_zero_everywhere(app: RunningApp) -> None:
    figures = figures_for(app, W1, W2)

    assert figures == PeriodFigures(workspace_leads=0, marketing_committed=COMMITTED)
    assert figures.compliance is None and figures.median_first_touch is None
    assert by_day(app, W1, W2, UTC) == {(W1 + timedelta(days=n)).date(): 0 for n in range(7)}


def ready(name: str) -> dict[str, Any]:
    """Fields of a sales-ready lead (fit and interest high) with e-mail `name`@example.com."""
    return {"email": f"{name}@example.com", "fit": 90, "interest": 70}
