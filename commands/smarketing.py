"""`/smarketing`: the workspace's targets, SLAs, digest and reporting lines (admins); settings."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.rights import RightsUnknown, is_admin
from bot.services import Services
from bot.views.messages import Message, help_message, problem
from bot.views.targets import (
    MANAGER_EXAMPLE,
    Change,
    Team,
    WorkspaceSettings,
    manager_set_message,
    marketing_sla_set_message,
    one_line,
    sales_sla_set_message,
    settings_message,
    target_set_message,
    unchanged_message,
)
from commands import digest
from commands.parsing import ParseError, parse_amount, parse_period, quoted
from domain.cadence import SalesSla
from domain.funnel import Period
from domain.sla import MarketingSla
from storage import events, follow_up, members, workspace

logger = logging.getLogger("smarketing.commands.smarketing")

COMMAND = "/smarketing"
EXAMPLE = "/smarketing target 1.2m per year"
TARGET_EXAMPLE = EXAMPLE
LEADS_EXAMPLE = "/smarketing sla leads 150 per month per rep"
TOUCHES_EXAMPLE = (
    "/smarketing sla touches 6 in 14 days first-touch 24 hours escalate after 48 hours"
)
HELP_LINES = [
    "• `/smarketing target REVENUE [per year|quarter|month]` — the revenue goal (admins)",
    "• `/smarketing settings` — the target, both SLAs, managers, grading and recent changes "
    "(anyone)",
    "• `/smarketing sla leads N per month [per rep]` — marketing's commitment (admins)",
    "• `/smarketing sla touches K in D days [first-touch H hours] [escalate after E hours]` — "
    "sales' commitment; the parts left out keep their values (admins)",
    "• `/smarketing digest #channel [DAY HH:MM]` — where and when the weekly digest goes "
    "(default Monday 09:00); `/smarketing digest now` posts it now (admins)",
    "• `/smarketing manager @rep @manager` — who hears about the rep's missed follow-ups; "
    "`/smarketing manager @rep none` clears it (admins)",
]
HELP_WORDS = {"help", "?", "-h", "--help"}
CHANGES_SHOWN = 5
MANAGERS_SHOWN = 10
REPS_SHOWN = 10  # per manager
UNMANAGED_SHOWN = 20
NO_ONE = {"none", "nobody", "no-one", "noone", "-"}


@dataclass(frozen=True)
class Reply:
    """The reply, and whether the leads must then follow a new sales SLA."""

    message: Message
    rederive: bool = False
    then: Callable[[digest.Respond], Coroutine[Any, Any, None]] | None = None  # after the reply


def _problem(error: ParseError, example: str) -> Message:
    reason = str(error)
    return problem(reason[:1].upper() + reason[1:], example=example)


async def refusal(services: Services, user_id: str, *, what: str, change: str) -> Message | None:
    """None for an admin; otherwise why nothing changed. Slack is asked each time, and a
    question Slack cannot answer refuses: it never grants."""
    try:
        allowed = await is_admin(services, user_id)
    except RightsUnknown as error:
        return one_line(
            f":no_entry: Could not check with Slack that you are an admin ({error}), so "
            f"{what} was not changed. Try again in a minute."
        )
    if not allowed:
        return one_line(
            f":no_entry: Only admins can {change} (Slack workspace admins and owners, and the "
            "users in SMARKETING_ADMINS); nothing was changed."
        )
    return None


# ---------------------------------------------------------------------------- the target


@dataclass(frozen=True)
class TargetRequest:
    amount: Decimal
    period: Period


def parse_target(words: list[str]) -> TargetRequest:
    """`1.2m`, `$300k per quarter`, `50000 per month`; a ParseError says what to fix."""
    if not words:
        raise ParseError("give the revenue target")
    amount = parse_amount(words[0], what="revenue target")
    cents = Decimal(amount.numerator) / Decimal(amount.denominator)
    cents = cents.quantize(Decimal("0.01"))
    if cents <= 0:
        raise ParseError(f"revenue target must be above zero, not {quoted(words[0])}")
    return TargetRequest(amount=cents, period=parse_period(words[1:]))


async def set_target(services: Services, user_id: str, words: list[str]) -> Message:
    """Admins only; the check asks Slack each time and refuses when Slack cannot answer."""
    refused = await refusal(
        services, user_id, what="the revenue target", change="set the revenue target"
    )
    if refused is not None:
        return refused
    try:
        request = parse_target(words)
    except ParseError as error:
        return _problem(error, TARGET_EXAMPLE)
    now = services.clock.now()

    def store() -> tuple[str, str | None]:
        with services.db.session() as session:
            old = workspace.revenue_target(session)
            workspace.set_revenue_target(
                session,
                amount=request.amount,
                period=request.period.value,
                by=user_id,
                at=now,
            )
            return (
                workspace.describe_target(request.amount, request.period.value),
                workspace.describe_target(old.amount, old.period) if old else None,
            )

    new, old = await services.in_thread(store)
    return target_set_message(new=new, old=old)


# ---------------------------------------------------------------------------- the SLA


@dataclass(frozen=True)
class Quantity:
    """A whole number someone types, as a reason names it and within what bounds."""

    name: str  # "the window"
    clause: str  # how it is typed: "in D days"
    unit: str | None  # "day"; None when the name says it ("the number of touches")
    units: tuple[str, ...]  # the words that may follow the number
    least: int
    most: int

    def count(self, value: int) -> str:
        if self.unit is None:
            return f"{value:,}"
        return f"{value:,} {self.unit}{'' if value == 1 else 's'}"


_HOURS = ("h", "hr", "hrs", "hour", "hours")
_DAYS = ("d", "day", "days")
# Every unit someone might give a time in, to tell them which one this part is counted in.
_TIME_UNITS = (
    *_HOURS,
    *_DAYS,
    *("s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute", "minutes"),
    *("w", "wk", "wks", "week", "weeks", "mo", "month", "months", "y", "yr", "year", "years"),
)
TOUCHES = Quantity("the number of touches", "K", None, ("touch", "touches"), 1, 100)
WINDOW = Quantity("the window", "in D days", "day", _DAYS, 1, 365)
FIRST_TOUCH = Quantity("the first touch", "first-touch H hours", "hour", _HOURS, 1, 24 * 365)
ESCALATION = Quantity("escalation", "escalate after E hours", "hour", _HOURS, 0, 24 * 365)
LEADS = Quantity(
    "the lead commitment", "N", None, ("lead", "leads", "sales-ready"), 1, 1_000_000_000
)
_WHOLE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d{1,12})$", re.ASCII)
_GLUED = re.compile(r"^(?P<number>[+-]?[\d,]+)(?P<unit>[a-z]+)$", re.ASCII)


def parse_whole(token: str, quantity: Quantity) -> int:
    if not _WHOLE.match(token):
        plural = f" of {quantity.unit}s" if quantity.unit else ""
        raise ParseError(f"{quantity.name} must be a whole number{plural}, not {quoted(token)}")
    value = int(token.replace(",", ""))
    if value < quantity.least:
        raise ParseError(
            f"{quantity.name} must be at least {quantity.count(quantity.least)}, "
            f"not {quoted(token)}"
        )
    if value > quantity.most:
        raise ParseError(
            f"{quantity.name} must be at most {quantity.count(quantity.most)}, not {quoted(token)}"
        )
    return value


def _read(tokens: list[str], at: int, quantity: Quantity) -> tuple[int, int]:
    """The number at `tokens[at]` with its optional unit (`24 hours`, `24h`); returns the
    value and where the next clause starts."""
    if at >= len(tokens):
        plural = f" of {quantity.unit}s" if quantity.unit else ""
        raise ParseError(f"`{quantity.clause}` needs a number{plural}")
    typed, after = tokens[at], at + 1
    number, unit = typed, None
    # Other time units are read too, to say what is wrong with `first-touch 2 days`.
    units = quantity.units if quantity.unit is None else (*quantity.units, *_TIME_UNITS)
    glued = _GLUED.match(typed)
    if glued is not None:
        number, unit = glued["number"], glued["unit"]
    elif after < len(tokens) and tokens[after] in units:
        unit, after = tokens[after], after + 1
    if unit is not None and unit not in quantity.units:
        if quantity.unit is None:
            raise ParseError(f"{quantity.name} must be a whole number, not {quoted(typed)}")
        raise ParseError(f"{quantity.name} is counted in {quantity.unit}s, not {quoted(unit)}")
    return parse_whole(number, quantity), after


def _skip(tokens: list[str], at: int, fillers: set[str]) -> int:
    """Past an optional filler word: the `after` in `escalate after 48 hours`."""
    return at + 1 if at < len(tokens) and tokens[at] in fillers else at


@dataclass(frozen=True)
class SalesSlaChange:
    """The parts of the sales SLA an admin gave; None keeps the value in force."""

    touches: int | None = None
    days: int | None = None
    first_touch_hours: int | None = None
    escalate_after_hours: int | None = None

    def applied_to(self, sla: SalesSla) -> SalesSla:
        return SalesSla(
            touches=self.touches if self.touches is not None else sla.touches,
            days=self.days if self.days is not None else sla.days,
            first_touch_hours=(
                self.first_touch_hours
                if self.first_touch_hours is not None
                else sla.first_touch_hours
            ),
            escalate_after_hours=(
                self.escalate_after_hours
                if self.escalate_after_hours is not None
                else sla.escalate_after_hours
            ),
        )

    def kept(self, sla: SalesSla) -> list[str]:
        """The parts left out, with the values they keep."""
        parts = []
        if self.touches is None:
            touches = f"{sla.touches} touch{'' if sla.touches == 1 else 'es'}"
            parts.append(f"{touches} in {WINDOW.count(sla.days)}")
        if self.first_touch_hours is None:
            parts.append(f"first touch within {FIRST_TOUCH.count(sla.first_touch_hours)}")
        if self.escalate_after_hours is None:
            parts.append(f"escalate after {ESCALATION.count(sla.escalate_after_hours)}")
        return parts


def parse_sales_sla(words: list[str]) -> SalesSlaChange:
    """`6 in 14 days`, `first-touch 4 hours`, `escalate after 24 hours`, in any order and any
    subset; a ParseError says what to fix."""
    tokens = [word.lower() for word in words]
    if not tokens:
        raise ParseError(
            "say what to change: `K in D days`, `first-touch H hours` or `escalate after E hours`"
        )
    change = SalesSlaChange()
    at = 0
    while at < len(tokens):
        token = tokens[at]
        if token in {"first-touch", "first_touch", "firsttouch"} or (
            token == "first" and tokens[at + 1 : at + 2] in (["touch"], ["touches"])
        ):
            at = _skip(tokens, at + (1 if token != "first" else 2), {"within", "in", "after"})
            if change.first_touch_hours is not None:
                raise ParseError(f"`{FIRST_TOUCH.clause}` is given twice")
            hours, at = _read(tokens, at, FIRST_TOUCH)
            change = replace(change, first_touch_hours=hours)
        elif token in {"escalate", "escalation", "escalations"}:
            at = _skip(tokens, at + 1, {"after", "at", "in"})
            if change.escalate_after_hours is not None:
                raise ParseError(f"`{ESCALATION.clause}` is given twice")
            hours, at = _read(tokens, at, ESCALATION)
            change = replace(change, escalate_after_hours=hours)
        elif re.match(r"^[+-]?\d", token):
            if change.touches is not None:
                raise ParseError("`K in D days` is given twice")
            touches, at = _read(tokens, at, TOUCHES)
            if tokens[at : at + 1] not in (["in"], ["within"], ["over"]):
                raise ParseError(f"say in how many days: `{touches} in D days`")
            days, at = _read(tokens, at + 1, WINDOW)
            change = replace(change, touches=touches, days=days)
        else:
            raise ParseError(
                f"{quoted(words[at])} is not part of a sales SLA: give `K in D days`, "
                "`first-touch H hours` or `escalate after E hours`"
            )
    return change


def parse_marketing_sla(words: list[str]) -> MarketingSla:
    """`150 per month`, `150 sales-ready leads per month per rep`, `2,000 a month`."""
    tokens = [word.lower() for word in words]
    if not tokens:
        raise ParseError("give the number of sales-ready leads marketing delivers a month")
    leads, at = _read(tokens, 0, LEADS)
    per_rep = False
    while at < len(tokens):
        token = tokens[at]
        if token in LEADS.units or token in {"monthly", "/month", "/mo"}:
            at += 1
            continue
        if token not in {"per", "a", "an", "each", "every", "/"}:
            raise ParseError(
                f"{quoted(words[at])} is not part of a lead commitment: give "
                "`N per month`, and `per rep` if each rep gets N"
            )
        if at + 1 >= len(tokens):
            raise ParseError(
                f"{quoted(token)} what? Say `per month`, and `per rep` if each rep gets N"
            )
        unit = tokens[at + 1]
        said = quoted(f"{words[at]} {words[at + 1]}")
        if unit in {"rep", "reps", "seller", "salesperson"}:
            per_rep = True
        elif unit in {"team", "persona"}:
            raise ParseError(
                f"a commitment {said} is not available yet: give it in total or `per rep`"
            )
        elif unit not in {"month", "mo"}:
            raise ParseError(f"the lead commitment is counted per month, not {said}")
        at += 2
    return MarketingSla(leads_per_month=leads, per_rep=per_rep)


async def set_sla(services: Services, user_id: str, words: list[str]) -> Reply:
    refused = await refusal(services, user_id, what="the SLA", change="set the SLA")
    if refused is not None:
        return Reply(refused)
    side = words[0].lower() if words else ""
    if side in {"leads", "lead", "marketing"}:
        return Reply(await set_marketing_sla(services, user_id, words[1:]))
    if side in {"touches", "touch", "sales"}:
        return await set_sales_sla(services, user_id, words[1:])
    return Reply(
        problem(
            "Say which side of the SLA: `sla leads …` is marketing's commitment, "
            "`sla touches …` is sales'",
            example=TOUCHES_EXAMPLE,
        )
    )


async def set_marketing_sla(services: Services, user_id: str, words: list[str]) -> Message:
    try:
        sla = parse_marketing_sla(words)
    except ParseError as error:
        return _problem(error, LEADS_EXAMPLE)
    now = services.clock.now()

    def store() -> tuple[str, str | None]:
        """The commitment as it now reads, and as it read before (None: already in force)."""
        with services.db.session() as session:
            new = workspace.describe_marketing(sla)
            is_set = workspace.marketing_commitment(session) is not None
            if is_set and workspace.marketing_sla(session) == sla:
                return new, None
            old = workspace.marketing_in_force(session)
            workspace.set_marketing_commitment(session, sla=sla, by=user_id, at=now)
            return new, old

    new, old = await services.in_thread(store)
    if old is None:
        return unchanged_message(f"Marketing's commitment is already {new}")
    return marketing_sla_set_message(new=new, old=old)


async def set_sales_sla(services: Services, user_id: str, words: list[str]) -> Reply:
    try:
        change = parse_sales_sla(words)
    except ParseError as error:
        return Reply(_problem(error, TOUCHES_EXAMPLE))
    now = services.clock.now()

    def store() -> tuple[SalesSla, SalesSla, str | None]:
        """The SLA before and after, and how it read before (None: already in force)."""
        with services.db.session() as session:
            current = workspace.sales_sla(session)
            sla = change.applied_to(current)
            if workspace.sales_commitment(session) is not None and sla == current:
                return current, sla, None
            old = workspace.sales_in_force(session)
            workspace.set_sales_commitment(session, sla=sla, by=user_id, at=now)
            return current, sla, old

    current, sla, old = await services.in_thread(store)
    new = workspace.describe_sales(sla)
    if old is None:
        return Reply(unchanged_message(f"The sales SLA is already {new}"))
    # Escalation is read when escalating; the touches, window and first touch are in every
    # lead's next touch due and window end.
    cadence_changed = replace(sla, escalate_after_hours=0) != replace(
        current, escalate_after_hours=0
    )
    message = sales_sla_set_message(
        new=new, old=old, kept=change.kept(current), recomputing=cadence_changed
    )
    return Reply(message, rederive=cadence_changed)


class Rederivation:
    """Brings every lead's next touch due and window end in line with the sales SLA in force.

    It walks the whole projection (seconds on 100k leads, longer than Slack waits for a reply),
    so it runs after the reply. One walk at a time, each reading the SLA in force as it starts:
    after two quick changes the last walk follows the last SLA.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self._one_at_a_time = asyncio.Lock()
        self._running: set[asyncio.Task[None]] = set()  # the loop holds tasks only weakly

    def start(self) -> None:
        task = asyncio.create_task(self._run())
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self) -> None:
        async with self._one_at_a_time:
            try:
                changed = await self.services.in_thread(self._rederive)
            except Exception:
                logger.exception(
                    "could not bring the leads in line with the new sales SLA; they keep the "
                    "old cadence until the next SLA change or `smarketing db rebuild`"
                )
                return
        logger.info("%d leads now follow the new sales SLA", changed)

    def _rederive(self) -> int:
        with self.services.db.session() as session:
            return events.rederive_leads(
                session, rules=workspace.rules(session), now=self.services.clock.now()
            )


