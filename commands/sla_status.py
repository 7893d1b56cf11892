"""`/sla-status [me | @user | team | marketing] [this | last] [week | month]`: both sides of
the SLA, for this month by default or the period named.

Alone it answers for the caller: a rep's own leads, a manager's team, marketing's side for
someone in marketing. `me` is always the caller's own leads; `@user` that person's leads, or
their team if they manage one; `team` the caller's team, or every rep for an admin who manages
no one; `marketing` marketing's side in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks import sla_message as views
from blocks.format import shown
from blocks.message import Message, help_message, problem
from commands.parsing import ParseError, quoted
from domain.pace import Unit
from services.context import Services
from services.people import RightsUnknown, is_admin
from services.sla_report import formed_team, is_marketer, sla_report, team_of

COMMAND = "/sla-status"
EXAMPLE = "/sla-status team last month"
HELP_LINES = [
    "`/sla-status` — your own leads; a manager sees their team, marketing sees marketing's side.",
    "`/sla-status me` — your own leads, even if you manage a team.",
    "`/sla-status @user` — that person's leads, or their team if they manage one.",
    "`/sla-status team` — your team, rep by rep (an admin who manages no one sees every rep).",
    "`/sla-status marketing` — marketing's side: sales-ready leads against the commitment, "
    "pace, and how many leads sales accepted.",
    "Add `this week`, `last week` or `last month` for another period: `/sla-status me last "
    "week`. This month is the default.",
    "Sales: your overdue leads and the touches coming due first, then leads in their SLA "
    "window, compliance, breaches, median first-touch time. Marketing is always company-wide.",
]
HELP_WORDS = {"help", "?", "-h", "--help"}
# With `should_escape`, Slack sends a picked user as `<@U123|name>` (or `<@U123>`).
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")

Audience = Literal["default", "me", "user", "team", "marketing", "help"]
WORDS: dict[str, Audience] = {"me": "me", "team": "team", "marketing": "marketing"}
WHICH = {"this": 0, "last": 1}
UNITS = {"week": Unit.WEEK, "month": Unit.MONTH}


@dataclass(frozen=True)
class SlaRequest:
    audience: Audience
    user_id: str | None = None  # for `user`: whose leads
    unit: Unit = Unit.MONTH
    back: int = 0  # 0: this period, 1: the one before


def _period(words: list[str]) -> tuple[Unit, int]:
    """`this week`, `last month`, `week` (this one), `last` (last month)."""
    lowered = [word.lower() for word in words]
    back, unit = 0, Unit.MONTH
    if lowered and lowered[0] in WHICH:
        back = WHICH[lowered.pop(0)]
    if lowered and lowered[0] in UNITS:
        unit = UNITS[lowered.pop(0)]
    if lowered:
        raise ParseError(
            f"{quoted(words[len(words) - len(lowered)], limit=60)} is not a period: use `this` "
            "or `last`, then `week` or `month`"
        )
    return unit, back


def _audience(word: str) -> SlaRequest:
    lowered = word.lower()
    if lowered in WORDS:
        return SlaRequest(audience=WORDS[lowered])
    mention = MENTION.fullmatch(word)
    if mention:
        return SlaRequest(audience="user", user_id=mention.group(1))
    if word.startswith("<#"):
        raise ParseError("That is a channel; name a person with `@`, or say `team`")
    if word.startswith("@"):
        raise ParseError(
            f"{quoted(word, limit=60)} did not reach the bot as a Slack user: pick the person "
            "from the list Slack shows as you type `@`"
        )
    raise ParseError(
        f"{quoted(word, limit=60)} is not something `/sla-status` shows: use `me`, `@user`, `team` "
        "or `marketing`, then a period such as `last month`"
    )


def parse(text: str) -> SlaRequest:
    """Who (`me`, a mention, `team`, `marketing`; the caller by default), then a period
    (`this|last week|month`); `help`. A ParseError says why anything else is not understood."""
    words = text.split()
    if not words:
        return SlaRequest(audience="default")
    if words[0].lower() in HELP_WORDS:
        return SlaRequest(audience="help")
    if len(words) > 3:
        raise ParseError(
            f"Give who and a period, such as `team last month`, not {len(words)} words"
        )
    period_first = words[0].lower() in WHICH or words[0].lower() in UNITS
    request = SlaRequest(audience="default") if period_first else _audience(words[0])
    unit, back = _period(words if period_first else words[1:])
    return SlaRequest(request.audience, request.user_id, unit=unit, back=back)


def _team_title(whose: str, team: list[str]) -> str:
    return f"{whose} team ({len(team):,} {'rep' if len(team) == 1 else 'reps'})"


@dataclass(frozen=True)
class Scope:
    """Whose leads the sales side covers (None: every rep) and how the reply names them."""

    owners: list[str] | None
    title: str


async def scope_for(services: Services, request: SlaRequest, *, caller: str) -> Scope | Message:
    """The sales side's reps for this request, or the refusal to show to the caller."""
    if request.audience == "me":
        return Scope(owners=[caller], title="your leads")
    if request.audience == "user":
        assert request.user_id is not None
        team = await team_of(services, request.user_id)
        if team:
            return Scope(owners=team, title=_team_title(f"<@{request.user_id}>'s", team))
        return Scope(owners=[request.user_id], title=f"<@{request.user_id}>'s leads")
    team = await team_of(services, caller)
    if team:
        return Scope(owners=team, title=_team_title("your", team))
    if request.audience == "default":
        return Scope(owners=[caller], title="your leads")
    formed = await formed_team(services, caller)
    if formed is not None:
        named, reps = formed
        return Scope(owners=reps, title=f"team {shown(named.name, 80)} ({len(reps):,} reps)")
    # `team` from someone who manages no one: every rep for an admin, a reason for the rest.
    try:
        admin = await is_admin(services, caller)
    except RightsUnknown as error:
        return problem(
            f"Slack did not say whether you are an admin ({error}), so the team view cannot "
            "be shown; try again shortly",
            example="/sla-status me",
        )
    if admin:
        return Scope(owners=None, title="every rep")
    # Advice for the reader: a rep cannot set reporting lines, so the command to try is the
    # one that shows what they have.
    return problem(
        "You manage no one yet, so there is no team to show (an admin names managers); your "
        "own leads are here",
        example="/sla-status me",
    )


