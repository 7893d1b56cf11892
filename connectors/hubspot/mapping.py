"""How HubSpot's records read as lead facts, and how a rep's change reads as HubSpot's
(DESIGN §4 "In" and "Back"). Plain data in, plain data out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

# HubSpot's lifecycle stages in order; a contact at `salesqualifiedlead` or later was accepted.
LIFECYCLE = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
)
ACCEPTED_STAGE = "salesqualifiedlead"
UNQUALIFIED = "UNQUALIFIED"
# A touch's channel ↔ the engagement HubSpot logs it as.
ENGAGEMENT_OF = {"call": "calls", "email": "emails", "meeting": "meetings", "social": "notes"}
CHANNEL_OF = {"calls": "call", "emails": "email", "meetings": "meeting"}
# The property that titles each engagement (how a lost answer is found again) and its body.
TITLE = {
    "calls": "hs_call_title",
    "emails": "hs_email_subject",
    "meetings": "hs_meeting_title",
    "notes": "hs_note_body",
}
BODY = {
    "calls": "hs_call_body",
    "emails": "hs_email_text",
    "meetings": "hs_meeting_body",
    "notes": "hs_note_body",
}


@dataclass(frozen=True)
class PropertyNames:
    """Which contact properties carry fit, interest, source, campaign and persona."""

    fit: str
    interest: str
    source: str
    campaign: str
    persona: str

    def contact_properties(self) -> list[str]:
        return sorted(
            {
                "email",
                "firstname",
                "lastname",
                "company",
                "hubspot_owner_id",
                "hs_lead_status",
                "lifecyclestage",
                "createdate",
                "lastmodifieddate",
                self.fit,
                self.interest,
                self.source,
                self.campaign,
                self.persona,
            }
        )


def external_id(contact_id: str) -> str:
    return f"HS-{contact_id}"


def contact_id(lead_external_id: str) -> str | None:
    rest = lead_external_id.removeprefix("HS-")
    return rest if rest != lead_external_id and rest.isdigit() else None


def _score(value: str | None) -> int | str | None:
    """A score property as the event API takes it: high/low, or a number clipped to 0–100
    (HubSpot's own score has no ceiling)."""
    if value is None or not value.strip():
        return None
    word = value.strip().lower()
    if word in {"high", "low"}:
        return word
    try:
        return max(0, min(100, round(float(word))))
    except ValueError:
        return None


def _text(value: str | None) -> str | None:
    return value.strip()[:255] or None if value else None


def lead_fields(properties: dict[str, str | None], names: PropertyNames) -> dict[str, object]:
    """The lead fields a contact's properties give (absent ones left out)."""
    first, last = _text(properties.get("firstname")), _text(properties.get("lastname"))
    fields: dict[str, object] = {
        "email": _text(properties.get("email")),
        "name": " ".join(part for part in (first, last) if part) or None,
        "company": _text(properties.get("company")),
        "source": _text(properties.get(names.source)),
        "campaign": _text(properties.get(names.campaign)),
        "persona": _text(properties.get(names.persona)),
        "fit": _score(properties.get(names.fit)),
        "interest": _score(properties.get(names.interest)),
    }
    return {name: value for name, value in fields.items() if value is not None}


def accepted(stage: str | None) -> bool:
    return stage in LIFECYCLE and LIFECYCLE.index(stage) >= LIFECYCLE.index(ACCEPTED_STAGE)


def moment(value: str | None, fallback: datetime) -> datetime:
    """A HubSpot timestamp (ISO 8601 or epoch ms) as an aware datetime."""
    if value:
        if value.isdigit():
            return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return fallback
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return fallback


def iso_ms(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def engagement_properties(
    kind: str, *, title: str, body: str, at: datetime, owner_id: str | None
) -> dict[str, str]:
    """The properties of an engagement the bot logs for a rep's touch or decision."""
    stamp = iso_ms(at)
    properties = {"hs_timestamp": stamp, BODY[kind]: body}
    if kind != "notes":
        properties[TITLE[kind]] = title
    if kind == "calls":
        properties |= {"hs_call_direction": "OUTBOUND", "hs_call_status": "COMPLETED"}
    elif kind == "emails":
        properties |= {"hs_email_direction": "EMAIL", "hs_email_status": "SENT"}
    elif kind == "meetings":
        properties |= {"hs_meeting_start_time": stamp, "hs_meeting_end_time": stamp}
    if owner_id:
        properties["hubspot_owner_id"] = owner_id
    return properties
