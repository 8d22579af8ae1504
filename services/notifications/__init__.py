"""Notifications service: in-app inbox and email (later webhooks and an event feed) for every step."""
