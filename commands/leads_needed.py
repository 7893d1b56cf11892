"""`/leads-needed REVENUE DEAL_SIZE RATE [PERIOD]`: the funnel behind a revenue goal; alone,
`/leads-needed` answers for the stored target with the funnel's actual deal size and rate."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks.funnel_message import funnel_message
from blocks.message import Message, help_message, problem
from blocks.settings_message import no_target_yet, target_funnel_message
from commands.parsing import (
    ParseError,
    parse_amount,
    parse_period,
    parse_rate,
    problem_from,
    quoted,
)
from domain.funnel import Period, leads_needed
from services.context import Services
from services.goal import goal_pace

COMMAND = "/leads-needed"
EXAMPLE = "/leads-needed 100000 1000 4%"
HELP_LINES = [
    "1. Revenue target ÷ average deal size = customers you need to win.",
    "2. Customers ÷ lead-to-customer rate = leads marketing must deliver (both rounded up).",
    "3. The target is yearly unless you add `per quarter` or `per month`; "
    "leads are then spread per month and per week.",
]
TARGET_EXAMPLE = "/smarketing target 1.2m per year"


@dataclass(frozen=True)
class LeadsNeededRequest:
    revenue: Fraction
    deal_size: Fraction
    rate: Fraction
    period: Period


def parse(text: str) -> LeadsNeededRequest:
    """Three numbers, then an optional period; a ParseError says what to fix."""
    tokens = [token.rstrip(",;") for token in text.split()]
    tokens = [token for token in tokens if token]
    numbers = [token for token in tokens if token[:1].isdigit() or token[:1] in "$€£.-+"]
    first_word = next((i for i, token in enumerate(tokens) if token not in numbers), len(tokens))
    if len(numbers) < 3:
        if first_word < len(tokens) and first_word < 3:
            raise ParseError(f"{quoted(tokens[first_word])} is not a number")
        raise ParseError(
            f"give three numbers — revenue, average deal size and lead-to-customer rate "
            f"(got {len(numbers)})"
        )
    if len(numbers) > 3:
        raise ParseError(f"give exactly three numbers, not {len(numbers)}")
    if tokens[:3] != numbers:
        raise ParseError(f"{quoted(tokens[first_word])} is not a number")
    return LeadsNeededRequest(
        revenue=parse_amount(tokens[0], what="revenue"),
        deal_size=parse_amount(tokens[1], what="deal size"),
        rate=parse_rate(tokens[2]),
        period=parse_period(tokens[3:]),
    )


def answer(text: str) -> Message:
    """The reply to `/leads-needed` with text: help, the funnel, or a problem.

    Empty text is answered from the store by `answer_from_store`; here it can only say so.
    """
    if text.strip().lower() in {"help", "?", "-h", "--help"}:
        return help_message("How /leads-needed counts", HELP_LINES, example=EXAMPLE)
    if not text.strip():
        return problem(
            "No revenue target is stored yet, so give the numbers: revenue, average deal size, "
            "lead-to-customer rate",
            example=EXAMPLE,
        )
    try:
        request = parse(text)
    except ParseError as error:
        return problem_from(error, example=EXAMPLE)
    funnel = leads_needed(
        revenue=request.revenue,
        deal_size=request.deal_size,
        rate=request.rate,
        period=request.period,
    )
    return funnel_message(funnel, as_typed=True)


async def answer_from_store(services: Services) -> Message:
    """`/leads-needed` alone: the stored target through the actual (or configured) funnel."""
    found = await goal_pace(services)
    if found is None:
        return no_target_yet(target_example=TARGET_EXAMPLE, numbers_example=EXAMPLE)
    return target_funnel_message(
        funnel=found.goal.funnel,
        actuals=found.goal.actuals,
        plan=found.plan,
        committed=found.committed,
    )


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def leads_needed_command(ack: AsyncAck, command: dict[str, str]) -> None:
        text = command.get("text", "")
        reply = await answer_from_store(services) if not text.strip() else answer(text)
        await ack(response_type="ephemeral", **reply.to_dict())
