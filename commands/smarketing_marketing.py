"""`/smarketing marketing @user…`: who is in marketing (admins); their App Home and
`/sla-status` show marketing's side first. `remove @user…` takes people out; alone, it lists.
"""

from __future__ import annotations

import re

from blocks.message import Message
from blocks.settings_message import one_line, unchanged_message
from commands.admin_only import refusal
from commands.parsing import ParseError, problem_from, user_id_of
from commands.smarketing_manager import PersonProblem, slack_people
from services import settings_changes
from services.context import Services

MARKETING_EXAMPLE = "/smarketing marketing @mia @leo"
REMOVE_WORDS = {"remove", "rm", "drop", "delete"}
MARKETERS_SHOWN = 50
MAX_PEOPLE = 20  # named in one command: each is checked with Slack


def parse_people(tokens: list[str]) -> list[str]:
    if not tokens:
        raise ParseError("name the people in marketing with `@`")
    if len(tokens) > MAX_PEOPLE:
        raise ParseError(f"name at most {MAX_PEOPLE} people at a time, not {len(tokens)}")
    return list(dict.fromkeys(user_id_of(token) for token in tokens))


def _mentions(user_ids: list[str]) -> str:
    return ", ".join(f"<@{user_id}>" for user_id in user_ids)


async def show_marketing(services: Services) -> Message:
    shown, total = await settings_changes.marketers(services, limit=MARKETERS_SHOWN)
    if not total:
        return one_line(
            ":information_source: No one is in marketing yet: an admin names them with "
            f"`{MARKETING_EXAMPLE}`. Their App Home and `/sla-status` then show marketing's side."
        )
    more = f" and {total - len(shown):,} more" if total > len(shown) else ""
    return one_line(f"*Marketing ({total:,}):* {_mentions(shown)}{more}")


async def set_marketing(services: Services, user_id: str, text: str) -> Message:
    """Alone: who is in marketing (anyone may ask). With people: put them in, or take them
    out after `remove` (admins)."""
    tokens = re.findall(r"<[^>]*>|\S+", text)
    if not tokens:
        return await show_marketing(services)
    remove = tokens[0].lower() in REMOVE_WORDS
    refused = await refusal(services, user_id, what="marketing", change="say who is in marketing")
    if refused is not None:
        return refused
    try:
        people = parse_people(tokens[1:] if remove else tokens)
    except ParseError as error:
        return problem_from(error, example=MARKETING_EXAMPLE)
    found: list[settings_changes.Person] = []
    if not remove:  # taking someone out needs no one in Slack: they may have left
        try:
            found = await slack_people(
                services,
                people,
                role="marketer",
                example=MARKETING_EXAMPLE,
                unchanged="no one was put in marketing",
            )
        except PersonProblem as error:
            return error.message
    changed = await settings_changes.set_marketing(
        services, user_ids=people, marketing=not remove, people=found, by=user_id
    )
    same = [person for person in people if person not in changed]
    if not changed:
        where = "in marketing" if not remove else "not in marketing"
        return unchanged_message(f"{_mentions(same)} {'is' if len(same) == 1 else 'are'} {where}")
    if remove:
        line = f":white_check_mark: {_mentions(changed)} left marketing"
    else:
        line = (
            f":white_check_mark: {_mentions(changed)} joined marketing: their App Home and "
            "`/sla-status` now show marketing's side"
        )
    if same:
        line += f" ({_mentions(same)} already {'out' if remove else 'in'})"
    return one_line(line + ".")
