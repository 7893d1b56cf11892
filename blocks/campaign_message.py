"""Campaign briefs in Block Kit: the modal marketing fills in (`/campaign new`), the brief as
posted to the campaigns channel with its *Ready* button, a campaign's card and scorecard, and
the list of campaigns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    UrlInputElement,
)
from slack_sdk.models.views import View

from blocks.format import clip, format_amount, period_dates, shown
from blocks.message import Message
from domain.briefing import Brief, CampaignState, Scorecard

BRIEF_MODAL = "campaign_brief"
NOT_ALLOWED_FIELD = "Only marketing and admins brief campaigns; nothing was stored"
CAMPAIGN_READY = "campaign_ready"  # the brief's button: the value is the campaign's id
VALUE = "value"  # every input's action id
# The modal's fields: block id → (label, hint).
FIELDS = {
    "name": ("Campaign name", "Leads join the campaign by this name, case and spacing ignored"),
    "persona": ("Persona", "Who it speaks to, e.g. CFO"),
    "source": ("Source", "Where its leads come from, e.g. webinar"),
    "starts_on": ("Starts", None),
    "ends_on": ("Ends", None),
    "offer": ("The offer", "What the lead gets"),
    "talking_points": ("Talking points for reps", "What to say when you call"),
    "expected": ("Expected sales-ready leads", None),
    "link": ("Link", "The landing page or the assets"),
    "post_on": ("Post the brief on", "Empty: post it now. Or a day before the start"),
}
OPTIONAL = {"persona", "source", "link", "post_on"}
MISSING = {
    "name": "Give the campaign a name",
    "starts_on": "Pick the day it starts",
    "ends_on": "Pick the day it ends",
    "offer": "Say what the offer is",
    "talking_points": "Give reps something to say",
    "expected": "How many sales-ready leads do you expect? e.g. 40",
}
MULTILINE = {"offer", "talking_points"}
_TEXT_MAX = 3000
_NAME_MAX = 255
STATE_WORDS = {
    CampaignState.BRIEFED: "briefed, not started",
    CampaignState.RUNNING: "running",
    CampaignState.ENDED: "ended",
}


def _input(block_id: str) -> InputBlock:
    label, hint = FIELDS[block_id]
    element: Any
    if block_id in ("starts_on", "ends_on", "post_on"):
        element = DatePickerElement(action_id=VALUE)
    elif block_id == "expected":
        element = NumberInputElement(action_id=VALUE, is_decimal_allowed=False, min_value="0")
    elif block_id == "link":
        element = UrlInputElement(action_id=VALUE)
    else:
        element = PlainTextInputElement(
            action_id=VALUE,
            multiline=block_id in MULTILINE,
            max_length=_TEXT_MAX if block_id in MULTILINE else _NAME_MAX,
        )
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=label),
        hint=PlainTextObject(text=hint) if hint else None,
        optional=block_id in OPTIONAL,
        element=element,
    )


def brief_modal() -> View:
    return View(
        type="modal",
        callback_id=BRIEF_MODAL,
        title=PlainTextObject(text="Brief a campaign"),
        submit=PlainTextObject(text="Brief sales"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text="Sales reads this before the campaign runs, in the campaigns channel, "
                    "and says when they are ready."
                )
            ),
            *(_input(block_id) for block_id in FIELDS),
        ],
    )


def _value(values: Mapping[str, Any], block_id: str) -> Any:
    state = (values.get(block_id) or {}).get(VALUE) or {}
    return state.get("selected_date") or state.get("value")


def _text(values: Mapping[str, Any], block_id: str) -> str | None:
    value = _value(values, block_id)
    return (
        " ".join(str(value).split())
        if block_id not in MULTILINE and value
        else (str(value).strip() if value else None)
    )


def brief_from_form(values: Mapping[str, Any], *, created_by: str) -> Brief | dict[str, str]:
    """The brief a submitted modal describes, or what to fix by field (a field missing or not
    readable; Slack checks the required ones, this checks again)."""
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for block_id in ("starts_on", "ends_on", "post_on"):
        raw = _value(values, block_id)
        try:
            days[block_id] = date.fromisoformat(raw) if raw else None
        except ValueError:
            days[block_id] = None
            errors[block_id] = "Pick a day"
    for block_id in FIELDS:
        if block_id not in OPTIONAL and not _value(values, block_id):
            errors[block_id] = MISSING[block_id]
    expected = 0
    raw_expected = _value(values, "expected")
    if raw_expected:
        try:
            expected = int(str(raw_expected))
        except ValueError:
            errors["expected"] = "A whole number, e.g. 40"
    if errors:
        return errors
    starts_on, ends_on = days["starts_on"], days["ends_on"]
    assert starts_on is not None and ends_on is not None
    return Brief(
        name=_text(values, "name") or "",
        persona=_text(values, "persona"),
        source=_text(values, "source"),
        starts_on=starts_on,
        ends_on=ends_on,
        offer=_text(values, "offer") or "",
        talking_points=_text(values, "talking_points") or "",
        expected_sales_ready=expected,
        link=_text(values, "link"),
        post_on=days["post_on"],
        created_by=created_by,
    )


def _runs(brief: Brief) -> str:
    return period_dates_of(brief.starts_on, brief.ends_on)


def period_dates_of(first: date, last: date) -> str:
    """`3–30 November 2026` for the days a campaign runs, both included."""
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    return period_dates(start, end)


def _facts(brief: Brief) -> list[MarkdownTextObject]:
    facts = [
        ("Runs", _runs(brief)),
        ("Expected sales-ready leads", f"{brief.expected_sales_ready:,}"),
        ("Persona", shown(brief.persona, 200) if brief.persona else "—"),
        ("Source", shown(brief.source, 200) if brief.source else "—"),
    ]
    return [MarkdownTextObject(text=f"*{name}*\n{value}") for name, value in facts]


def ready_text(ready: Sequence[str]) -> str:
    if not ready:
        return "No rep is ready yet: press *Ready* once you have read the brief."
    people = ", ".join(f"<@{user_id}>" for user_id in ready[:30])
    more = f" and {len(ready) - 30:,} more" if len(ready) > 30 else ""
    return f":white_check_mark: Ready ({len(ready):,}): {people}{more}"


def brief_blocks(brief: Brief) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(f"Campaign brief: {brief.name}", 150))),
        SectionBlock(
            text=MarkdownTextObject(text=f"From <@{brief.created_by}>, for sales, before it runs."),
            fields=_facts(brief),
        ),
        SectionBlock(
            text=MarkdownTextObject(
                text=clip(f"*The offer*\n{shown(brief.offer, _TEXT_MAX)}", 3000)
            )
        ),
        SectionBlock(
            text=MarkdownTextObject(
                text=clip(f"*Talking points*\n{shown(brief.talking_points, _TEXT_MAX)}", 3000)
            )
        ),
    ]
    if brief.link:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=f"*Link:* {clip(brief.link, 900)}"))
        )
    return blocks


def brief_message(brief: Brief, *, ready: Sequence[str]) -> Message:
    """The brief as the campaigns channel gets it: the facts, the offer, the talking points,
    a *Ready* button, who is ready, and the thread for questions."""
    blocks = brief_blocks(brief)
    blocks.append(
        ActionsBlock(
            block_id="campaign_ready",
            elements=[
                ButtonElement(
                    text=PlainTextObject(text="Ready"),
                    action_id=CAMPAIGN_READY,
                    value=str(brief.id),
                    style="primary",
                )
            ],
        )
    )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=ready_text(ready))]))
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text="Questions? Ask in this message's thread.")])
    )
    return Message(text=f"Campaign brief: {brief.name} ({_runs(brief)})", blocks=blocks)


def scorecard_blocks(scorecard: Scorecard, *, state: CampaignState) -> list[Block]:
    expected = scorecard.expected_sales_ready
    standing = (
        ("met" if scorecard.met else f"{expected - scorecard.sales_ready:,} short")
        if state is CampaignState.ENDED
        else ("on its way" if not scorecard.met else "met already")
    )
    reasons = "; ".join(f"{shown(reason, 80)} ({n:,})" for reason, n in scorecard.rejection_reasons)
    fields = [
        ("Leads", f"{scorecard.leads:,}"),
        ("Sales-ready", f"{scorecard.sales_ready:,} of {expected:,} expected ({standing})"),
        ("Accepted by sales", f"{scorecard.accepted:,}"),
        ("Rejected", f"{scorecard.rejected:,}" + (f" — {reasons}" if reasons else "")),
        ("Won", f"{scorecard.won:,}"),
        ("Revenue", format_amount(Fraction(scorecard.revenue))),
    ]
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(text="*Scorecard*"),
            fields=[MarkdownTextObject(text=f"*{name}*\n{value}") for name, value in fields],
        )
    ]
    if scorecard.by_rep:
        lines = [
            f"• <@{rep.rep_id}> · {rep.leads:,} leads · {rep.touched:,} touched · "
            f"{rep.accepted:,} accepted · {rep.won:,} won · {format_amount(Fraction(rep.revenue))}"
            for rep in scorecard.by_rep[:20]
        ]
        more = len(scorecard.by_rep) - 20
        if more > 0:
            lines.append(f"…and {more:,} more reps")
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=clip("*By rep*\n" + "\n".join(lines), 3000)))
        )
    return blocks


def scorecard_message(brief: Brief, scorecard: Scorecard) -> Message:
    """Posted in the brief's thread when the campaign ends."""
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(text=f"*{shown(brief.name, 200)} has ended* ({_runs(brief)}).")
        ),
        *scorecard_blocks(scorecard, state=CampaignState.ENDED),
    ]
    return Message(
        text=f"{brief.name} has ended: {scorecard.sales_ready:,} of "
        f"{scorecard.expected_sales_ready:,} sales-ready leads expected",
        blocks=blocks,
    )


