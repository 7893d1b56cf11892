"""Every Block Kit message the app builds passes slack_sdk's validation of Slack's limits."""

from __future__ import annotations

from fractions import Fraction

import pytest
from slack_sdk.models.blocks import Block

from blocks.funnel_message import funnel_message
from blocks.message import Message, help_message, oops, problem
from commands.leads_needed import EXAMPLE, HELP_LINES
from domain.funnel import Period, leads_needed

BUILT: dict[str, Message] = {
    "funnel, smallest": funnel_message(
        leads_needed(revenue=Fraction(1), deal_size=Fraction(1), rate=Fraction(1))
    ),
    "funnel, largest": funnel_message(
        leads_needed(
            revenue=Fraction(10**15),
            deal_size=Fraction(1, 100),
            rate=Fraction(1, 10**6),
            period=Period.MONTH,
        )
    ),
    "problem": problem("x" * 2_000, example=EXAMPLE),
    "help": help_message("How /leads-needed counts", HELP_LINES, example=EXAMPLE),
    "oops": oops(),
}


@pytest.mark.parametrize("name", sorted(BUILT))
def test_message_passes_block_kit_validation(name: str) -> None:
    message = BUILT[name].to_dict()

    assert message["text"]
    assert 1 <= len(message["blocks"]) <= 50
    for raw in message["blocks"]:
        block = Block.parse(raw)
        assert block is not None
        block.validate_json()
        assert block.to_dict() == raw
