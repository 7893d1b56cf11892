"""Campaign briefs (DESIGN §3): marketing briefs a campaign to sales before it runs, the brief
goes to the campaigns channel (at once, or on the day chosen) with a *Ready* button, reps say
they are ready, anyone reads its card and scorecard, and its scorecard goes into the brief's
thread when it ends. The slash command, the modal, the button and the job all come here."""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlmodel import Session

from domain.briefing import Brief, CampaignState, Scorecard, brief_problems, campaign_key
from services.context import Services
from services.people import RightsUnknown, is_admin
from services.posting import OnSent, Outcome, Postable, Status, in_session, post_once
from storage import briefs, members, postings
from storage.models import Campaign

logger = logging.getLogger("smarketing.campaigns")
BRIEF, SCORECARD = "brief", "scorecard"  # posting kinds
CAMPAIGNS_SHOWN = 30
UNBRIEFED_SHOWN = 10


class CampaignDrawing(Protocol):
    """How a brief and a scorecard look in Slack (blocks.campaign_message)."""

    def brief(self, brief: Brief, *, ready: list[str]) -> Postable: ...

    def scorecard(self, brief: Brief, scorecard: Scorecard) -> Postable: ...


async def may_brief(services: Services, user_id: str) -> bool:
    """Marketers and admins brief campaigns; when Slack cannot say who is an admin, only
    marketers may (never granted on doubt)."""

    def marketer() -> bool:
        with services.db.session() as session:
            return members.is_marketer(session, user_id)

    if await services.in_thread(marketer):
        return True
    try:
        return await is_admin(services, user_id)
    except RightsUnknown:
        return False


def today(services: Services) -> date:
    return services.clock.now().astimezone(services.settings.timezone).date()


@dataclass(frozen=True)
class Created:
    brief: Brief | None
    problems: dict[str, str]


async def create(services: Services, brief: Brief) -> Created:
    """Store the brief, or say what is wrong with it by field (nothing stored)."""
    now = services.clock.now()

    def store() -> Created:
        with services.db.session() as session:
            taken = bool(brief.key) and briefs.by_key(session, brief.key) is not None
            problems = brief_problems(brief, today=today(services), taken=taken)
            if problems:
                return Created(None, problems)
            row = briefs.add(session, brief, at=now)
            session.commit()
            return Created(briefs.brief_of(row), {})

    return await services.in_thread(store)


async def post_due(services: Services, drawing: CampaignDrawing) -> list[Outcome]:
    """Post every brief whose day has come, and the scorecard of every posted campaign that
    has ended, each once (its key) however many runs or copies try."""
    day = today(services)

    def read() -> tuple[str | None, list[Campaign], list[tuple[Campaign, Scorecard]]]:
        with services.db.session() as session:
            channel = briefs.campaigns_channel(session)
            due = briefs.due_briefs(session, today=day) if channel else []
            ended = [
                (row, _scorecard(session, row))
                for row in briefs.ended_unscored(session, today=day)
            ]
            return channel, due, ended

    channel, due, ended = await services.in_thread(read)
    outcomes = []
    for row in due:
        assert channel is not None and row.id is not None
        key = f"{BRIEF}:{row.id}"
        outcome = await post_once(
            services,
            key=key,
            kind=BRIEF,
            channel=channel,
            late=False,
            message=drawing.brief(briefs.brief_of(row), ready=[]),
            on_sent=_posted(row.id, key),
        )
        outcomes.append(outcome)
    for row, card in ended:
        assert row.id is not None and row.channel is not None
        key = f"{SCORECARD}:{row.id}"
        outcome = await post_once(
            services,
            key=key,
            kind=SCORECARD,
            channel=row.channel,
            late=False,
            message=drawing.scorecard(briefs.brief_of(row), card),
            on_sent=_scored(row.id),
            thread_ts=row.message_ts,
        )
        if outcome.status is Status.ALREADY_SENT:  # sent before, not recorded on the campaign
            await in_session(services, _committed(_scored(row.id)))
        outcomes.append(outcome)
    return outcomes


def _posted(campaign_id: int, key: str) -> OnSent:
    """Keep where the brief went (its channel and ts): the *Ready* button and the scorecard
    need them. Runs in the transaction that marks the posting sent."""

    def record(session: Session) -> None:
        posting = postings.by_key(session, key)
        row = session.get(Campaign, campaign_id)
        if posting is None or row is None:
            return
        row.channel, row.message_ts, row.posted_at = (
            posting.channel,
            posting.message_ts,
            posting.sent_at,
        )
        session.add(row)

    return record


