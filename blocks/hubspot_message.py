"""`/smarketing hubspot`: the connection, its last webhook and sync, what waits, the mapping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from blocks.format import clip
from blocks.message import Message


@dataclass(frozen=True)
class HubSpotShown:
    """Plain data: what the connector's status says."""

    problem: str | None
    last_webhook_at: datetime | None
    last_sync_at: datetime | None
    events_waiting: int
    write_backs_pending: int
    write_backs_failed: int
    failures: list[tuple[str, str]]
    mapping: list[tuple[str, str]]  # (lead field, contact property)


def _when(at: datetime | None) -> str:
    if at is None:
        return "never"
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>"


def hubspot_message(shown: HubSpotShown) -> Message:
    state = (
        f":red_circle: HubSpot: {shown.problem}"
        if shown.problem
        else ":large_green_circle: HubSpot is connected"
    )
    lines = [
        f"Last webhook {_when(shown.last_webhook_at)} · last sync {_when(shown.last_sync_at)}",
        f"Webhook events waiting: {shown.events_waiting} · write-backs pending: "
        f"{shown.write_backs_pending} · failed: {shown.write_backs_failed}",
    ]
    failures = [f"• {lead}: {clip(reason, 200)}" for lead, reason in shown.failures]
    mapping = " · ".join(f"{field} ← `{prop}`" for field, prop in shown.mapping)
    text = "\n".join([state, *lines, *failures])
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{state}*\n" + "\n".join(lines))),
    ]
    if failures:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text="*Write-backs that failed* (not retried):\n" + "\n".join(failures)
                )
            )
        )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Contact properties read: {mapping}. Change them with HUBSPOT_*_PROPERTY."
                )
            ]
        )
    )
    return Message(text=text, blocks=blocks)