async def answer(services: Services, *, text: str, user_id: str) -> Message:
    """The whole reply to one `/sla-status`: help, the report, or why not."""
    try:
        request = parse(text)
    except ParseError as error:
        return problem(str(error), example=EXAMPLE)
    if request.audience == "help":
        return help_message("What /sla-status shows", HELP_LINES, example=EXAMPLE)
    marketing = request.audience == "marketing" or (
        request.audience == "default"
        and await is_marketer(services, user_id)
        and not await team_of(services, user_id)
    )
    if marketing:
        report = await sla_report(
            services,
            owners=None,
            sales=False,
            overdue_limit=views.OVERDUE_SHOWN,
            unit=request.unit,
            back=request.back,
        )
        return views.sla_status_message(report, title="marketing", marketing_first=True)
    scope = await scope_for(services, request, caller=user_id)
    if isinstance(scope, Message):
        return scope
    one_rep = scope.owners is not None and len(scope.owners) == 1
    report = await sla_report(
        services,
        owners=scope.owners,
        overdue_limit=views.OVERDUE_SHOWN,
        due_limit=views.DUE_SHOWN if one_rep else 0,
        unit=request.unit,
        back=request.back,
    )
    return views.sla_status_message(report, title=scope.title)


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def sla_status_command(ack: AsyncAck, command: dict[str, str]) -> None:
        reply = await answer(services, text=command.get("text", ""), user_id=command["user_id"])
        await ack(response_type="ephemeral", **reply.to_dict())
