"""One-click outcomes for a lead that needs one (DESIGN §2 "Every lead reaches an end"): a menu
on each such lead in App Home and `/lead mine` — won, lost, reject, recycle — and the modal that
asks for what the outcome needs (the amount won, the reason)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    OverflowMenuElement,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.format import shown

OUTCOME_MENU = "lead_outcome_menu"  # an overflow menu: the option's value is "<action>:<lead id>"
OUTCOME_MODAL = "lead_outcome_modal"
AMOUNT_BLOCK, AMOUNT_TEXT = "outcome_amount", "amount"
REASON_BLOCK, REASON_TEXT = "outcome_reason", "reason"
OUTCOMES = {
    "won": "Won…",
    "lost": "Lost…",
    "reject": "Reject…",
    "recycle": "Recycle to marketing…",
}
# What each outcome asks in its modal: (title, submit, the reason's label, reason required).
_ASKS = {
    "won": ("Won a lead", "Won", None, False),
    "lost": ("Lost a lead", "Lost", "Why it was lost (optional)", False),
    "reject": ("Reject a lead", "Reject", "Why it is not a lead to work", True),
    "recycle": ("Recycle a lead", "Recycle", "Why marketing should nurture it", True),
}
_ID_MAX = 80


def outcome_menu(external_id: str) -> OverflowMenuElement:
    return OverflowMenuElement(
        action_id=OUTCOME_MENU,
        options=[
            Option(text=PlainTextObject(text=label), value=f"{action}:{external_id}"[:150])
            for action, label in OUTCOMES.items()
        ],
    )


def parse_outcome_value(value: str) -> tuple[str, str] | None:
    """(action, lead id) a menu option stands for; None for one this app never drew."""
    action, sep, external_id = value.partition(":")
    if not sep or action not in OUTCOMES or not external_id:
        return None
    return action, external_id


def outcome_metadata(action: str, external_id: str, channel: str | None) -> str:
    """What the modal carries to its submission: the outcome, the lead, and the channel of the
    message the menu was on (None: App Home), where the result is said."""
    return json.dumps({"a": action, "l": external_id, "c": channel})


def parse_outcome_metadata(text: str) -> tuple[str, str, str | None] | None:
    try:
        data = json.loads(text)
        action, external_id, channel = str(data["a"]), str(data["l"]), data.get("c")
    except (ValueError, KeyError, TypeError):
        return None
    if action not in OUTCOMES or not external_id:
        return None
    return action, external_id, str(channel) if channel else None


def outcome_modal(*, action: str, label: str, metadata: str, max_reason: int) -> View:
    title, submit, reason_label, required = _ASKS[action]
    blocks: list[Any] = [
        SectionBlock(text=MarkdownTextObject(text=f"{submit}: {label}. Marketing sees it."[:2900]))
    ]
    if action == "won":
        blocks.append(
            InputBlock(
                block_id=AMOUNT_BLOCK,
                label=PlainTextObject(text="Amount won"),
                hint=PlainTextObject(text="In the workspace's currency, e.g. 12500 or 12500.50"),
                element=NumberInputElement(
                    action_id=AMOUNT_TEXT, is_decimal_allowed=True, min_value="0.01"
                ),
            )
        )
    if reason_label is not None:
        blocks.append(
            InputBlock(
                block_id=REASON_BLOCK,
                optional=not required,
                label=PlainTextObject(text=reason_label),
                element=PlainTextInputElement(
                    action_id=REASON_TEXT, multiline=True, max_length=max_reason
                ),
            )
        )
    return View(
        type="modal",
        callback_id=OUTCOME_MODAL,
        title=PlainTextObject(text=title),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=blocks,
    )


def submitted(values: Mapping[str, Any], block: str, action_id: str) -> str:
    """A text input's value as submitted, stripped ("" when empty)."""
    value = ((values.get(block) or {}).get(action_id) or {}).get("value")
    return value.strip() if isinstance(value, str) else ""


def outcome_label(external_id: str, who: str | None) -> str:
    label = f"*{shown(external_id, _ID_MAX)}*"
    return f"{label} ({shown(who, _ID_MAX)})" if who else label
