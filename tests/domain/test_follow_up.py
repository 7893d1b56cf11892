"""Who is nudged and escalated, and when (DESIGN §2, §3): cadence boundaries, working hours in
each person's own zone, the 24 h rule, snoozes, the morning heads-up, batching and order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from domain.follow_up import (
    RENUDGE_AFTER,
    SHOWN_IN_FULL,
    FollowUpLead,
    Snooze,
    batch_key,
    batch_recipient,
    in_working_hours,
    next_working_morning,
    plan_escalations,
    plan_nudges,
)

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")  # +05:30 all year
AUCKLAND = ZoneInfo("Pacific/Auckland")
CAIRO = ZoneInfo("Africa/Cairo")
SECOND = timedelta(seconds=1)
MORNING = timedelta(minutes=15)  # the run interval: the first run after 09:00 comes within it
E = timedelta(hours=48)  # escalate after E hours, the SLA's default

# Tuesday 3 November 2026, 08:00 UTC (after both summer times ended): 00:00 in Los Angeles
# (UTC-8), 09:00 in Berlin (UTC+1), 13:30 in Kolkata (UTC+5:30), 21:00 in Auckland (UTC+13).
TUESDAY_0800 = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
# The same day at 20:30 UTC: 12:30 in Los Angeles, 21:30 in Berlin, 02:00 Wednesday in
# Kolkata, 09:30 Wednesday in Auckland.
TUESDAY_2030 = datetime(2026, 11, 3, 20, 30, tzinfo=UTC)


def lead(
    external_id: str = "L-1",
    *,
    owner: str = "U0ANA",
    due: datetime = TUESDAY_0800 - timedelta(hours=1),
    last_nudged_at: datetime | None = None,
    snoozed_until: datetime | None = None,
    snoozes: int = 0,
    escalated_since: datetime | None = None,
) -> FollowUpLead:
    return FollowUpLead(
        external_id=external_id,
        owner_id=owner,
        name=None,
        company=f"Co {external_id}",
        grade="sales-ready",
        touches=0,
        next_touch_due=due,
        last_nudged_at=last_nudged_at,
        snoozed_until=snoozed_until,
        snoozes=snoozes,
        escalated_since=escalated_since,
    )


def nudged(
    leads: list[FollowUpLead],
    *,
    now: datetime,
    zones: dict[str, tzinfo],
    morning: timedelta = MORNING,
) -> dict[str, list[str]]:
    """Who gets a nudge, and which overdue leads it lists, in order."""
    return {
        nudge.rep_id: [lead.external_id for lead in nudge.overdue]
        for nudge in plan_nudges(leads, now=now, zones=zones, morning=morning)
    }


def at(local: datetime) -> datetime:
    return local.astimezone(UTC)


# ------------------------------------------------------------------ cadence boundaries


def test_a_lead_due_at_this_very_moment_is_overdue_and_one_due_a_second_later_is_not() -> None:
    now = TUESDAY_0800 + timedelta(hours=2)  # 11:00 in Berlin: not the morning run
    leads = [lead("L-NOW", due=now), lead("L-LATER", due=now + SECOND)]

    assert nudged(leads, now=now, zones={"U0ANA": BERLIN}) == {"U0ANA": ["L-NOW"]}


def test_a_rep_with_nothing_overdue_outside_the_morning_run_gets_nothing() -> None:
    now = TUESDAY_0800 + timedelta(hours=2)
    leads = [lead("L-1", due=now + timedelta(hours=1))]  # due later today, not overdue yet

    assert plan_nudges(leads, now=now, zones={"U0ANA": BERLIN}, morning=MORNING) == []


# ------------------------------------------------------------------ working hours, by zone


def test_one_moment_reaches_only_the_reps_whose_own_clock_says_working_hours() -> None:
    zones: dict[str, tzinfo] = {
        "U0LAX": LOS_ANGELES,
        "U0BER": BERLIN,
        "U0KOL": KOLKATA,
        "U0AKL": AUCKLAND,
    }
    leads = [
        lead(f"L-{rep}", owner=rep, due=TUESDAY_0800 - timedelta(days=1))
        for rep in ("U0LAX", "U0BER", "U0KOL", "U0AKL")
    ]

    # 08:00 UTC: Berlin 09:00 and Kolkata 13:30 are at work; LA 00:00 and Auckland 21:00 not.
    assert set(nudged(leads, now=TUESDAY_0800, zones=zones)) == {"U0BER", "U0KOL"}
    # 20:30 UTC: LA 12:30 and Auckland 09:30 Wednesday; Berlin 21:30, Kolkata 02:00 not.
    assert set(nudged(leads, now=TUESDAY_2030, zones=zones)) == {"U0LAX", "U0AKL"}


def test_a_rep_whose_zone_is_unknown_is_left_out() -> None:
    leads = [lead("L-1", owner="U0ANA"), lead("L-2", owner="U0BEN")]

    assert set(nudged(leads, now=TUESDAY_0800, zones={"U0ANA": BERLIN})) == {"U0ANA"}


@pytest.mark.parametrize(
    ("local", "at_work"),
    [
        ((8, 59, 59), False),
        ((9, 0, 0), True),
        ((17, 59, 59), True),
        ((18, 0, 0), False),
    ],
)
@pytest.mark.parametrize("zone", [LOS_ANGELES, BERLIN, KOLKATA, AUCKLAND])
def test_working_hours_run_from_0900_to_1800_on_the_persons_own_clock(
    zone: ZoneInfo, local: tuple[int, int, int], at_work: bool
) -> None:
    moment = at(datetime(2026, 11, 4, *local, tzinfo=zone))  # a Wednesday everywhere

    assert in_working_hours(moment, zone) is at_work
    leads = [lead("L-1", due=moment - timedelta(days=1))]
    assert bool(nudged(leads, now=moment, zones={"U0ANA": zone})) is at_work


def test_kolkata_half_hour_edges_in_utc() -> None:
    # 09:00 IST is 03:30 UTC and 18:00 IST is 12:30 UTC (UTC+5:30).
    wednesday = datetime(2026, 11, 4, tzinfo=UTC)

    assert not in_working_hours(wednesday + timedelta(hours=3, minutes=29), KOLKATA)
    assert in_working_hours(wednesday + timedelta(hours=3, minutes=30), KOLKATA)
    assert in_working_hours(wednesday + timedelta(hours=12, minutes=29), KOLKATA)
    assert not in_working_hours(wednesday + timedelta(hours=12, minutes=30), KOLKATA)


def test_nobody_is_nudged_at_the_weekend_on_their_own_calendar() -> None:
    saturday_10 = at(datetime(2026, 11, 7, 10, 0, tzinfo=BERLIN))
    sunday_noon = at(datetime(2026, 11, 8, 12, 0, tzinfo=BERLIN))
    leads = [lead("L-1", due=saturday_10 - timedelta(days=1))]

    assert nudged(leads, now=saturday_10, zones={"U0ANA": BERLIN}) == {}
    assert nudged(leads, now=sunday_noon, zones={"U0ANA": BERLIN}) == {}


def test_sunday_in_utc_is_already_monday_morning_in_auckland() -> None:
    # Sunday 8 November 2026 20:30 UTC = Monday 09:30 NZDT (UTC+13).
    sunday_utc = datetime(2026, 11, 8, 20, 30, tzinfo=UTC)
    # Friday 6 November 17:00 in Los Angeles = Saturday 01:00 UTC.
    friday_la = datetime(2026, 11, 7, 1, 0, tzinfo=UTC)

    assert in_working_hours(sunday_utc, AUCKLAND)
    assert not in_working_hours(sunday_utc, BERLIN)  # Sunday 21:30
    assert in_working_hours(friday_la, LOS_ANGELES)


def test_working_hours_follow_a_change_of_clocks_on_a_weekday() -> None:
    # Cairo moves its clocks from UTC+2 to UTC+3 at 00:00 on Friday 24 April 2026, so 06:30 UTC
    # is 08:30 (not at work) on Thursday and 09:30 (at work) on Friday.
    assert not in_working_hours(datetime(2026, 4, 23, 6, 30, tzinfo=UTC), CAIRO)
    assert in_working_hours(datetime(2026, 4, 24, 6, 30, tzinfo=UTC), CAIRO)
    # Los Angeles: 16:30 UTC is 08:30 PST on Friday 6 March and 09:30 PDT on Monday 9 March.
    assert not in_working_hours(datetime(2026, 3, 6, 16, 30, tzinfo=UTC), LOS_ANGELES)
    assert in_working_hours(datetime(2026, 3, 9, 16, 30, tzinfo=UTC), LOS_ANGELES)


def test_the_morning_heads_up_comes_at_0900_local_on_the_day_the_clocks_changed() -> None:
    # Friday 24 April 2026 in Cairo (UTC+3 since midnight): 09:00 local is 06:00 UTC.
    opening = datetime(2026, 4, 24, 6, 0, tzinfo=UTC)
    later_today = lead("L-1", due=opening + timedelta(hours=5))

    [nudge] = plan_nudges([later_today], now=opening, zones={"U0ANA": CAIRO}, morning=MORNING)
    assert nudge.due_today == [later_today]


# ------------------------------------------------------------------ snoozes


def test_snooze_choices_and_tomorrow_skips_the_weekend_across_a_change_of_clocks() -> None:
    friday_3pm = at(datetime(2026, 3, 6, 15, 0, tzinfo=LOS_ANGELES))  # 23:00 UTC, PST

    assert Snooze.HOUR.until(friday_3pm, LOS_ANGELES) == friday_3pm + timedelta(hours=1)
    assert Snooze.WEEK.until(friday_3pm, LOS_ANGELES) == friday_3pm + timedelta(days=7)
    # Monday 9 March 09:00 PDT (UTC-7, summer time began on Sunday) = 16:00 UTC, not 17:00.
    assert Snooze.TOMORROW.until(friday_3pm, LOS_ANGELES) == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    assert next_working_morning(friday_3pm, LOS_ANGELES) == datetime(2026, 3, 9, 16, tzinfo=UTC)


def test_a_snoozed_lead_waits_until_its_snooze_ends() -> None:
    now = TUESDAY_0800 + timedelta(hours=2)
    leads = [
        lead("L-SNOOZED", snoozed_until=now + SECOND),
        lead("L-WOKE", snoozed_until=now),  # the snooze ended at this very moment
    ]

    assert nudged(leads, now=now, zones={"U0ANA": BERLIN}) == {"U0ANA": ["L-WOKE"]}


def test_a_snooze_that_ended_since_the_last_nudge_brings_the_lead_back_within_24_hours() -> None:
    now = TUESDAY_0800 + timedelta(hours=3)  # 12:00 in Berlin
    nudged_at = now - timedelta(hours=2)
    leads = [
        # Nudged at 10:00, snoozed for an hour at 10:05: back at 11:05, not tomorrow.
        lead(
            "L-HOUR",
            last_nudged_at=nudged_at,
            snoozed_until=nudged_at + timedelta(hours=1, minutes=5),
        ),
        # Nudged at 10:00 and left alone: the 24 h rule holds.
        lead("L-QUIET", last_nudged_at=nudged_at),
        # A snooze that ended before the last nudge asks for nothing more.
        lead("L-OLD", last_nudged_at=nudged_at, snoozed_until=nudged_at - timedelta(hours=1)),
    ]

    assert nudged(leads, now=now, zones={"U0ANA": BERLIN}) == {"U0ANA": ["L-HOUR"]}


# ------------------------------------------------------------------ the 24 h rule


def test_the_same_lead_is_nudged_again_only_24_hours_after_the_last_nudge() -> None:
    now = TUESDAY_0800 + timedelta(hours=6)  # 15:00 in Berlin
    leads = [
        lead("L-RECENT", last_nudged_at=now - timedelta(hours=23, minutes=59)),
        lead("L-DAY", last_nudged_at=now - RENUDGE_AFTER),
    ]

    assert nudged(leads, now=now, zones={"U0ANA": BERLIN}) == {"U0ANA": ["L-DAY"]}


def test_a_rep_whose_leads_were_all_nudged_lately_gets_nothing() -> None:
    now = TUESDAY_0800 + timedelta(hours=6)
    leads = [lead("L-1", last_nudged_at=now - timedelta(hours=1))]

    assert plan_nudges(leads, now=now, zones={"U0ANA": BERLIN}, morning=MORNING) == []


# ------------------------------------------------------------------ the morning run


def test_the_first_run_after_0900_adds_the_touches_due_later_today() -> None:
    # 08:00 UTC is 09:00 in Berlin. Due later today: 14:00 and 20:00 Berlin; tomorrow: no.
    overnight = lead("L-NIGHT", due=at(datetime(2026, 11, 3, 3, 0, tzinfo=BERLIN)))
    afternoon = lead("L-PM", due=at(datetime(2026, 11, 3, 14, 0, tzinfo=BERLIN)))
    evening = lead("L-EVE", due=at(datetime(2026, 11, 3, 20, 0, tzinfo=BERLIN)))
    tomorrow = lead("L-WED", due=at(datetime(2026, 11, 4, 10, 0, tzinfo=BERLIN)))
    leads = [tomorrow, evening, afternoon, overnight]

    for moment in (TUESDAY_0800, TUESDAY_0800 + MORNING - SECOND):
        [nudge] = plan_nudges(leads, now=moment, zones={"U0ANA": BERLIN}, morning=MORNING)
        assert [lead.external_id for lead in nudge.overdue] == ["L-NIGHT"]
        assert [lead.external_id for lead in nudge.due_today] == ["L-PM", "L-EVE"]

    # 09:15 is the second run: the overdue lead only (had it not been nudged at 09:00).
    [later] = plan_nudges(
        leads, now=TUESDAY_0800 + MORNING, zones={"U0ANA": BERLIN}, morning=MORNING
    )
    assert [lead.external_id for lead in later.overdue] == ["L-NIGHT"]
    assert later.due_today == []


def test_the_morning_message_with_nothing_overdue_is_the_heads_up_alone() -> None:
    afternoon = lead("L-PM", due=TUESDAY_0800 + timedelta(hours=5))

    [nudge] = plan_nudges([afternoon], now=TUESDAY_0800, zones={"U0ANA": BERLIN}, morning=MORNING)

    assert nudge.overdue == [] and nudge.due_today == [afternoon]


def test_the_heads_up_follows_each_persons_own_0900() -> None:
    # 03:30 UTC is 09:00 in Kolkata and 04:30 in Berlin: the Kolkata rep alone hears.
    moment = datetime(2026, 11, 3, 3, 30, tzinfo=UTC)
    leads = [
        lead("L-KOL", owner="U0KOL", due=moment + timedelta(hours=3)),
        lead("L-BER", owner="U0BER", due=moment + timedelta(hours=8)),
    ]

    nudges = plan_nudges(
        leads, now=moment, zones={"U0KOL": KOLKATA, "U0BER": BERLIN}, morning=MORNING
    )

    assert [(n.rep_id, [lead.external_id for lead in n.due_today]) for n in nudges] == [
        ("U0KOL", ["L-KOL"])
    ]


# ------------------------------------------------------------------ batching and order


def test_one_nudge_per_rep_listing_all_their_leads_most_overdue_first() -> None:
    now = TUESDAY_0800 + timedelta(hours=2)
    leads = [
        lead("L-B", owner="U0ANA", due=now - timedelta(hours=3)),
        lead("L-A", owner="U0ANA", due=now - timedelta(hours=30)),
        lead("L-C", owner="U0ANA", due=now - timedelta(hours=3)),  # a tie: by lead id
        lead("L-X", owner="U0BEN", due=now - timedelta(hours=1)),
    ]

    plans = plan_nudges(leads, now=now, zones={"U0ANA": BERLIN, "U0BEN": BERLIN}, morning=MORNING)

    assert [(n.rep_id, [lead.external_id for lead in n.overdue]) for n in plans] == [
        ("U0ANA", ["L-A", "L-B", "L-C"]),
        ("U0BEN", ["L-X"]),
    ]


def test_ten_leads_in_full_then_how_many_more() -> None:
    now = TUESDAY_0800 + timedelta(hours=2)
    # 13 leads, L-00 the most overdue (13 hours), L-12 the least (1 hour).
    leads = [lead(f"L-{n:02}", due=now - timedelta(hours=13 - n)) for n in range(13)]

    [nudge] = plan_nudges(leads, now=now, zones={"U0ANA": BERLIN}, morning=MORNING)

    assert SHOWN_IN_FULL == 10
    assert [lead.external_id for lead in nudge.shown] == [f"L-{n:02}" for n in range(10)]
    assert nudge.more == 3  # 13 - 10
    [exactly_ten] = plan_nudges(leads[:10], now=now, zones={"U0ANA": BERLIN}, morning=MORNING)
    assert exactly_ten.more == 0


# ------------------------------------------------------------------ escalations


def escalated(
    leads: list[FollowUpLead],
    *,
    now: datetime,
    managers: dict[str, str | None],
    admins: tuple[str, ...] = (),
    zones: dict[str, tzinfo] | None = None,
) -> list[tuple[str, bool, list[tuple[str, list[str]]]]]:
    """Each message: recipient, whether as an admin, and per rep the leads in order."""
    everyone: dict[str, tzinfo] = {
        person: BERLIN for person in [*filter(None, managers.values()), *admins]
    }
    plans = plan_escalations(
        leads,
        now=now,
        escalate_after=E,
        managers=managers,
        admins=admins,
        zones=zones if zones is not None else everyone,
    )
    return [
        (
            plan.manager_id,
            plan.to_admin,
            [(rep.rep_id, [lead.external_id for lead in rep.leads]) for rep in plan.reps],
        )
        for plan in plans
    ]


NOON = at(datetime(2026, 11, 4, 12, 0, tzinfo=BERLIN))  # a Wednesday, in working hours


def test_a_lead_overdue_exactly_e_hours_waits_one_second_more_escalates() -> None:
    leads = [lead("L-E", due=NOON - E), lead("L-E+1S", due=NOON - E - SECOND)]

    assert escalated(leads, now=NOON, managers={"U0ANA": "U0MGR"}) == [
        ("U0MGR", False, [("U0ANA", ["L-E+1S"])])
    ]


def test_a_breach_is_escalated_once_and_a_touch_starts_a_new_one() -> None:
    first_breach = NOON - timedelta(days=5)
    # Escalated for the breach it is still in: not again.
    same = lead("L-1", due=first_breach, escalated_since=first_breach)
    # Touched since (its next touch is due later), and that touch is now overdue past E too.
    new = lead("L-2", due=NOON - E - timedelta(hours=1), escalated_since=first_breach)

    assert escalated([same, new], now=NOON, managers={"U0ANA": "U0MGR"}) == [
        ("U0MGR", False, [("U0ANA", ["L-2"])])
    ]


def test_the_third_snooze_escalates_before_e_hours() -> None:
    leads = [
        lead("L-TWICE", due=NOON - timedelta(hours=1), snoozes=2),
        lead("L-THRICE", due=NOON - timedelta(hours=1), snoozes=3),
        lead("L-NOT-DUE", due=NOON + timedelta(hours=1), snoozes=3),  # not overdue: no
    ]

    assert escalated(leads, now=NOON, managers={"U0ANA": "U0MGR"}) == [
        ("U0MGR", False, [("U0ANA", ["L-THRICE"])])
    ]


def test_a_rep_without_a_manager_is_escalated_to_the_first_admin() -> None:
    leads = [lead("L-1", due=NOON - E - SECOND)]

    assert escalated(leads, now=NOON, managers={"U0ANA": None}, admins=("U0AD1", "U0AD2")) == [
        ("U0AD1", True, [("U0ANA", ["L-1"])])
    ]
    # No manager and no admin: nobody to tell.
    assert escalated(leads, now=NOON, managers={"U0ANA": None}) == []


def test_an_admin_who_also_manages_reps_gets_one_message_with_both() -> None:
    leads = [
        lead("L-1", owner="U0ANA", due=NOON - E - SECOND),  # U0ANA reports to U0AD1
        lead("L-2", owner="U0BEN", due=NOON - E - 2 * SECOND),  # U0BEN has no manager
    ]

    [plan] = plan_escalations(
        leads,
        now=NOON,
        escalate_after=E,
        managers={"U0ANA": "U0AD1", "U0BEN": None},
        admins=("U0AD1",),
        zones={"U0AD1": BERLIN},
    )

    assert plan.manager_id == "U0AD1" and not plan.to_admin
    assert [(rep.rep_id, rep.unmanaged) for rep in plan.reps] == [
        ("U0BEN", True),  # longest overdue first when both have one lead
        ("U0ANA", False),
    ]


def test_an_admin_without_a_manager_is_escalated_to_the_next_admin_not_to_themselves() -> None:
    leads = [lead("L-1", owner="U0AD1", due=NOON - E - SECOND)]

    assert escalated(leads, now=NOON, managers={"U0AD1": None}, admins=("U0AD1", "U0AD2")) == [
        ("U0AD2", True, [("U0AD1", ["L-1"])])
    ]
    assert escalated(leads, now=NOON, managers={"U0AD1": None}, admins=("U0AD1",)) == []


def test_a_rep_who_is_their_own_manager_is_escalated_to_nobody() -> None:
    leads = [lead("L-1", due=NOON - E - SECOND)]

    assert escalated(leads, now=NOON, managers={"U0ANA": "U0ANA"}, admins=("U0AD1",)) == []


def test_a_manager_outside_their_working_hours_hears_later() -> None:
    leads = [lead("L-1", due=NOON - E - SECOND)]
    # NOON is 03:00 in Los Angeles.
    zones: dict[str, tzinfo] = {"U0MGR": LOS_ANGELES}

    assert escalated(leads, now=NOON, managers={"U0ANA": "U0MGR"}, zones=zones) == []
    assert escalated(leads, now=NOON, managers={"U0ANA": "U0MGR"}, zones={}) == []


def test_one_message_per_manager_grouped_by_rep_the_most_overdue_leads_first() -> None:
    def overdue(hours: int) -> datetime:
        return NOON - E - timedelta(hours=hours)

    leads = [
        lead("L-A1", owner="U0ANA", due=overdue(1)),
        lead("L-B1", owner="U0BEN", due=overdue(5)),
        lead("L-B2", owner="U0BEN", due=overdue(9)),
        lead("L-C1", owner="U0CAT", due=overdue(30)),
        lead("L-D1", owner="U0DAN", due=overdue(2)),
    ]
    managers: dict[str, str | None] = {
        "U0ANA": "U0MGR",
        "U0BEN": "U0MGR",
        "U0CAT": "U0MGR",
        "U0DAN": "U0BOSS",
    }

    # U0MGR's reps: Ben has two leads (first, longest overdue first), then Cat (one lead, 30 h
    # past E) before Ana (one lead, 1 h past E); Dan goes to his own manager.
    assert escalated(leads, now=NOON, managers=managers) == [
        ("U0BOSS", False, [("U0DAN", ["L-D1"])]),
        ("U0MGR", False, [("U0BEN", ["L-B2", "L-B1"]), ("U0CAT", ["L-C1"]), ("U0ANA", ["L-A1"])]),
    ]


# ------------------------------------------------------------------ posting keys


def test_the_same_message_has_the_same_key_and_another_message_another() -> None:
    one, two = lead("L-1"), lead("L-2")
    day = date(2026, 11, 3)

    key = batch_key("nudge", "U0ANA", [one, two], day)

    assert key == batch_key("nudge", "U0ANA", [two, one], day)
    assert key.startswith("nudge:U0ANA:2026-11-03:")
    assert batch_recipient(key) == "U0ANA"
    assert key != batch_key("nudge", "U0ANA", [one], day)
    assert key != batch_key("nudge", "U0ANA", [one, two], day + timedelta(days=1))
    assert key != batch_key("nudge", "U0BEN", [one, two], day)
    # The same lead in a new breach (touched since) is a new message.
    moved = lead("L-1", due=one.next_touch_due + timedelta(days=2))
    assert key != batch_key("nudge", "U0ANA", [moved, two], day)
