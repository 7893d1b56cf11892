"""`bot.sla_report.build_report` against a generated history whose answers are worked out here,
lead by lead, from DESIGN's definitions: the history goes in through POST /api/events, the
figures come out of the lead projection."""

from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.sla import SalesCounts, SlaReport
from services.sla_report import build_report
from tests.app_server import RunningApp
from tests.events import accepted, assigned, created, lost, post_events, rejected, touched, won

REPS = ("U0R1", "U0R2", "U0R3", "U0R4")
LAST_EVENT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIRST_ASSIGNMENT = datetime(2026, 10, 8, 0, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
# The default SLA: 6 touches in 14 days, the first within 24 h; touches k ≥ 2 every 56 h.
K, WINDOW, FIRST, SPACING = 6, timedelta(days=14), timedelta(hours=24), timedelta(hours=56)
IN_WORK = ("open", "accepted")
ESCALATE_AFTER = timedelta(hours=48)


@dataclass
class Spec:
    """One generated lead, with everything the answers are computed from."""

    external_id: str
    email: str
    fit: int
    interest: int
    created_at: datetime
    owner: str
    assigned_at: datetime
    earlier_owner: tuple[str, datetime] | None = None  # assigned first, then re-assigned
    touches: list[datetime] = field(default_factory=list)
    accepted_at: datetime | None = None
    status: str = "open"
    closed_at: datetime | None = None

    @property
    def sales_ready(self) -> bool:
        return self.fit >= 50 and self.interest >= 50

    @property
    def avoid(self) -> bool:
        return self.fit < 50 and self.interest < 50

    duplicate: bool = False  # a later lead with an earlier one's e-mail: never worked twice

    @property
    def worked(self) -> bool:
        """On sales' cadence: sales-ready or review (high interest), not a duplicate."""
        return self.interest >= 50 and not self.duplicate

    @property
    def in_work(self) -> bool:
        return self.status in IN_WORK and self.worked

    def waits_for_outcome(self, now: datetime) -> bool:
        """Its window ended short of K touches, and its escalation (48 h) is past."""
        return self.window_end <= now - ESCALATE_AFTER

    def due(self, touch: int) -> datetime:
        return self.assigned_at + (min(FIRST, SPACING) if touch == 1 else SPACING * touch)

    @property
    def overdue_since(self) -> datetime | None:
        """Due time of the first missing touch (None when all are in or the lead is not worked)."""
        if not self.in_work or len(self.touches) >= K:
            return None
        return self.due(len(self.touches) + 1)

    @property
    def window_end(self) -> datetime:
        return self.assigned_at + WINDOW

    @property
    def sla_met_at(self) -> datetime | None:
        return self.touches[K - 1] if len(self.touches) >= K else None


def _minutes(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(minutes=rng.randrange(int((end - start).total_seconds() // 60)))


def generate(seed: int, count: int = 120) -> list[Spec]:
    """Leads assigned from early October to 20 November: on time, late, untouched, closed
    inside and after their window, accepted, re-assigned, avoid-graded, duplicated."""
    rng = random.Random(seed)
    specs: list[Spec] = []
    for number in range(count):
        assigned_at = _minutes(rng, FIRST_ASSIGNMENT, LAST_EVENT - timedelta(hours=1))
        created_at = assigned_at - timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
        kind = rng.random()
        fit, interest = rng.randrange(50, 101), rng.randrange(50, 101)
        if kind < 0.1:
            fit, interest = rng.randrange(0, 50), rng.randrange(0, 50)  # avoid
        elif kind < 0.2:
            interest = rng.randrange(0, 50)  # nurture
        elif kind < 0.3:
            fit = rng.randrange(0, 50)  # review
        email = f"lead{number}@example.com"
        earlier = [spec for spec in specs if spec.created_at < created_at]
        if earlier and rng.random() < 0.1:
            email = rng.choice(earlier).email.upper()  # the same address: a duplicate
        spec = Spec(
            external_id=f"G-{number:03d}",
            email=email,
            fit=fit,
            interest=interest,
            created_at=created_at,
            owner=rng.choice(REPS),
            assigned_at=assigned_at,
        )
        if rng.random() < 0.1 and assigned_at - created_at > timedelta(hours=2):
            first_owner = rng.choice([rep for rep in REPS if rep != spec.owner])
            spec.earlier_owner = (first_owner, created_at + timedelta(minutes=30))
        end = LAST_EVENT
        outcome = rng.random()
        if outcome < 0.4:
            closing = _minutes(rng, assigned_at + timedelta(minutes=1), LAST_EVENT)
            spec.status, spec.closed_at = rng.choice(("rejected", "lost", "won")), closing
            if spec.status == "won" and rng.random() < 0.7:
                spec.accepted_at = _minutes(rng, assigned_at, closing)
            end = closing
        elif outcome < 0.55:
            spec.status = "accepted"
            spec.accepted_at = _minutes(rng, assigned_at, LAST_EVENT)
        # Touches near when each is due: some early, some late, some never.
        for touch in range(1, rng.randrange(0, K + 2) + 1):
            due = spec.due(min(touch, K)) + timedelta(minutes=rng.randrange(-20 * 60, 40 * 60))
            moment = max(due, (spec.touches or [assigned_at])[-1] + timedelta(minutes=1))
            if moment >= end:
                break
            spec.touches.append(moment)
        specs.append(spec)
    for spec in specs:
        spec.duplicate = spec.external_id in duplicates(specs)
    return specs


def events_of(specs: list[Spec]) -> list[dict[str, Any]]:
    out: list[tuple[datetime, int, dict[str, Any]]] = []

    def add(at: datetime, event: dict[str, Any]) -> None:
        out.append((at, len(out), event))

    for spec in specs:
        add(
            spec.created_at,
            created(
                spec.external_id,
                spec.created_at,
                email=spec.email,
                fit=spec.fit,
                interest=spec.interest,
                company=f"Company {spec.external_id}",
            ),
        )
        if spec.earlier_owner is not None:
            owner, at = spec.earlier_owner
            add(at, assigned(spec.external_id, at, slack_user_id=owner))
            add(at + timedelta(minutes=5), touched(spec.external_id, at + timedelta(minutes=5)))
        add(
            spec.assigned_at, assigned(spec.external_id, spec.assigned_at, slack_user_id=spec.owner)
        )
        for at in spec.touches:
            add(at, touched(spec.external_id, at))
        if spec.accepted_at is not None:
            add(spec.accepted_at, accepted(spec.external_id, spec.accepted_at))
        if spec.closed_at is not None:
            if spec.status == "rejected":
                add(spec.closed_at, rejected(spec.external_id, spec.closed_at, "no budget"))
            elif spec.status == "lost":
                add(spec.closed_at, lost(spec.external_id, spec.closed_at))
            else:
                add(spec.closed_at, won(spec.external_id, spec.closed_at, 1000))
    return [event for _, _, event in sorted(out, key=lambda item: (item[0], item[1]))]


def store(app: RunningApp, specs: list[Spec]) -> None:
    events = events_of(specs)
    for start in range(0, len(events), 1000):
        response = post_events(app, *events[start : start + 1000])
        assert response.status_code == 200, response.text


# ------------------------------------------------------------------ the answers, worked out


@dataclass(frozen=True)
class Month:
    start: datetime
    end: datetime


def month_of(now: datetime) -> Month:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return Month(start, end)


def duplicates(specs: list[Spec]) -> set[str]:
    by_email: dict[str, list[Spec]] = defaultdict(list)
    for spec in specs:
        by_email[spec.email.lower()].append(spec)
    return {
        spec.external_id
        for group in by_email.values()
        for spec in sorted(group, key=lambda s: (s.created_at, s.external_id))[1:]
    }


def expected_counts(
    specs: list[Spec], *, now: datetime, owners: set[str] | None
) -> dict[str, SalesCounts]:
    month = month_of(now)
    counts: dict[str, SalesCounts] = {}
    for spec in specs:
        if owners is not None and spec.owner not in owners:
            continue
        since = spec.overdue_since
        overdue = since is not None and since <= now and not spec.waits_for_outcome(now)
        in_window = spec.in_work and spec.assigned_at > now - WINDOW
        met = spec.sla_met_at
        breach = (
            spec.worked
            and month.start <= spec.window_end < now
            and (met is None or met > spec.window_end)
            and (spec.closed_at is None or spec.closed_at > spec.window_end)
        )
        if not (spec.in_work or breach):
            continue
        counts[spec.owner] = counts.get(spec.owner, SalesCounts()) + SalesCounts(
            in_window=int(in_window),
            overdue_in_window=int(in_window and overdue),
            overdue=int(overdue),
            breaches=int(breach),
        )
    for owner in owners or ():
        counts.setdefault(owner, SalesCounts())
    return counts


def expected_median(
    specs: list[Spec], *, now: datetime, owners: set[str] | None
) -> timedelta | None:
    month = month_of(now)
    durations = [
        (spec.touches[0] - spec.assigned_at).total_seconds()
        for spec in specs
        if (owners is None or spec.owner in owners)
        and spec.touches
        and month.start <= spec.assigned_at < now
    ]
    return timedelta(seconds=round(statistics.median(durations))) if durations else None


def expected_overdue(
    specs: list[Spec], *, now: datetime, owners: set[str] | None
) -> list[tuple[str, datetime]]:
    found = [
        (spec.overdue_since, spec.external_id)
        for spec in specs
        if (owners is None or spec.owner in owners)
        and spec.overdue_since is not None
        and spec.overdue_since <= now
        and not spec.waits_for_outcome(now)
    ]
    return [(external_id, since) for since, external_id in sorted(found)][:10]


def check(report: SlaReport, specs: list[Spec], *, now: datetime, owners: set[str] | None) -> None:
    month = month_of(now)
    assert (report.period.span.start, report.period.span.end) == (month.start, month.end)

    counts = expected_counts(specs, now=now, owners=owners)
    assert report.sales is not None
    assert dict(report.sales.per_rep) == counts
    order = sorted(counts.items(), key=lambda item: (-item[1].overdue, -item[1].breaches, item[0]))
    assert report.sales.per_rep == order
    assert report.sales.total == sum(counts.values(), SalesCounts())
    shown = [(lead.external_id, lead.overdue_since) for lead in report.sales.overdue]
    assert shown == expected_overdue(specs, now=now, owners=owners)
    assert report.sales.median_first_touch == expected_median(specs, now=now, owners=owners)


def check_marketing(report: SlaReport, specs: list[Spec], *, now: datetime) -> None:
    month = month_of(now)
    dups = duplicates(specs)
    delivered = sum(
        1
        for spec in specs
        if spec.sales_ready
        and spec.external_id not in dups
        and month.start <= spec.created_at < month.end
    )
    reps = len({spec.owner for spec in specs if spec.status in IN_WORK})
    accepted_count = sum(
        1
        for spec in specs
        if spec.accepted_at is not None
        and month.start <= spec.accepted_at < month.end
        and spec.status in ("accepted", "won", "lost")
    )
    rejected_count = sum(
        1
        for spec in specs
        if spec.status == "rejected"
        and spec.closed_at is not None
        and month.start <= spec.closed_at < month.end
    )
    elapsed = Fraction(
        int((now - month.start).total_seconds()), int((month.end - month.start).total_seconds())
    )
    marketing = report.marketing
    assert marketing is not None
    assert marketing.reps == reps
    assert (marketing.pace.delivered, marketing.pace.committed) == (delivered, 100 * reps)
    assert marketing.pace.expected == math.ceil(100 * reps * elapsed)
    assert (marketing.accepted, marketing.rejected) == (accepted_count, rejected_count)


MOMENTS = [
    LAST_EVENT,
    datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
    datetime(2026, 12, 3, 10, 0, tzinfo=UTC),  # the next month: November's breaches drop out
]


@pytest.mark.parametrize("seed", [7, 2026])
def test_the_report_matches_figures_worked_out_lead_by_lead(app: RunningApp, seed: int) -> None:
    specs = generate(seed)
    store(app, specs)
    scopes: list[set[str] | None] = [None, {"U0R1"}, {"U0R2", "U0R3"}, {"U0NOBODY"}]

    with app.db.session() as session:
        for now in MOMENTS:
            for owners in scopes:
                report = build_report(
                    session,
                    owners=sorted(owners) if owners is not None else None,
                    now=now,
                    tz=UTC_ZONE,
                )
                check(report, specs, now=now, owners=owners)
                check_marketing(report, specs, now=now)


def test_the_generated_history_covers_every_case_the_figures_depend_on() -> None:
    """The generator is only a good oracle if it produces the cases worth checking."""
    specs = generate(7)
    now = LAST_EVENT
    month = month_of(now)
    dups = duplicates(specs)

    assert any(spec.overdue_since and spec.overdue_since <= now for spec in specs)
    assert any(spec.in_work and spec.overdue_since is None for spec in specs)  # all touches in
    assert any(spec.earlier_owner for spec in specs)
    assert any(spec.avoid for spec in specs)
    assert dups
    assert any(spec.status == "accepted" for spec in specs)
    assert any(
        spec.closed_at is not None
        and spec.closed_at < spec.window_end
        and month.start <= spec.window_end < now
        for spec in specs
    ), "a lead closed inside a window that ends this month"
    counts = expected_counts(specs, now=now, owners=None)
    assert sum(c.breaches for c in counts.values()) > 0
    assert (
        0
        < sum(c.overdue_in_window for c in counts.values())
        < sum(c.in_window for c in counts.values())
    )


def test_a_scope_with_no_leads_reports_zeros_and_no_compliance(app: RunningApp) -> None:
    store(app, generate(7, count=20))

    with app.db.session() as session:
        report = build_report(session, owners=["U0NOBODY"], now=LAST_EVENT, tz=UTC_ZONE)

    assert report.sales is not None
    assert report.sales.per_rep == [("U0NOBODY", SalesCounts())]
    assert report.sales.total.compliance is None
    assert report.sales.overdue == []
    assert report.sales.median_first_touch is None


def test_expected_by_today_is_rounded_up(app: RunningApp) -> None:
    post_events(
        app,
        created(
            "L-1", datetime(2026, 11, 1, tzinfo=UTC), email="a@example.com", fit=90, interest=90
        ),
        assigned("L-1", datetime(2026, 11, 2, tzinfo=UTC), slack_user_id="U0R1"),
    )
    now = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)  # 14.5 of 30 days: 100 × 29/60 = 48.33…

    with app.db.session() as session:
        report = build_report(session, owners=["U0R1"], now=now, tz=UTC_ZONE, sales=False)

    assert report.sales is None
    assert report.marketing is not None
    assert (report.marketing.pace.delivered, report.marketing.pace.expected) == (1, 49)
    assert report.marketing.pace.behind_by == 48
