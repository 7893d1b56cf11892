"""Slack's published Web API rate limits for the methods the app calls (docs.slack.dev/apis/
web-api/rate-limits, and each method's page under docs.slack.dev/reference/methods/…): "per
API method per workspace per app", in requests a minute. Both the app's pacing
(bot/slack_client.py) and the project's Slack emulator, when asked to enforce them, read them
here.
"""

from __future__ import annotations

TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}

# Each method the app calls, and its tier as its reference page gives it.
METHOD_TIERS = {
    "auth.test": 4,  # "Special": generous; counted as Tier 4
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "conversations.open": 3,
    "conversations.info": 3,
    "conversations.history": 3,  # Tier 3 for internal and Marketplace apps
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "views.publish": 4,
    "views.open": 4,
    "views.push": 4,
    "views.update": 4,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}

# chat.postMessage is "Special": about one message per second per channel (short bursts
# allowed), under a workspace-wide limit Slack does not publish; several hundred a minute is
# what it tolerates, and this app keeps to a conservative share of it.
POSTS_PER_CHANNEL_PER_SECOND = 1
POSTS_PER_MINUTE = 300


def per_minute(method: str) -> int | None:
    """The method's requests a minute, or None for one with no tier here (chat.postMessage
    is paced per channel and for the workspace instead)."""
    tier = METHOD_TIERS.get(method)
    return TIER_PER_MINUTE[tier] if tier is not None else None
