"""Slack's buttons, modals and App Home events: read the request, call a service, answer."""