def card_message(
    brief: Brief, *, state: CampaignState, scorecard: Scorecard, ready: Sequence[str]
) -> Message:
    """`/campaign NAME`: the brief, its state, who is ready, and its scorecard so far."""
    blocks = brief_blocks(brief)
    blocks.insert(
        1,
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"*{STATE_WORDS[state].capitalize()}*"
                    + ("" if brief.posted else " · the brief is not posted yet")
                )
            ]
        ),
    )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=ready_text(ready))]))
    blocks.extend(scorecard_blocks(scorecard, state=state))
    return Message(
        text=f"{brief.name}: {STATE_WORDS[state]}, {scorecard.sales_ready:,} of "
        f"{scorecard.expected_sales_ready:,} sales-ready leads expected",
        blocks=blocks,
    )


def catalogue_message(
    campaigns: Sequence[tuple[Brief, CampaignState]],
    *,
    unbriefed: Sequence[str],
    unbriefed_total: int,
) -> Message:
    """`/campaign list`: each campaign with its state, then names leads carry that no brief has."""
    if campaigns:
        lines = [
            f"• *{shown(brief.name, 120)}* · {STATE_WORDS[state]} · {_runs(brief)} · "
            f"{brief.expected_sales_ready:,} sales-ready expected"
            for brief, state in campaigns
        ]
        text = "*Campaigns*\n" + "\n".join(lines)
    else:
        text = "*Campaigns*\nNone briefed yet: marketing briefs one with `/campaign new`."
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))]
    if unbriefed:
        blocks.append(
            unknown_names_block(
                "Leads name campaigns no brief has",
                unbriefed,
                total=unbriefed_total,
                fix="Brief them with `/campaign new`.",
            )
        )
    return Message(text=f"{len(campaigns):,} campaigns", blocks=blocks)