def _scored(campaign_id: int) -> OnSent:
    def record(session: Session) -> None:
        row = session.get(Campaign, campaign_id)
        posting = postings.by_key(session, f"{SCORECARD}:{campaign_id}")
        if row is not None and row.scorecard_posted_at is None and posting is not None:
            row.scorecard_posted_at = posting.sent_at
            session.add(row)

    return record


def _committed(record: OnSent) -> OnSent:
    def run(session: Session) -> None:
        record(session)
        session.commit()

    return run


def _scorecard(session: Session, row: Campaign) -> Scorecard:
    return briefs.scorecard(
        session,
        names=briefs.names_for(session, row.key),
        expected=row.expected_sales_ready,
    )


@dataclass(frozen=True)
class Ready:
    brief: Brief | None
    ready: list[str]
    new: bool = False


async def mark_ready(services: Services, *, campaign_id: int, user_id: str) -> Ready:
    """The rep is ready for the campaign (once, however often they press)."""
    now = services.clock.now()

    def store() -> Ready:
        with services.db.session() as session:
            row = session.get(Campaign, campaign_id)
            if row is None:
                return Ready(None, [])
            new = briefs.mark_ready(session, campaign_id=campaign_id, user_id=user_id, at=now)
            session.commit()
            return Ready(briefs.brief_of(row), briefs.ready_reps(session, campaign_id), new)

    return await services.in_thread(store)


async def who_is_ready(services: Services, campaign_id: int) -> Ready:
    def read() -> Ready:
        with services.db.session() as session:
            row = session.get(Campaign, campaign_id)
            if row is None:
                return Ready(None, [])
            return Ready(briefs.brief_of(row), briefs.ready_reps(session, campaign_id))

    return await services.in_thread(read)


@dataclass(frozen=True)
class Card:
    brief: Brief
    state: CampaignState
    scorecard: Scorecard
    ready: list[str]


@dataclass(frozen=True)
class NotFound:
    did_you_mean: list[str]


async def card(services: Services, name: str) -> Card | NotFound:
    """The campaign called `name` (case and spacing ignored) with its scorecard so far."""
    key, day = campaign_key(name), today(services)

    def read() -> Card | NotFound:
        with services.db.session() as session:
            row = briefs.by_key(session, key)
            if row is None or row.id is None:
                known = [r.name for r in briefs.all_campaigns(session, limit=200)]
                lowered = {one.lower(): one for one in known}
                close = difflib.get_close_matches(key, list(lowered), n=3, cutoff=0.6)
                return NotFound([lowered[one] for one in close])
            brief = briefs.brief_of(row)
            return Card(
                brief=brief,
                state=brief.state(today=day),
                scorecard=_scorecard(session, row),
                ready=briefs.ready_reps(session, row.id),
            )

    return await services.in_thread(read)


@dataclass(frozen=True)
class Catalogue:
    campaigns: list[tuple[Brief, CampaignState]]
    unbriefed: list[str]  # campaign names leads carry that no brief has
    unbriefed_total: int


async def catalogue(services: Services) -> Catalogue:
    day = today(services)

    def read() -> Catalogue:
        with services.db.session() as session:
            rows = briefs.all_campaigns(session, limit=CAMPAIGNS_SHOWN)
            found = [briefs.brief_of(row) for row in rows]
            names, total = briefs.unbriefed(session, limit=UNBRIEFED_SHOWN)
            return Catalogue([(b, b.state(today=day)) for b in found], names, total)

    return await services.in_thread(read)


async def set_channel(services: Services, *, channel: str, by: str) -> str | None:
    """Where briefs go from now on; returns the channel before."""
    now = services.clock.now()

    def store() -> str | None:
        with services.db.session() as session:
            old = briefs.set_campaigns_channel(session, channel=channel, by=by, at=now)
            session.commit()
            return old

    return await services.in_thread(store)



@dataclass(frozen=True)
class Whereabouts:
    """Where a brief went, for the marketer who filed it."""

    brief: Brief
    posted_to: str | None  # the channel it was posted in
    channel: str | None  # the campaigns channel now set


async def whereabouts(services: Services, name: str) -> Whereabouts | None:
    def read() -> Whereabouts | None:
        with services.db.session() as session:
            row = briefs.by_key(session, campaign_key(name))
            if row is None:
                return None
            return Whereabouts(
                briefs.brief_of(row),
                row.channel if row.posted_at else None,
                briefs.campaigns_channel(session),
            )

    return await services.in_thread(read)
