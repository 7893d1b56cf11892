"""`/smarketing sla leads N per month [per rep]` and `/smarketing sla touches K in D days
[first-touch H hours [for sales-ready]] [escalate after E hours]`: both sides of the SLA
(admins)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from blocks.message import Message, problem
from blocks.settings_message import (
    marketing_sla_set_message,
    sales_sla_set_message,
    unchanged_message,
)
from commands.admin_only import refusal
from commands.parsing import ParseError, problem_from, quoted
from domain.cadence import SalesSla
from domain.sla import MarketingSla
from services import settings_changes
from services.context import Services

LEADS_EXAMPLE = "/smarketing sla leads 150 per month per rep"
TOUCHES_EXAMPLE = (
    "/smarketing sla touches 6 in 14 days first-touch 24 hours escalate after 48 hours"
)


@dataclass(frozen=True)
class SlaReply:
    """The reply, and whether the leads must then follow a new sales SLA."""

    message: Message
    rederive: bool = False


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
    sales_ready_first_touch_hours: int | None = None  # `first-touch 1 hour for sales-ready`

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
            sales_ready_first_touch_hours=(
                self.sales_ready_first_touch_hours
                if self.sales_ready_first_touch_hours is not None
                else sla.sales_ready_first_touch_hours
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
            hours, at = _read(tokens, at, FIRST_TOUCH)
            if tokens[at : at + 1] == ["for"]:
                if tokens[at + 1 : at + 2] not in (["sales-ready"], ["sales_ready"]):
                    raise ParseError(
                        "a first touch of its own is for sales-ready leads only: "
                        f"`first-touch {hours} hours for sales-ready`"
                    )
                if change.sales_ready_first_touch_hours is not None:
                    raise ParseError("the sales-ready leads' first touch is given twice")
                change = replace(change, sales_ready_first_touch_hours=hours)
                at += 2
                continue
            if change.first_touch_hours is not None:
                raise ParseError(f"`{FIRST_TOUCH.clause}` is given twice")
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


async def set_sla(services: Services, user_id: str, words: list[str]) -> SlaReply:
    refused = await refusal(services, user_id, what="the SLA", change="set the SLA")
    if refused is not None:
        return SlaReply(refused)
    side = words[0].lower() if words else ""
    if side in {"leads", "lead", "marketing"}:
        return SlaReply(await set_marketing_sla(services, user_id, words[1:]))
    if side in {"touches", "touch", "sales"}:
        return await set_sales_sla(services, user_id, words[1:])
    return SlaReply(
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
        return problem_from(error, example=LEADS_EXAMPLE)
    changed = await settings_changes.set_marketing_commitment(services, sla=sla, by=user_id)
    if changed.old is None:
        return unchanged_message(f"Marketing's commitment is already {changed.new}")
    return marketing_sla_set_message(new=changed.new, old=changed.old)


async def set_sales_sla(services: Services, user_id: str, words: list[str]) -> SlaReply:
    try:
        change = parse_sales_sla(words)
    except ParseError as error:
        return SlaReply(problem_from(error, example=TOUCHES_EXAMPLE))
    changed = await settings_changes.set_sales_commitment(
        services, change=change.applied_to, by=user_id
    )
    if changed.described.old is None:
        return SlaReply(unchanged_message(f"The sales SLA is already {changed.described.new}"))
    message = sales_sla_set_message(
        new=changed.described.new,
        old=changed.described.old,
        kept=change.kept(changed.before),
        recomputing=changed.cadence_changed,
    )
    return SlaReply(message, rederive=changed.cadence_changed)