def unknown_names_block(heading: str, names: Sequence[str], *, total: int, fix: str) -> Block:
    """`Leads name campaigns no brief has: A, B and 3 more. Brief them with …`: what the
    catalogue (of campaigns, of personas) has yet to catch up with."""
    listed = ", ".join(shown(name, 80) for name in names)
    more = total - len(names)
    text = f"{heading}: {listed}" + (f" and {more:,} more" if more > 0 else "") + f". {fix}"
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, 3000))])


class Drawing:
    """How briefs and scorecards look in Slack (services.campaigns.CampaignDrawing)."""

    def brief(self, brief: Brief, *, ready: list[str]) -> Message:
        return brief_message(brief, ready=ready)

    def scorecard(self, brief: Brief, scorecard: Scorecard) -> Message:
        return scorecard_message(brief, scorecard)


DRAWING = Drawing()


def briefed_text(brief: Brief, *, posted_to: str | None, channel: str | None) -> str:
    """What the marketer is told once the brief is stored."""
    if posted_to:
        return f":white_check_mark: {brief.name} is briefed: posted to <#{posted_to}>."
    if channel is None:
        return (
            f":information_source: {brief.name} is briefed, but no campaigns channel is set: "
            "an admin sets one with `/smarketing campaigns #channel`, and the brief goes there."
        )
    when = f"{brief.post_on.day} {brief.post_on:%B %Y}" if brief.post_on else "shortly"
    return f":white_check_mark: {brief.name} is briefed: it goes to <#{channel}> on {when}."
