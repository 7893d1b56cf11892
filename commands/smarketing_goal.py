"""`/smarketing goal source|persona|team NAME N per month`: marketing's commitment split by
source, persona or team (admins). `0` removes a goal. A goal for a source or persona no lead
carries yet is kept, with a warning; a team must exist."""

from __future__ import annotations

from dataclasses import dataclass

from blocks.message import Message, problem
from blocks.settings_message import one_line
from commands.admin_only import refusal
from commands.parsing import ParseError, problem_from, quoted
from services import settings_changes
from services.context import Services

GOAL_EXAMPLE = "/smarketing goal source webinar 40 per month"
DIMENSIONS = ("source", "persona", "team")
MAX_GOAL = 1_000_000


@dataclass(frozen=True)
class GoalRequest:
    dimension: str
    name: str
    per_month: int


def parse_goal(words: list[str]) -> GoalRequest:
    if not words or words[0].lower() not in DIMENSIONS:
        given = f"not {quoted(words[0])}" if words else "first"
        raise ParseError(f"say `source`, `persona` or `team` {given}")
    dimension, rest = words[0].lower(), list(words[1:])
    if [word.lower() for word in rest[-2:]] == ["per", "month"]:
        rest = rest[:-2]
    elif rest and rest[-1].lower() in ("month", "/month", "a-month"):
        rest = rest[:-1]
    if len(rest) < 2:
        raise ParseError(f"give the {dimension}'s name, then the sales-ready leads a month")
    number = rest[-1].replace(",", "")
    if not number.isdigit():
        raise ParseError(
            f"{quoted(rest[-1])} is not a number of sales-ready leads a month (0 removes it)"
        )
    per_month = int(number)
    if per_month > MAX_GOAL:
        raise ParseError(f"{per_month:,} a month is more than any team can work")
    return GoalRequest(dimension, " ".join(rest[:-1]), per_month)


async def set_goal(services: Services, user_id: str, words: list[str]) -> Message:
    refused = await refusal(services, user_id, what="the goal", change="set goals")
    if refused is not None:
        return refused
    try:
        request = parse_goal(words)
    except ParseError as error:
        return problem_from(error, example=GOAL_EXAMPLE)
    result = await settings_changes.set_goal(
        services,
        dimension=request.dimension,
        name=request.name,
        per_month=request.per_month,
        by=user_id,
    )
    name = quoted(request.name, limit=80)
    if result.unknown_team:
        return problem(
            f"No team is called {name}: form it first with `/smarketing team`",
            example="/smarketing team CFO squad persona CFO @ana @mia",
        )
    if request.per_month == 0:
        if result.old is None:
            return one_line(
                f":information_source: No {request.dimension} goal for {name}; nothing was changed."
            )
        return one_line(f":white_check_mark: The {request.dimension} goal for {name} is removed.")
    was = f" (was {result.old:,})" if result.old else ""
    line = (
        f":white_check_mark: Goal for {request.dimension} {name}: {request.per_month:,} "
        f"sales-ready leads a month{was}. `/sla-status marketing` shows its pace."
    )
    if result.unseen:
        line += (
            f" :warning: No lead has that {request.dimension} yet: check the spelling your CRM "
            "uses (case and spacing are ignored)."
        )
    if result.over_by > 0:
        line += (
            f" :warning: The goals now add up to {result.over_by:,} more than marketing's "
            "commitment."
        )
    return one_line(line)
