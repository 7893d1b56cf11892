"""`/smarketing target REVENUE [per year|quarter|month]`: the revenue goal (admins)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from blocks.message import Message
from blocks.settings_message import (
    target_set_message,
)
from commands.admin_only import refusal
from commands.parsing import ParseError, parse_amount, parse_period, problem_from, quoted
from domain.funnel import Period
from services import settings_changes
from services.context import Services

TARGET_EXAMPLE = "/smarketing target 1.2m per year"


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
        return problem_from(error, example=TARGET_EXAMPLE)
    changed = await settings_changes.set_revenue_target(
        services, amount=request.amount, period=request.period, by=user_id
    )
    return target_set_message(new=changed.new, old=changed.old)
