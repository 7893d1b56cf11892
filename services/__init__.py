"""The use cases every entry point shares: plain data in and out; no Bolt, no Block Kit."""
