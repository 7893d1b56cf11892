"""The Slack Web API emulator the tests talk to: the local workspace's own (one implementation
serves both; see local_workspace/emulator.py)."""

from local_workspace.emulator import BOT_ID, Call, SlackEmulator

__all__ = ["BOT_ID", "Call", "SlackEmulator"]