# ---------------------------------------------------------------------------- reporting lines

# `<@U123ABC>` or `<@U123ABC|name>` as Slack escapes a mention, or a bare user id. Ids are
# kept short enough that "manager of <@ID>" fits the change history's 64 characters.
_MENTION = re.compile(r"^<@(?P<id>[UW][A-Z0-9]{1,49})(?:\|[^>]*)?>$", re.ASCII)
_USER_ID = re.compile(r"^@?(?P<id>[UW][A-Z0-9]{1,49})$", re.ASCII)


@dataclass(frozen=True)
class ManagerRequest:
    rep_id: str
    manager_id: str | None  # None clears the rep's manager


def _user_id(token: str) -> str:
    match = _MENTION.match(token) or _USER_ID.match(token)
    if match is None:
        raise ParseError(f"{quoted(token)} is not a Slack user: pick people from the @ menu")
    return match["id"]


def parse_manager(text: str) -> ManagerRequest:
    """`<@U1|ana> <@U2|mia>`, `U1 U2`, `<@U1> none`; a ParseError says what to fix."""
    tokens = re.findall(r"<[^>]*>|\S+", text)
    if not tokens:
        raise ParseError("name the rep and their manager")
    if len(tokens) == 1:
        _user_id(tokens[0])  # a mistyped rep is the first thing to fix
        raise ParseError("name the rep's manager too, or `none` to clear it")
    if len(tokens) > 2:
        raise ParseError("give just two people: the rep, then their manager")
    rep_id = _user_id(tokens[0])
    if tokens[1].lower() in NO_ONE:
        return ManagerRequest(rep_id=rep_id, manager_id=None)
    manager_id = _user_id(tokens[1])
    if manager_id == rep_id:
        raise ParseError("a rep cannot be their own manager")
    return ManagerRequest(rep_id=rep_id, manager_id=manager_id)


