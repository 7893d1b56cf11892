"""Where the digest and the monthly report go, and what Slack last refused for good: what
admins read in `/smarketing settings` and on their App Home."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from domain.schedule import DigestSettings, PostingProblem
from services.config import Settings
from storage.models import Posting
from storage.postings import DIGEST, DIGEST_NOW, MONTHLY
from storage.schedules import digest_settings, posting_problem

# How to fix what Slack refuses for good, said wherever the refusal is shown or logged.
WHAT_TO_DO = {
    "not_in_channel": "invite the app to the channel (`/invite @Smarketing`)",
    "is_archived": "the channel is archived: choose another with `/smarketing digest #channel`",
    "channel_not_found": "choose a channel that exists with `/smarketing digest #channel`",
}


@dataclass(frozen=True)
class PostingOverview:
    """Where the digest and the monthly report go, and what Slack last refused for good."""

    digest: DigestSettings
    monthly_channel: str | None
    monthly_channel_configured: bool  # SMARKETING_MANAGEMENT_CHANNEL is set
    problems: list[PostingProblem]


def posting_overview(session: Session, settings: Settings) -> PostingOverview:
    """Read for `/smarketing settings` and an admin's App Home: a few lookups by key and two
    indexed queries, whatever the size of the store."""
    digest = digest_settings(session, default_channel=settings.smarketing_digest_channel)
    monthly = settings.smarketing_management_channel or digest.channel
    problems: list[PostingProblem] = []
    # The digest and the report are asked apart: when they go to different channels, a report
    # sent fine must not hide a digest that keeps failing, nor the other way round.
    for kinds, channel in (
        ((DIGEST, DIGEST_NOW), digest.channel),
        ((MONTHLY,), monthly),
    ):
        failed = posting_problem(session, kinds=kinds)
        # A failure in a channel no longer used is history: the next one goes elsewhere.
        if failed is None or failed.channel is None or failed.channel != channel:
            continue
        if any(known.channel == failed.channel for known in problems):
            continue  # one notice a channel: the fix is the same
        problems.append(_problem(failed))
    return PostingOverview(
        digest=digest,
        monthly_channel=monthly,
        monthly_channel_configured=settings.smarketing_management_channel is not None,
        problems=problems,
    )


def _problem(failed: Posting) -> PostingProblem:
    error = failed.error or "no reason given"
    return PostingProblem(
        kind=failed.kind,
        channel=failed.channel,
        error=error,
        # The claim's time is kept on a permanent failure: when it was tried.
        at=failed.claimed_at or failed.created_at,
        what_to_do=WHAT_TO_DO.get(error),
    )
