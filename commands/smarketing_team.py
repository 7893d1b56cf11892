"""`/smarketing team NAME [persona P] @member…`: a team of reps and marketers formed around a
persona (admins). Its members see the team's figures in `/sla-status team` and on App Home."""

from __future__ import annotations

import re
from dataclasses import dataclass

from blocks.message import Message
from blocks.settings_message import one_line
from commands.admin_only import refusal
from commands.parsing import ParseError, problem_from, user_id_of
from commands.smarketing_manager import PersonProblem, slack_people
from services import settings_changes
from services.context import Services

TEAM_EXAMPLE = "/smarketing team CFO squad persona CFO @ana @ben @mia"
MAX_MEMBERS = 50


@dataclass(frozen=True)
class TeamRequest:
    name: str
    persona: str | None
    member_ids: list[str]


def parse_team(text: str) -> TeamRequest:
    tokens = re.findall(r"<[^>]*>|\S+", text)
    first_member = next((i for i, token in enumerate(tokens) if token.startswith("<@")), None)
    head = tokens if first_member is None else tokens[:first_member]
    members = [] if first_member is None else tokens[first_member:]
    lowered = [word.lower() for word in head]
    persona = None
    if "persona" in lowered:
        at = lowered.index("persona")
        persona = " ".join(head[at + 1 :]) or None
        head = head[:at]
        if persona is None:
            raise ParseError("name the persona after `persona`")
    name = " ".join(head)
    if not name:
        raise ParseError("name the team first")
    if not members:
        raise ParseError("name its members with `@`: reps and marketers")
    if len(members) > MAX_MEMBERS:
        raise ParseError(f"name at most {MAX_MEMBERS} members, not {len(members)}")
    return TeamRequest(name, persona, list(dict.fromkeys(user_id_of(t) for t in members)))


async def set_team(services: Services, user_id: str, text: str) -> Message:
    refused = await refusal(services, user_id, what="the team", change="form teams")
    if refused is not None:
        return refused
    try:
        request = parse_team(text)
    except ParseError as error:
        return problem_from(error, example=TEAM_EXAMPLE)
    try:
        people = await slack_people(
            services,
            request.member_ids,
            role="member",
            example=TEAM_EXAMPLE,
            unchanged="the team was not changed",
        )
    except PersonProblem as error:
        return error.message
    team, old = await settings_changes.set_team(
        services,
        name=request.name,
        persona=request.persona,
        member_ids=request.member_ids,
        people=people,
        by=user_id,
    )
    mentions = ", ".join(f"<@{member}>" for member in team.member_ids)
    around = f", around the {team.persona} persona" if team.persona else ""
    verb = "is now" if old is not None else "is formed"
    return one_line(
        f":white_check_mark: Team {team.name} {verb}: {mentions}{around}. Its members see its "
        "figures with `/sla-status team` and on App Home."
    )
