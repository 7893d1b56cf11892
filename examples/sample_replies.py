"""Sample replies, as README shows them: on the sample workspace of examples/sample_digest.py
(Monday 30 November 2026, 09:05), what a rep reads in `/sla-status`, what someone in marketing
sees on App Home, the escalation their manager gets, and a campaign's brief and its scorecard
in the brief's thread — built by the app's own code and printed as plain text (mentions as
@name, dates as their UTC fallback, buttons in brackets).

    python -m examples.sample_replies
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Mapping
from datetime import date
from typing import Any

from blocks.campaign_message import brief_message, scorecard_message
from blocks.home_view import LEADS_SHOWN, home_view
from bot.jobs import follow_up_runs
from commands import sla_status
from domain.briefing import Brief
from examples.sample_digest import NOW, START
from examples.sample_digest import sample_store as build_store
from local_workspace.sample_company import REPS
from services import campaigns, home
from services.context import Services
from storage import members

REP = "U0DEV"  # the rep with the most overdue leads
MARKETER = "U0MIA"
MANAGER = "U0SAM"
# The sample's webinar, briefed by Mia (the history's leads name it): what the brief and, at
# its end, the scorecard in its thread read like.
WEBINAR = Brief(
    name="Q4 pricing webinar",
    persona="CFO",
    source="webinar",
    starts_on=date(2026, 11, 2),
    ends_on=date(2026, 11, 27),
    offer="A live teardown of three SaaS pricing pages, and the recording after",
    talking_points="Ask which pricing page they run today; offer the teardown of theirs",
    expected_sales_ready=30,
    link="https://example.com/q4-pricing-webinar",
    created_by=MARKETER,
)
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_DATE = re.compile(r"<!date\^[^|]*\|([^>]*)>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")


def plain(text: str, names: Mapping[str, str]) -> str:
    """Slack's markup as a reader sees it: @name, dates, #channel."""
    text = _MENTION.sub(lambda match: f"@{names.get(match[1], match[1])}", text)
    text = _DATE.sub(lambda match: match[1], text)
    return _CHANNEL.sub(lambda match: f"#{match[2] or match[1]}", text)


def _label(element: Mapping[str, Any]) -> str:
    if element.get("type") == "overflow":
        return "[⋯ " + " | ".join(o["text"]["text"] for o in element.get("options", [])) + "]"
    if element.get("type") == "static_select":
        initial = element.get("initial_option") or element["options"][0]
        return f"[{initial['text']['text']} ▾]"
    if element.get("type") == "users_select":
        return "[Assign to… ▾]"
    text = element.get("text")
    return f"[{text['text']}]" if isinstance(text, dict) else ""


def blocks_as_text(blocks: list[dict[str, Any]], names: Mapping[str, str]) -> str:
    """Block Kit as the lines a person reads, top to bottom."""
    lines: list[str] = []
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            lines += ["", block["text"]["text"].upper()]
        elif kind == "divider":
            lines.append("")
        elif kind == "section":
            text = block.get("text", {}).get("text", "")
            accessory = block.get("accessory")
            if accessory is not None:
                text = f"{text}  {_label(accessory)}"
            lines += text.splitlines()
            for name_value in block.get("fields", []):
                name, _, value = name_value["text"].partition("\n")
                lines.append(f"  {name.strip('*')}: {value}")
        elif kind == "context":
            lines += [f"  {e['text']}" for e in block["elements"] if isinstance(e.get("text"), str)]
        elif kind == "actions":
            lines.append("  " + " ".join(_label(element) for element in block["elements"]))
    return plain("\n".join(lines).strip("\n"), names)


def _people(services: Services) -> None:
    """Mia in marketing, Sam managing the reps; time zones as the nudge job keeps them."""
    with services.db.session() as session:
        for person in (MARKETER, MANAGER, *REPS):
            name = person[2:].lower()
            members.upsert_member(session, slack_user_id=person, name=name, tz="UTC", now=NOW)
        for rep in REPS:
            members.set_manager(session, rep_id=rep, manager_id=MANAGER, by="U0ADMIN", at=START)
        members.set_marketing(session, user_ids=[MARKETER], marketing=True, by="U0ADMIN", at=START)
        session.commit()


def replies(services: Services) -> dict[str, str]:
    _people(services)
    with services.db.session() as session:
        names = members.names(session, [MARKETER, MANAGER, *REPS])
    rep = asyncio.run(sla_status.answer(services, text="", user_id=REP))
    board = asyncio.run(home.gather_home(services, MARKETER, limit=LEADS_SHOWN, admin=False))
    run = asyncio.run(follow_up_runs.run_escalations(services, dry_run=True))
    [(_, escalation)] = [draft for draft in run.drafts if draft[0] == MANAGER]
    created = asyncio.run(campaigns.create(services, WEBINAR))
    assert created.brief is not None, created.problems
    card = asyncio.run(campaigns.card(services, WEBINAR.name))
    assert isinstance(card, campaigns.Card)
    return {
        "sla-status": blocks_as_text(rep.to_dict()["blocks"], names),
        "home": blocks_as_text(home_view(board).to_dict()["blocks"], names),
        "escalation": blocks_as_text(escalation.to_dict()["blocks"], names),
        "brief": blocks_as_text(brief_message(created.brief, ready=[]).to_dict()["blocks"], names),
        "scorecard": blocks_as_text(
            scorecard_message(card.brief, card.scorecard).to_dict()["blocks"], names
        ),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        services = build_store(folder)
        shown = replies(services)
        services.db.dispose()
    for title, text in shown.items():
        print(f"=== {title}\n{text}\n")


if __name__ == "__main__":
    main()
