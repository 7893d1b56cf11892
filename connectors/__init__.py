"""Other systems the bot talks to, other than Slack (DESIGN §5): API clients and mappings."""
