"""Inbound Slack requests for tests: the local workspace's own builders (one implementation)."""

from local_workspace.slack_requests import (
    FORM_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    event_body,
    interaction_body,
    json_headers,
    slack_headers,
    slash_command_body,
)

__all__ = [
    "FORM_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "event_body",
    "interaction_body",
    "json_headers",
    "slack_headers",
    "slash_command_body",
]
