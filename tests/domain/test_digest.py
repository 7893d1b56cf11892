"""The digest as data (domain/digest.py): each figure against the previous period with its
arrow and whether the change is for the better, the tables in a fixed order, the actions chosen
by named thresholds, an empty workspace, a first period with nothing to compare with, and the
revenue goal's share for a week or for a month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from domain.digest import (
    REJECTED_MIN_JUDGED,
    Action,
    ActionKind,
    Breakdown,
    Cadence,
    Change,
    Digest,
    Direction,
    PeriodFigures,
    build_digest,
    period_goal,
)
from domain.funnel import Funnel, Period, leads_needed

WEEK_START = datetime(2026, 11, 23, tzinfo=UTC)
WEEK_END = datetime(2026, 11, 30, tzinfo=UTC)
# $520,000 a year at $1,000 and 10%: 520 customers, 5,200 leads → 10 customers, 100 leads and
# $10,000 a week on a 52-week year.
GOAL = leads_needed(revenue=Fraction(520_000), deal_size=Fraction(1_000), rate=Fraction(1, 10))

LAST_WEEK = PeriodFigures(
    workspace_leads=400,
    revenue_won=Fraction(8_000),
    customers_won=8,
    leads_created=90,
    sales_ready_delivered=50,
    marketing_committed=60,
    by_campaign=[Breakdown("Webinar", leads=30, sales_ready=20, accepted=5, rejected=1)],
    compliance=Fraction(9, 10),
    overdue_by_rep={"U1": 2, "U2": 5},
    breaches=3,
    median_first_touch=timedelta(hours=5),
    accepted=20,
    rejected=10,
    duplicates=4,
    incomplete=6,
)

THIS_WEEK = PeriodFigures(
    workspace_leads=510,
    revenue_won=Fraction(12_500),
    customers_won=8,
    leads_created=110,
    sales_ready_delivered=70,
    marketing_committed=60,
    by_campaign=[
        Breakdown("Webinar", leads=40, sales_ready=25, accepted=8, rejected=2, revenue=Fraction(0)),
        Breakdown("Ebook", leads=50, sales_ready=30, accepted=2, rejected=6, won=1),
        Breakdown("Trade show", leads=20, sales_ready=15, won=2, revenue=Fraction(12_500)),
    ],
    compliance=Fraction(85, 100),
    overdue_by_rep={"U1": 4, "U2": 1, "U3": 0},
    breaches=1,
    median_first_touch=timedelta(hours=7),
    accepted=25,
    rejected=10,
    rejection_reasons={"no budget": 3, "wrong persona": 6, "student": 1},
    duplicates=2,
    incomplete=9,
)


def digest(
    this: PeriodFigures = THIS_WEEK,
    last: PeriodFigures | None = LAST_WEEK,
    goal: Funnel | None = GOAL,
) -> Digest:
    return build_digest(
        this_period=this, last_period=last, goal=goal, start=WEEK_START, end=WEEK_END
    )


def test_each_figure_carries_its_change_against_last_week() -> None:
    built = digest()

    assert (built.revenue_won.value, built.revenue_won.previous) == (
        Fraction(12_500),
        Fraction(8_000),
    )
    assert built.revenue_won.delta == 4_500
    assert built.revenue_won.direction is Direction.UP
    assert built.customers_won.direction is Direction.SAME
    assert built.customers_won.delta == 0
    assert built.leads_created.delta == 20
    assert built.compliance.direction is Direction.DOWN
    assert built.compliance.delta == Fraction(-5, 100)
    assert built.median_first_touch.delta == timedelta(hours=2)
    assert built.overdue.value == 5 and built.overdue.previous == 7


def test_more_of_a_bad_thing_is_a_change_for_the_worse() -> None:
    built = digest()

    assert built.revenue_won.good is True  # more revenue: better
    assert built.compliance.good is False  # lower compliance: worse
    assert built.median_first_touch.good is False  # slower first touch: worse
    assert built.overdue.good is True  # fewer overdue: better
    assert built.breaches.good is True
    assert built.duplicates.good is True
    assert built.incomplete.good is False  # more incomplete leads: worse
    assert built.customers_won.good is None  # unchanged


def test_a_change_knows_good_and_bad_in_both_directions() -> None:
    assert Change(3, 5, up_is_good=False).good is True
    assert Change(5, 3, up_is_good=False).good is False
    assert Change(5, 3).good is True
    assert Change(None, 3).direction is None


def test_the_first_week_has_no_change_arrows() -> None:
    built = digest(last=None)

    assert built.first_period
    for change in (
        built.revenue_won,
        built.leads_created,
        built.compliance,
        built.overdue,
        built.median_first_touch,
        built.by_campaign[0].sales_ready,
        built.overdue_by_rep[0].overdue,
    ):
        assert change.previous is None
        assert change.delta is None
        assert change.direction is None
        assert change.good is None


def test_overdue_reps_are_listed_most_overdue_first_without_those_with_none() -> None:
    built = digest()

    assert [(rep.rep_id, rep.overdue.value) for rep in built.overdue_by_rep] == [
        ("U1", 4),
        ("U2", 1),
    ]
    assert built.overdue_by_rep[0].overdue.direction is Direction.UP
    assert built.overdue_by_rep[0].overdue.good is False


def test_a_rep_new_to_the_overdue_list_compares_with_zero() -> None:
    built = digest(this=PeriodFigures(workspace_leads=1, overdue_by_rep={"U9": 2}))

    assert built.overdue_by_rep[0].overdue.previous == 0


def test_campaigns_are_ordered_by_revenue_then_sales_ready_and_compared_by_name() -> None:
    built = digest()

    assert [row.name for row in built.by_campaign] == ["Trade show", "Ebook", "Webinar"]
    webinar = built.by_campaign[2]
    assert webinar.sales_ready.delta == 5
    ebook = built.by_campaign[1]
    assert ebook.leads.previous == 0  # not run last week


def test_rejection_reasons_are_ranked_most_frequent_first() -> None:
    reasons = [(item.reason, item.leads) for item in digest().rejection_reasons]

    assert reasons == [("wrong persona", 6), ("no budget", 3), ("student", 1)]


def test_the_goal_is_the_funnels_need_for_one_week() -> None:
    goal = digest().goal

    assert goal is not None
    assert (goal.revenue, goal.customers, goal.leads) == (Fraction(10_000), 10, 100)


def test_a_monthly_goal_is_spread_over_the_weeks_of_a_month() -> None:
    monthly = leads_needed(
        revenue=Fraction(52_000),
        deal_size=Fraction(1_000),
        rate=Fraction(1, 2),
        period=Period.MONTH,
    )
    goal = digest(goal=monthly).goal

    assert goal is not None
    # 52 customers and 104 leads a month over 52/12 weeks: 12 customers, 24 leads, $12,000
    assert (goal.revenue, goal.customers, goal.leads) == (Fraction(12_000), 12, 24)


def test_a_good_week_asks_only_for_what_is_wrong() -> None:
    built = digest()

    assert built.actions == [
        Action(ActionKind.REP_OVERDUE, 4, subject="U1"),
        Action(ActionKind.REP_OVERDUE, 1, subject="U2"),
        Action(ActionKind.CAMPAIGN_REJECTED, 6, 8, "Ebook"),
    ]


def test_a_bad_week_asks_for_everything_in_a_fixed_order() -> None:
    week = PeriodFigures(
        workspace_leads=100,
        leads_created=40,
        sales_ready_delivered=20,
        marketing_committed=60,
        by_campaign=[
            Breakdown("A", rejected=5, accepted=5),
            Breakdown("B", rejected=9, accepted=1),
            Breakdown("C", rejected=4, accepted=0),  # 4 judged: too few to judge the campaign
            Breakdown("D", rejected=4, accepted=6),  # 40% rejected: below the threshold
            Breakdown("E", rejected=6, accepted=4),
            Breakdown("F", rejected=7, accepted=3),
        ],
        compliance=Fraction(799, 1000),
        overdue_by_rep={"U1": 3, "U2": 9, "U3": 3, "U4": 1},
        incomplete=8,
    )

    assert digest(this=week).actions == [
        Action(ActionKind.MARKETING_BEHIND, 20, 60),
        Action(ActionKind.LEADS_BELOW_FUNNEL, 40, 100),
        Action(ActionKind.REP_OVERDUE, 9, subject="U2"),
        Action(ActionKind.REP_OVERDUE, 3, subject="U1"),
        Action(ActionKind.REP_OVERDUE, 3, subject="U3"),
        Action(ActionKind.LOW_COMPLIANCE, 79, 80),
        Action(ActionKind.CAMPAIGN_REJECTED, 9, 10, "B"),
        Action(ActionKind.CAMPAIGN_REJECTED, 7, 10, "F"),
        Action(ActionKind.CAMPAIGN_REJECTED, 6, 10, "E"),
        Action(ActionKind.INCOMPLETE_LEADS, 8, 40),
    ]


@pytest.mark.parametrize(
    ("rejected", "accepted", "flagged"),
    [(5, 5, True), (3, 2, True), (2, 3, False), (REJECTED_MIN_JUDGED - 1, 0, False)],
)
def test_a_campaign_is_flagged_from_half_rejected_with_enough_judged(
    rejected: int, accepted: int, flagged: bool
) -> None:
    week = PeriodFigures(
        workspace_leads=5, by_campaign=[Breakdown("X", rejected=rejected, accepted=accepted)]
    )

    kinds = [action.kind for action in digest(this=week, goal=None).actions]

    assert (ActionKind.CAMPAIGN_REJECTED in kinds) is flagged


def test_no_goal_means_no_funnel_action_and_no_weekly_need() -> None:
    built = digest(this=PeriodFigures(workspace_leads=3, leads_created=1), goal=None)

    assert built.goal is None
    assert built.actions == []


def test_an_empty_workspace_is_flagged_and_asks_for_nothing() -> None:
    built = digest(this=PeriodFigures(workspace_leads=0, marketing_committed=100), last=None)

    assert built.empty
    assert built.actions == []


def test_a_quiet_week_in_a_workspace_with_leads_is_not_empty() -> None:
    assert not digest(this=PeriodFigures(workspace_leads=12)).empty


def test_a_period_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="ends after it starts"):
        build_digest(
            this_period=THIS_WEEK,
            last_period=None,
            goal=None,
            start=WEEK_END,
            end=WEEK_END,
            cadence=Cadence.MONTH,
        )


# ---------------------------------------------------------------------------- the month

MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)
MONTH_END = datetime(2026, 12, 1, tzinfo=UTC)
# $1,200,000 a year at $1,000 and 4%: 1,200 customers, 30,000 leads a year → $100,000,
# 100 customers and 2,500 leads a month (12 months a year).
YEARLY = leads_needed(revenue=Fraction(1_200_000), deal_size=Fraction(1_000), rate=Fraction(4, 100))


def month(
    this: PeriodFigures, last: PeriodFigures | None = None, goal: Funnel | None = YEARLY
) -> Digest:
    return build_digest(
        this_period=this,
        last_period=last,
        goal=goal,
        start=MONTH_START,
        end=MONTH_END,
        cadence=Cadence.MONTH,
    )


def test_a_digest_is_weekly_unless_told_otherwise() -> None:
    built = digest()

    assert built.cadence is Cadence.WEEK
    assert (built.start, built.end) == (WEEK_START, WEEK_END)


def test_a_monthly_report_keeps_its_month_and_cadence() -> None:
    built = month(THIS_WEEK, LAST_WEEK)

    assert built.cadence is Cadence.MONTH
    assert (built.start, built.end) == (MONTH_START, MONTH_END)
    assert not built.first_period
    assert built.leads_created.delta == 20  # 110 this month against 90 the month before


def test_the_first_month_has_no_change_arrows() -> None:
    built = month(THIS_WEEK, None)

    assert built.first_period
    assert built.revenue_won.direction is None and built.overdue.previous is None


def test_the_monthly_goal_is_a_twelfth_of_a_yearly_target() -> None:
    goal = month(THIS_WEEK).goal

    assert goal is not None
    assert (goal.revenue, goal.customers, goal.leads) == (Fraction(100_000), 100, 2_500)


def test_the_monthly_goal_from_a_quarterly_target_is_rounded_up() -> None:
    quarterly = leads_needed(
        revenue=Fraction(100_000),
        deal_size=Fraction(1_000),
        rate=Fraction(4, 100),
        period=Period.QUARTER,
    )

    goal = period_goal(quarterly, Cadence.MONTH)

    # 100 customers and 2,500 leads a quarter over 3 months: 33.3 → 34 customers, 833.3 → 834
    # leads; revenue is divided exactly.
    assert (goal.revenue, goal.customers, goal.leads) == (Fraction(100_000, 3), 34, 834)


def test_a_monthly_target_is_the_monthly_goal_itself() -> None:
    monthly = leads_needed(
        revenue=Fraction(52_000),
        deal_size=Fraction(1_000),
        rate=Fraction(1, 2),
        period=Period.MONTH,
    )

    goal = period_goal(monthly, Cadence.MONTH)

    assert (goal.revenue, goal.customers, goal.leads) == (Fraction(52_000), 52, 104)


def test_leads_short_of_the_month_but_not_of_the_week_ask_only_in_the_month() -> None:
    period = PeriodFigures(workspace_leads=3_000, leads_created=2_000)

    # A month needs 2,500 leads; a week 30,000 / 52 = 576.9 → 577, which 2,000 exceeds.
    assert month(period).actions == [Action(ActionKind.LEADS_BELOW_FUNNEL, 2_000, 2_500)]
    weekly = build_digest(
        this_period=period, last_period=None, goal=YEARLY, start=WEEK_START, end=WEEK_END
    )
    assert weekly.goal is not None and weekly.goal.leads == 577
    assert weekly.actions == []
