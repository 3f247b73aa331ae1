"""The bot scopes and events the Slack adapter needs; the manifest and ``ainews doctor``
(through ``bot.app``) follow this list."""

from __future__ import annotations

BOT_SCOPES = [
    "commands",
    "app_mentions:read",
    "chat:write",
    "chat:write.public",
    "users:read",
    # Follow-ups without a mention: replies in a thread the bot answered, and DMs.
    "channels:history",
    "groups:history",
    "im:history",
    # App Home: which channels the user is in (users.conversations), so it shows only theirs.
    "channels:read",
    "groups:read",
    # Slack's AI-app surface: suggested prompts and the "is thinking…" status.
    "assistant:write",
    # Files with an answer: trend charts, OPML exports (files_upload_v2).
    "files:write",
]
# Events the adapter listens to; the manifest subscribes to each (tests check both).
BOT_EVENTS = [
    "app_mention",
    "message.channels",
    "message.groups",
    "message.im",
    "app_home_opened",
    "assistant_thread_started",
    "assistant_thread_context_changed",
    "app_uninstalled",
    "tokens_revoked",
]
