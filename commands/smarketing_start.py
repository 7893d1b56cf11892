"""`/smarketing start DATE`: the day tracking started (admins). Until it is set, tracking starts
on the day the first lead was created; a period that began before it is marked partial."""

from __future__ import annotations

from datetime import date

from blocks.message import Message
from blocks.settings_message import one_line
from commands.admin_only import refusal
from commands.parsing import ParseError, problem_from, quoted
from services import settings_changes
from services.context import Services

START_EXAMPLE = "/smarketing start 2026-11-01"


def parse_start(words: list[str], *, today: date) -> date:
    """`2026-11-01` (ISO, as Slack's date pickers write it); not after today."""
    if not words:
        raise ParseError("give the day tracking started, as YYYY-MM-DD")
    if len(words) > 1:
        raise ParseError(f"give one day, as YYYY-MM-DD, not {len(words)} words")
    try:
        day = date.fromisoformat(words[0])
    except ValueError:
        raise ParseError(f"{quoted(words[0])} is not a day written YYYY-MM-DD") from None
    if day > today:
        raise ParseError(f"{day.isoformat()} is after today: tracking cannot start in the future")
    return day


async def set_start(services: Services, user_id: str, words: list[str]) -> Message:
    refused = await refusal(
        services, user_id, what="the tracking start", change="set when tracking started"
    )
    if refused is not None:
        return refused
    today = services.clock.now().astimezone(services.settings.timezone).date()
    try:
        day = parse_start(words, today=today)
    except ParseError as error:
        return problem_from(error, example=START_EXAMPLE)
    old = await settings_changes.set_tracking_start(services, day=day, by=user_id)
    shown = f"{day.day} {day:%B %Y}"
    if old == day:
        return one_line(
            f":information_source: Tracking already starts on {shown}; nothing was changed."
        )
    return one_line(
        f":white_check_mark: Tracking starts on {shown}"
        + (f" (was {old.day} {old:%B %Y})" if old else "")
        + ": a week or month that began before it is marked partial, and the year's pace "
        "counts from it."
    )
