"""`/smarketing`: the workspace's targets, SLAs, digest and reporting lines (admins); settings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.rights import RightsUnknown, is_admin
from bot.services import Services
from bot.views.messages import Message, help_message, problem
from bot.views.targets import (
    Change,
    WorkspaceSettings,
    one_line,
    settings_message,
    target_set_message,
)
from commands.parsing import ParseError, parse_amount, parse_period
from domain.cadence import SalesSla
from domain.funnel import Period
from storage import workspace

COMMAND = "/smarketing"
EXAMPLE = "/smarketing target 1.2m per year"
TARGET_EXAMPLE = EXAMPLE
HELP_LINES = [
    "• `/smarketing target REVENUE [per year|quarter|month]` — the revenue goal (admins)",
    "• `/smarketing settings` — the target, both SLAs, grading and recent changes (anyone)",
    "• `/smarketing sla leads N per month [per rep]` — marketing's commitment (admins, coming)",
    "• `/smarketing sla touches K in D days [first-touch H hours] [escalate after E hours]` — "
    "sales' commitment (admins, coming)",
    "• `/smarketing digest #channel [DAY HH:MM]` · `/smarketing digest now` — the weekly "
    "digest (admins, coming)",
    "• `/smarketing manager @rep @manager` — reporting line for escalations (admins, coming)",
]
# Subcommands the design names that this version does not answer yet, each with its form.
COMING = {
    "sla": "/smarketing sla touches 6 in 14 days",
    "digest": "/smarketing digest #smarketing MON 09:00",
    "manager": "/smarketing manager @rep @manager",
}
CHANGES_SHOWN = 5


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
        raise ParseError(f"revenue target must be above zero, not `{words[0]}`")
    return TargetRequest(amount=cents, period=parse_period(words[1:]))


async def set_target(services: Services, user_id: str, words: list[str]) -> Message:
    """Admins only; the check asks Slack each time and refuses when Slack cannot answer."""
    try:
        allowed = await is_admin(services, user_id)
    except RightsUnknown as error:
        return one_line(
            f":no_entry: Could not check with Slack that you are an admin ({error}), so the "
            "revenue target was not changed. Try again in a minute."
        )
    if not allowed:
        return one_line(
            ":no_entry: Only admins can set the revenue target (Slack workspace admins and "
            "owners, and the users in SMARKETING_ADMINS); nothing was changed."
        )
    try:
        request = parse_target(words)
    except ParseError as error:
        reason = str(error)
        return problem(reason[:1].upper() + reason[1:], example=TARGET_EXAMPLE)
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


async def show_settings(services: Services) -> Message:
    def read() -> WorkspaceSettings:
        with services.db.session() as session:
            target = workspace.revenue_target(session)
            commitment = workspace.marketing_commitment(session)
            sla = workspace.sales_sla(session)
            threshold_set = workspace.setting(session, workspace.GRADING_THRESHOLD)
            changes = workspace.recent_changes(session, limit=CHANGES_SHOWN)
            return WorkspaceSettings(
                sla=sla,
                sla_is_default=sla == SalesSla(),
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
            )

    return settings_message(await services.in_thread(read))


async def answer(services: Services, user_id: str, text: str) -> Message:
    """The whole reply to one `/smarketing` text."""
    words = text.split()
    subcommand = words[0].lower() if words else "help"
    if subcommand in {"help", "?", "-h", "--help"}:
        return help_message("/smarketing — the shared numbers", HELP_LINES, example=EXAMPLE)
    if subcommand == "target":
        return await set_target(services, user_id, words[1:])
    if subcommand == "settings":
        return await show_settings(services)
    if subcommand in COMING:
        return problem(
            f"`/smarketing {subcommand}` is not available in this version yet",
            example=COMING[subcommand],
        )
    return problem(
        f"`{words[0][:40]}` is not a /smarketing subcommand "
        "(target, settings, sla, digest, manager, help)",
        example=EXAMPLE,
    )


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def smarketing_command(ack: AsyncAck, command: dict[str, str]) -> None:
        reply = await answer(services, command.get("user_id", ""), command.get("text", ""))
        await ack(response_type="ephemeral", **reply.to_dict())
