"""`/smarketing hubspot`: the HubSpot connection, last webhook and sync, write-backs waiting or
failed, and the property mapping (admins)."""

from __future__ import annotations

from blocks.hubspot_message import HubSpotShown, hubspot_message
from blocks.message import Message
from commands.admin_only import refusal
from services import hubspot_sync
from services.context import Services


async def show_hubspot(services: Services, user_id: str) -> Message:
    refused = await refusal(
        services,
        user_id,
        what="the HubSpot connection",
        change="see the HubSpot connection",
        done="shown",
    )
    if refused is not None:
        return refused
    status = await services.in_thread(hubspot_sync.status, services)
    names = status.property_names
    return hubspot_message(
        HubSpotShown(
            problem=status.problem,
            last_webhook_at=status.last_webhook_at,
            last_sync_at=status.last_sync_at,
            events_waiting=status.events_waiting,
            write_backs_pending=status.write_backs_pending,
            write_backs_failed=status.write_backs_failed,
            failures=status.failures,
            mapping=[
                ("fit", names.fit),
                ("interest", names.interest),
                ("source", names.source),
                ("campaign", names.campaign),
                ("persona", names.persona),
            ],
        )
    )
