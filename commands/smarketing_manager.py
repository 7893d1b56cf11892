"""`/smarketing manager @rep @manager`: who hears about the rep's missed follow-ups (admins)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from blocks.message import Message, problem
from blocks.settings_message import (
    MANAGER_EXAMPLE,
    manager_set_message,
    one_line,
    unchanged_message,
)
from commands.admin_only import refusal
from commands.parsing import ParseError, problem_from, quoted, user_id_of
from services import settings_changes
from services.context import Services
from services.people import RightsUnknown, slack_user

NO_ONE = {"none", "nobody", "no-one", "noone", "-"}


@dataclass(frozen=True)
class ManagerRequest:
    rep_id: str
    manager_id: str | None  # None clears the rep's manager


def parse_manager(text: str) -> ManagerRequest:
    """`<@U1|ana> <@U2|mia>`, `U1 U2`, `<@U1> none`; a ParseError says what to fix."""
    tokens = re.findall(r"<[^>]*>|\S+", text)
    if not tokens:
        raise ParseError("name the rep and their manager")
    if len(tokens) == 1:
        user_id_of(tokens[0])  # a mistyped rep is the first thing to fix
        raise ParseError("name the rep's manager too, or `none` to clear it")
    if len(tokens) > 2:
        raise ParseError("give just two people: the rep, then their manager")
    rep_id = user_id_of(tokens[0])
    if tokens[1].lower() in NO_ONE:
        return ManagerRequest(rep_id=rep_id, manager_id=None)
    manager_id = user_id_of(tokens[1])
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


async def slack_person(
    services: Services,
    user_id: str,
    *,
    role: str,
    example: str = MANAGER_EXAMPLE,
    unchanged: str = "the reporting line was not changed",
) -> SlackPerson:
    """Who Slack says `user_id` is; a PersonProblem, with `example`, for someone Slack does
    not know, a deactivated account or a bot, or when Slack cannot say (`unchanged`)."""
    try:
        user = await slack_user(services, user_id)
    except RightsUnknown as error:
        raise PersonProblem(_slack_unavailable(user_id, role, str(error), unchanged)) from error
    if user is None:
        reason = f"Slack knows no user {quoted(user_id)} (the {role})"
        raise PersonProblem(problem(reason, example=example))
    if user.deleted:
        reason = f"<@{user_id}> (the {role}) is deactivated in Slack"
        raise PersonProblem(problem(reason, example=example))
    if user.bot:
        reason = f"<@{user_id}> (the {role}) is a bot, not a person"
        raise PersonProblem(problem(reason, example=example))
    return SlackPerson(user_id=user_id, name=user.name, tz=user.tz, email=user.email)


async def slack_people(
    services: Services, user_ids: list[str], *, role: str, example: str, unchanged: str
) -> list[settings_changes.Person]:
    """Who Slack says each of `user_ids` is, to keep in the members table; the first one Slack
    cannot vouch for raises PersonProblem."""
    found = []
    for user_id in user_ids:
        person = await slack_person(
            services, user_id, role=role, example=example, unchanged=unchanged
        )
        found.append(settings_changes.Person(person.user_id, person.name, person.tz, person.email))
    return found


def _slack_unavailable(user_id: str, role: str, error: str, unchanged: str) -> Message:
    return one_line(
        f":no_entry: Could not check with Slack who <@{user_id}> (the {role}) is ({error}), so "
        f"{unchanged}. Try again in a minute."
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
        return problem_from(error, example=MANAGER_EXAMPLE)
    people: list[SlackPerson] = []
    if request.manager_id is not None:  # clearing needs no one in Slack: they may have left
        try:
            for role, person_id in (("rep", request.rep_id), ("manager", request.manager_id)):
                people.append(await slack_person(services, person_id, role=role))
        except PersonProblem as error:
            return error.message
    rep_id, manager_id = request.rep_id, request.manager_id
    changed = await settings_changes.set_reporting_line(
        services,
        rep_id=rep_id,
        manager_id=manager_id,
        people=[
            settings_changes.Person(person.user_id, person.name, person.tz, person.email)
            for person in people
        ],
        by=user_id,
    )
    outcome, old = changed.result, changed.old_manager_id
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
