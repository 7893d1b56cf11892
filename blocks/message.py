"""Block Kit building blocks shared by every reply: a message, a problem, a help text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from blocks.format import clip

SECTION_MAX = 3000  # Slack's limit for a section's text
# Slack's broadcasts; a reply never notifies a channel, whatever was typed into it.
_BROADCAST = re.compile(r"<!(channel|here|everyone)", re.IGNORECASE)


@dataclass(frozen=True)
class Message:
    """A Slack message: `text` is the notification and screen-reader fallback for `blocks`."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        # Block.to_dict() validates each block against Slack's limits and raises if one breaks them.
        return {"text": self.text, "blocks": [block.to_dict() for block in self.blocks]}


def problem(reason: str, *, example: str) -> Message:
    """Bad input: one line saying what is wrong, and a form that works.

    What people typed reaches `reason` through `quoted()`, clipped and escaped; this is the
    last guard, so that no reason, however built, breaks Slack's limit or pings a channel."""
    tail = f". Try `{example}`"
    reason = _BROADCAST.sub(r"&lt;!\1", reason)
    line = f":warning: {clip(reason, SECTION_MAX - len(tail) - 11)}{tail}"
    return Message(text=line, blocks=[SectionBlock(text=MarkdownTextObject(text=line))])


def help_message(title: str, lines: list[str], *, example: str) -> Message:
    body = "\n".join(lines)
    return Message(
        text=f"{title}\n{body}",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{title}*\n{body}")),
            ContextBlock(elements=[MarkdownTextObject(text=f"Example: `{example}`")]),
        ],
    )


def oops() -> Message:
    line = (
        ":face_with_head_bandage: Something went wrong on our side; it has been logged. Try again."
    )
    return Message(text=line, blocks=[SectionBlock(text=MarkdownTextObject(text=line))])