@dataclass(frozen=True)
class SlackPerson:
    """Who `users.info` says someone is."""

    user_id: str
    name: str | None
    tz: str | None
    email: str | None


class PersonProblem(Exception):
    """Slack does not know the person, or could not say; the message is shown as is."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.text)
        self.message = message


async def slack_person(services: Services, user_id: str, *, role: str) -> SlackPerson:
    try:
        response = await services.client.users_info(user=user_id)
    except SlackApiError as error:
        code = str(error.response.get("error"))
        if code == "user_not_found":
            reason = f"Slack knows no user {quoted(user_id)} (the {role})"
            raise PersonProblem(problem(reason, example=MANAGER_EXAMPLE)) from error
        raise PersonProblem(_slack_unavailable(user_id, role, code)) from error
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
        raise PersonProblem(_slack_unavailable(user_id, role, type(error).__name__)) from error
    user = response["user"]
    if user.get("deleted"):
        reason = f"<@{user_id}> (the {role}) is deactivated in Slack"
        raise PersonProblem(problem(reason, example=MANAGER_EXAMPLE))
    if user.get("is_bot"):
        reason = f"<@{user_id}> (the {role}) is a bot, not a person"
        raise PersonProblem(problem(reason, example=MANAGER_EXAMPLE))
    profile = user.get("profile") or {}
    return SlackPerson(
        user_id=user_id,
        name=user.get("real_name") or profile.get("real_name") or user.get("name"),
        tz=user.get("tz"),
        email=profile.get("email"),
    )


def _slack_unavailable(user_id: str, role: str, error: str) -> Message:
    return one_line(
        f":no_entry: Could not check with Slack who <@{user_id}> (the {role}) is ({error}), so "
        "the reporting line was not changed. Try again in a minute."
    )


async def set_reporting_line(services: Services, user_id: str, text: str) -> Message:
    refused = await refusal(
        services, user_id, what="the reporting line", change="set reporting lines"
    )
    if refused is not None:
        return refused
    try:
        request = parse_manager(text)
    except ParseError as error:
        return _problem(error, MANAGER_EXAMPLE)
    people: list[SlackPerson] = []
    if request.manager_id is not None:  # clearing needs no one in Slack: they may have left
        try:
            for role, person_id in (("rep", request.rep_id), ("manager", request.manager_id)):
                people.append(await slack_person(services, person_id, role=role))
        except PersonProblem as error:
            return error.message
    now = services.clock.now()
    rep_id, manager_id = request.rep_id, request.manager_id

    def store() -> tuple[str, str | None]:
        """What happened ("set", "unchanged" or "loop") and the manager before."""
        with services.db.session() as session:
            if manager_id is not None and members.reports_to(
                session, person_id=manager_id, manager_id=rep_id
            ):
                return "loop", None
            for person in people:
                members.upsert_member(
                    session,
                    slack_user_id=person.user_id,
                    name=person.name,
                    tz=person.tz,
                    email=person.email,
                    now=now,
                )
            old = members.set_manager(
                session, rep_id=rep_id, manager_id=manager_id, by=user_id, at=now
            )
            return ("unchanged" if old == manager_id else "set"), old

    outcome, old = await services.in_thread(store)
    if outcome == "loop":
        return problem(
            f"<@{manager_id}> reports to <@{rep_id}> (directly or through their managers), so "
            f"<@{rep_id}> cannot report to <@{manager_id}>",
            example=MANAGER_EXAMPLE,
        )
    if outcome == "unchanged":
        if manager_id is None:
            return unchanged_message(f"<@{rep_id}> has no manager")
        return unchanged_message(f"<@{rep_id}> already reports to <@{manager_id}>")
    return manager_set_message(rep_id=rep_id, manager_id=manager_id, old=old)


# ---------------------------------------------------------------------------- settings


async def show_settings(services: Services) -> Message:
    def read() -> WorkspaceSettings:
        with services.db.session() as session:
            target = workspace.revenue_target(session)
            commitment = workspace.marketing_commitment(session)
            sla = workspace.sales_sla(session)
            threshold_set = workspace.setting(session, workspace.GRADING_THRESHOLD)
            changes = workspace.recent_changes(session, limit=CHANGES_SHOWN)
            teams, managers = members.teams(session, managers=MANAGERS_SHOWN, reps_each=REPS_SHOWN)
            unmanaged, unmanaged_count = members.reps_without_manager(
                session, limit=UNMANAGED_SHOWN
            )
            scheduled = digest.delivery_overview(session, services.settings)
            return WorkspaceSettings(
                sla=sla,
                sla_is_default=workspace.sales_commitment(session) is None,
                threshold=workspace.grading_threshold(session),
                threshold_is_default=threshold_set is None,
                timezone=services.settings.smarketing_timezone,
                target_amount=target.amount if target else None,
                target_period=Period(target.period) if target else None,
                target_set_by=target.set_by if target else None,
                target_set_at=target.set_at if target else None,
                leads_per_month=commitment.leads_per_month if commitment else None,
                leads_per_rep=commitment.per_rep if commitment else False,
                changes=[
                    Change(
                        what=row.what,
                        old=row.old_value,
                        new=row.new_value,
                        by=row.changed_by,
                        at=row.changed_at,
                    )
                    for row in changes
                ],
                teams=[
                    Team(manager_id=team.manager_id, rep_ids=team.rep_ids, reps=team.reps)
                    for team in teams
                ],
                managers=managers,
                unmanaged_rep_ids=unmanaged,
                unmanaged_reps=unmanaged_count,
                digest_channel=scheduled.digest.channel,
                digest_schedule=scheduled.digest.schedule,
                monthly_channel=scheduled.monthly_channel,
                monthly_channel_configured=scheduled.monthly_channel_configured,
                delivery_problems=scheduled.problems,
                escalation_admin=min(services.settings.smarketing_admins, default=None),
                unreachable_rep_ids=[
                    member.slack_user_id
                    for member in follow_up.unreachable_reps(session, limit=UNMANAGED_SHOWN)
                ],
            )

    return settings_message(await services.in_thread(read))


# ---------------------------------------------------------------------------- wiring


async def answer(services: Services, user_id: str, text: str, *, request_id: str = "") -> Reply:
    """The whole reply to one `/smarketing` text; `request_id` names the Slack request."""
    words = text.split()
    subcommand = words[0].lower() if words else "help"
    if subcommand in HELP_WORDS:
        return Reply(help_message("/smarketing — the shared numbers", HELP_LINES, example=EXAMPLE))
    if subcommand == "target":
        return Reply(await set_target(services, user_id, words[1:]))
    if subcommand == "settings":
        return Reply(await show_settings(services))
    if subcommand == "sla":
        return await set_sla(services, user_id, words[1:])
    if subcommand == "manager":
        rest = text.strip()[len(words[0]) :]
        return Reply(await set_reporting_line(services, user_id, rest))
    if subcommand == "digest":
        reply = await digest.answer(
            services, user_id, words[1:], request_id=request_id, refusal=refusal
        )
        return Reply(reply.message, then=reply.then)
    return Reply(
        problem(
            f"{quoted(words[0])} is not a /smarketing subcommand "
            "(target, settings, sla, digest, manager, help)",
            example=EXAMPLE,
        )
    )


def register(app: AsyncApp, services: Services) -> None:
    rederivation = Rederivation(services)

    @app.command(COMMAND)
    async def smarketing_command(
        ack: AsyncAck, command: dict[str, str], respond: AsyncRespond
    ) -> None:
        # The trigger id is the same when Slack retries the request: what it starts runs once.
        request_id = command.get("trigger_id") or uuid.uuid4().hex
        reply = await answer(
            services, command.get("user_id", ""), command.get("text", ""), request_id=request_id
        )
        if reply.rederive:
            # Started now, it runs once the reply has gone: Bolt answers the request when
            # this listener returns (process_before_response).
            rederivation.start()
        await ack(response_type="ephemeral", **reply.message.to_dict())
        if reply.then is not None:
            _background(reply.then(respond))


_RUNNING: set[asyncio.Task[None]] = set()


def _background(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` after the reply; keep a reference so the task is not collected mid-way."""
    task = asyncio.create_task(work)
    _RUNNING.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Task[None]) -> None:
    _RUNNING.discard(task)
    # Nobody awaits the task: a failure (Slack refusing the response_url…) is logged here.
    if not task.cancelled() and task.exception() is not None:
        logger.error("work after a /smarketing reply failed", exc_info=task.exception())
